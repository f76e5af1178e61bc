"""An MCP server's `tools/list` result → a route pack with an `[mcp]` verdict per tool.

Each tool is read the way a call to it is (`interlock.classify.mcp`: its name, its declared
annotations, which only raise), and raised further by its description: words of loss make it
destructive, and a write whose first sentence is about a credential or privilege domain
("Create a new IAM user.") privilege.
Tools whose arguments decide (carriers such as `execute_sql`) are left out, whatever their
hints say: the call is judged when it is made (with the hints it carries, which raise). A
name with no verb is left out too, unless its description starts with a read verb ("Fetch
the DNS report…") and neither it nor an annotation says anything changes or is lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from interlock.classify._mcp_name import read_tool_name
from interlock.classify._mcp_words import READ
from interlock.classify._names import split_words
from interlock.classify.learn._judge import documented_loss, documented_privilege
from interlock.classify.learn._pack import Origin, render
from interlock.classify.mcp import judge_tool
from interlock.errors import InputError
from interlock.model import Verb

__all__ = ["from_mcp_tools"]

GENERATOR = "interlock packs import mcp"


def _described_read(annotations: Mapping[str, object], description: str) -> bool:
    """A tool with no verb in its name whose description starts with a read verb
    (`dns_report`: "Fetch the DNS Report for a zone"), with no word of loss in it and no
    annotation saying it changes or destroys anything. The description is the name's
    evidence in longer form, read once when a human imports the definition; an annotation
    alone still never vouches (`readOnlyHint` only ever fails to raise)."""
    if annotations.get("destructiveHint") is True or annotations.get("readOnlyHint") is False:
        return False
    text = description.strip()
    if not text or documented_loss(text):
        return False
    first = split_words(text.split(None, 1)[0])
    return bool(first) and first[0] in READ


def from_mcp_tools(result: Any, origin: Origin, servers: tuple[str, ...]) -> str:
    """The pack for a `tools/list` result (`{"tools": [...]}`, the whole JSON-RPC response,
    or the list itself) of the server named `servers` (globs, as hooks name it)."""
    origin.check()
    if not servers:
        raise InputError("name the MCP server the tools belong to with --server")
    if isinstance(result, Mapping) and isinstance(result.get("result"), Mapping):
        result = result["result"]
    tools = result.get("tools") if isinstance(result, Mapping) else result
    if not isinstance(tools, list) or not tools:
        raise InputError("not a tools/list result: no `tools` list")
    lists: dict[str, list[str]] = {}
    for tool in tools:
        if not isinstance(tool, Mapping) or not isinstance(tool.get("name"), str):
            raise InputError("a tool in the list has no `name`")
        annotations = tool.get("annotations")
        annotations = dict(annotations) if isinstance(annotations, Mapping) else {}
        if read_tool_name(tool["name"]).carrier is not None:
            continue  # it runs what it is given (`execute_sql`): judged per call
        verb = judge_tool(tool["name"], annotations)
        description = str(tool.get("description") or "")
        if verb is Verb.UNKNOWN and _described_read(annotations, description):
            verb = Verb.READ  # `dns_report`: no verb in the name, a read in its description
        if verb is Verb.UNKNOWN:
            continue  # its arguments decide: judged per call
        if verb in (Verb.WRITE, Verb.PRIVILEGE) and documented_loss(description):
            verb = Verb.DESTRUCTIVE
        elif verb is Verb.WRITE and documented_privilege(description):
            verb = Verb.PRIVILEGE  # "Create a new IAM user.": a change to who may do what
        lists.setdefault(verb.value, []).append(tool["name"])
    return render(
        origin,
        GENERATOR,
        f"MCP server {origin.name} (generated from its tools/list)",
        servers=servers,
        mcp=lists,
    )
