"""An MCP server's `tools/list` result → a route pack with an `[mcp]` verdict per tool.

Each tool is read the way a call to it is (`interlock.classify.mcp`: its name, its declared
annotations, which only raise), and raised further by its description's words of loss.
Tools whose arguments decide (carriers such as `execute_sql`, names with no verb) are left
out, whatever their hints say: the call is judged when it is made (with the hints it
carries, which raise).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from interlock.classify._mcp_name import read_tool_name
from interlock.classify.learn._judge import documented_loss
from interlock.classify.learn._pack import Origin, render
from interlock.classify.mcp import judge_tool
from interlock.errors import InputError
from interlock.model import Verb

__all__ = ["from_mcp_tools"]

GENERATOR = "interlock packs import mcp"


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
        if verb is Verb.UNKNOWN:
            continue  # its arguments decide: judged per call
        description = str(tool.get("description") or "")
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
