"""An MCP server's `tools/list` result → a route pack with an `[mcp]` verdict per tool.

Each tool is read the way a call to it is (`interlock.classify.mcp`: its name, its declared
annotations, which only raise), and raised further by its description's words of loss.
Tools whose arguments decide (carriers such as `execute_sql`) are left out, whatever their
hints say: the call is judged when it is made (with the hints it carries, which raise). A
name with no verb is left out too, unless the imported definition declares it read-only
(`readOnlyHint: true`, or a description that starts with a read verb, and no
`destructiveHint`, no word of loss in its description): the
import is a human's choice of definition, so its declaration settles that unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from interlock.classify._mcp_name import read_tool_name
from interlock.classify._mcp_words import READ
from interlock.classify._names import split_words
from interlock.classify.learn._judge import documented_loss
from interlock.classify.learn._pack import Origin, render
from interlock.classify.mcp import judge_tool
from interlock.errors import InputError
from interlock.model import Verb

__all__ = ["from_mcp_tools"]

GENERATOR = "interlock packs import mcp"


def _declared_read(annotations: Mapping[str, object], description: str) -> bool:
    """A tool with no verb in its name that the definition being imported declares
    read-only, or describes with a read verb first (`dns_report`: "Fetch the DNS report…"),
    and nothing declares or describes as changing or losing anything. Settled as a read in
    the pack because a human chose to import this definition (a hint carried by a call at
    run time still never lowers anything)."""
    if annotations.get("destructiveHint") is True or documented_loss(description):
        return False
    if annotations.get("readOnlyHint") is True:
        return True
    first = split_words(description.strip().split(" ", 1)[0]) if description.strip() else ()
    return annotations.get("readOnlyHint") is not False and bool(first) and first[0] in READ


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
        if verb is Verb.UNKNOWN and _declared_read(annotations, description):
            verb = Verb.READ  # `dns_report`, `port_forward`: no verb, declared read-only
        if verb is Verb.UNKNOWN:
            continue  # its arguments decide: judged per call
        if verb in (Verb.WRITE, Verb.PRIVILEGE) and documented_loss(description):
            verb = Verb.DESTRUCTIVE
        lists.setdefault(verb.value, []).append(tool["name"])
    return render(
        origin,
        GENERATOR,
        f"MCP server {origin.name} (generated from its tools/list)",
        servers=servers,
        mcp=lists,
    )
