"""Each coding agent's hook protocol: its event JSON in, a `ToolCall` out; a `Verdict` in, its
exact answer (stdout bytes, stderr text, exit status) out.

Pure functions, no I/O: the daemon, the in-process fallback and the tests all go through
here. The formats follow each vendor's documentation (see docs/hooks.md for the sources):

- Claude Code `PreToolUse`: `{session_id, cwd, hook_event_name, tool_name, tool_input}`;
  answer `hookSpecificOutput.permissionDecision` = allow | deny | ask.
- Codex `PreToolUse`: the same input; it cannot `ask` and treats unknown output fields as a
  failed hook (which runs the tool), so an allow is `{}` and a hold is a deny.
- Cursor `beforeShellExecution` / `beforeMCPExecution` / `beforeReadFile` (and `preToolUse`):
  answer `{permission, user_message, agent_message}`; `beforeReadFile` takes `permission`
  only. Early builds used camelCase keys, accepted here.
- Gemini CLI `BeforeTool`: answer `{decision: allow | deny, reason}`; no `ask`.

A deny always exits 2 with the reason on stderr as well: every agent treats exit 2 as
"blocked", whatever it makes of the JSON.
"""

from __future__ import annotations

import enum
import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

AGENTS: tuple[str, ...] = ("claude-code", "cursor", "codex", "gemini")
EXIT_ALLOW = 0
EXIT_BLOCK = 2


class ToolKind(enum.StrEnum):
    """What a tool call does, as far as the hook can tell before it runs."""

    SHELL = "shell"
    MCP = "mcp"
    READ = "read"
    WRITE = "write"
    SAFE = "safe"  # read-only tools with nothing to check (search, listing, web search)
    UNKNOWN = "unknown"
    IGNORED = "ignored"  # not a pre-tool event: nothing to decide


class Permission(enum.StrEnum):
    ALLOW = "allow"
    ASK = "ask"
    DENY = "deny"


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool call an agent is about to make, normalised across agents."""

    agent: str
    event: str
    tool: str
    kind: ToolKind
    session: str = ""
    cwd: str = ""
    command: str = ""
    paths: tuple[str, ...] = ()
    content: str | None = None  # what Cursor's beforeReadFile already read
    mcp: Mapping[str, Any] | None = None
    description: str = ""  # the tool's own "why" (Claude Code's Bash `description`)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the hook answers: the permission and the sentence the agent and user see."""

    permission: Permission
    reason: str
    request_id: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class HookAnswer:
    """Exactly what the hook process writes and how it exits."""

    stdout: bytes
    stderr: str
    exit_code: int


class EventError(ValueError):
    """The event could not be read; the hook answers with a deny."""


# --- reading events ---------------------------------------------------------------------

# Claude Code's (and Codex's) built-in tools that only read or search and carry nothing a
# hook can check further; file reads (Read) are checked for credentials separately.
_SAFE_TOOLS = frozenset(
    {
        "Glob",
        "Grep",
        "LS",
        "WebSearch",
        "WebFetch",
        "TodoWrite",
        "TodoRead",
        "Task",
        "ExitPlanMode",
        "NotebookRead",
        "BashOutput",
        "KillShell",
        "KillBash",
        "ListMcpResourcesTool",
        "ReadMcpResourceTool",
        # Gemini CLI
        "glob",
        "grep",
        "search_file_content",
        "list_directory",
        "google_web_search",
        "web_fetch",
        "write_todos",
        "save_memory",
    }
)
_SHELL_TOOLS = frozenset(
    {"Bash", "Shell", "shell", "local_shell", "exec_command", "run_shell_command"}
)
_READ_TOOLS = frozenset({"Read", "read_file", "read_many_files"})
_WRITE_TOOLS = frozenset(
    {"Write", "Edit", "MultiEdit", "NotebookEdit", "StrReplace", "Delete", "write_file", "replace"}
)
_PATCH_TOOLS = frozenset({"apply_patch", "ApplyPatch"})
_PATH_KEYS = ("file_path", "filePath", "notebook_path", "absolute_path", "path")


def parse_event(agent: str, raw: bytes) -> ToolCall:
    """Read one hook event; raises `EventError` when it is not a usable event."""
    if agent not in AGENTS:
        raise EventError(f"unknown agent {agent!r}: expected one of {', '.join(AGENTS)}")
    try:
        event = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise EventError(f"the event is not JSON ({exc})") from None
    if not isinstance(event, dict):
        raise EventError("the event is not a JSON object")
    if agent == "cursor":
        return _cursor(event)
    if agent == "gemini":
        return _tool_event(agent, event, expected="BeforeTool")
    return _tool_event(agent, event, expected="PreToolUse")


def _get(event: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if key in event:
            return event[key]
    return None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _tool_event(agent: str, event: Mapping[str, Any], *, expected: str) -> ToolCall:
    name = _text(_get(event, "hook_event_name", "hookEventName"))
    session = _text(_get(event, "session_id", "sessionId"))
    cwd = _text(event.get("cwd"))
    if name and name != expected:
        return ToolCall(agent, name, "", ToolKind.IGNORED, session, cwd)
    tool = _get(event, "tool_name", "toolName")
    if not isinstance(tool, str) or not tool:
        raise EventError("the event names no tool (tool_name)")
    tool_input = _get(event, "tool_input", "toolInput", "toolArgs")
    if isinstance(tool_input, str):
        tool_input = _json_object(tool_input)
    if not isinstance(tool_input, dict):
        raise EventError(f"tool_input of {tool} is not an object")
    return _classify_tool(agent, expected, tool, tool_input, session, cwd)


def _classify_tool(
    agent: str, event: str, tool: str, tool_input: Mapping[str, Any], session: str, cwd: str
) -> ToolCall:
    base = ToolCall(
        agent,
        event,
        tool,
        ToolKind.UNKNOWN,
        session,
        cwd,
        description=" ".join(_text(tool_input.get("description")).split())[:500],
    )
    if tool.startswith("mcp__") or tool.startswith("MCP:"):
        server, name = _mcp_name(tool)
        return replace(
            base,
            kind=ToolKind.MCP,
            mcp={"tool": name, "server": server, "arguments": dict(tool_input)},
        )
    if tool in _SHELL_TOOLS:
        command = _shell_command(tool_input.get("command"))
        if command is None:
            raise EventError(f"{tool}: tool_input.command is missing")
        return replace(base, kind=ToolKind.SHELL, command=command)
    if tool in _PATCH_TOOLS:
        patch = _text(_get(tool_input, "command", "input", "patch"))
        if isinstance(tool_input.get("command"), list):
            patch = "\n".join(str(part) for part in tool_input["command"])
        return replace(base, kind=ToolKind.WRITE, paths=patch_paths(patch))
    if tool in _READ_TOOLS:
        paths = _paths(tool_input)
        if not paths:
            raise EventError(f"{tool}: no file path in tool_input")
        return replace(base, kind=ToolKind.READ, paths=paths)
    if tool in _WRITE_TOOLS:
        paths = _paths(tool_input)
        if not paths:
            raise EventError(f"{tool}: no file path in tool_input")
        return replace(base, kind=ToolKind.WRITE, paths=paths)
    if tool in _SAFE_TOOLS:
        return replace(base, kind=ToolKind.SAFE)
    return replace(base, kind=ToolKind.UNKNOWN)


def _paths(tool_input: Mapping[str, Any]) -> tuple[str, ...]:
    for key in _PATH_KEYS:
        value = tool_input.get(key)
        if isinstance(value, str) and value:
            return (value,)
    listed = tool_input.get("paths")
    if isinstance(listed, list):
        return tuple(p for p in listed if isinstance(p, str) and p)
    return ()


def _mcp_name(tool: str) -> tuple[str, str]:
    if tool.startswith("MCP:"):
        return "", tool[4:]
    parts = tool.split("__", 2)
    if len(parts) == 3:
        return parts[1], parts[2]
    return "", tool


def _shell_command(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        # Codex sends argv; `bash -lc SCRIPT` is the script itself.
        shells = ("bash", "sh", "zsh")
        if len(value) == 3 and value[0].rsplit("/", 1)[-1] in shells and value[1] in ("-c", "-lc"):
            return str(value[2])
        return shlex.join(value)
    return None


def patch_paths(patch: str) -> tuple[str, ...]:
    """The files an `apply_patch` envelope touches (`*** Add/Update/Delete File:`, `Move to:`)."""
    out: list[str] = []
    for line in patch.splitlines():
        stripped = line.strip()
        for marker in ("*** Add File:", "*** Update File:", "*** Delete File:", "*** Move to:"):
            if stripped.startswith(marker):
                path = stripped[len(marker) :].strip()
                if path and path not in out:
                    out.append(path)
    return tuple(out)


def _json_object(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _cursor(event: Mapping[str, Any]) -> ToolCall:
    name = _text(_get(event, "hook_event_name", "hookEventName"))
    session = _text(_get(event, "conversation_id", "conversationId", "session_id"))
    cwd = _text(event.get("cwd"))
    if not cwd:
        roots = _get(event, "workspace_roots", "workspaceRoots")
        if isinstance(roots, list) and roots and isinstance(roots[0], str):
            cwd = roots[0]
    base = ToolCall("cursor", name, "", ToolKind.UNKNOWN, session, cwd)
    if name == "beforeShellExecution" or (
        not name and "command" in event and "tool_name" not in event
    ):
        command = event.get("command")
        if not isinstance(command, str):
            raise EventError("beforeShellExecution: command is missing")
        return replace(
            base,
            event="beforeShellExecution",
            tool="Shell",
            kind=ToolKind.SHELL,
            command=command,
        )
    if name == "beforeMCPExecution":
        tool = _get(event, "tool_name", "toolName")
        if not isinstance(tool, str) or not tool:
            raise EventError("beforeMCPExecution: tool_name is missing")
        arguments = _get(event, "tool_input", "toolInput")
        if isinstance(arguments, str):
            # Some builds send the arguments as a JSON string; unreadable text stays text and
            # the MCP classifier treats it as unknown.
            parsed = _json_object(arguments)
            arguments = parsed if isinstance(parsed, dict) else {"input": arguments}
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, dict):
            raise EventError("beforeMCPExecution: tool_input is not an object")
        server = _text(_get(event, "server", "server_name", "serverName"))
        return replace(
            base,
            tool=tool,
            kind=ToolKind.MCP,
            mcp={"tool": tool, "server": server, "arguments": arguments},
        )
    if name == "beforeReadFile":
        path = _get(event, "file_path", "filePath")
        if not isinstance(path, str) or not path:
            raise EventError("beforeReadFile: file_path is missing")
        content = event.get("content")
        return replace(
            base,
            tool="Read",
            kind=ToolKind.READ,
            paths=(path,),
            content=content if isinstance(content, str) else None,
        )
    if name == "preToolUse":
        tool = _get(event, "tool_name", "toolName")
        tool_input = _get(event, "tool_input", "toolInput")
        if isinstance(tool_input, str):
            tool_input = _json_object(tool_input)
        if not isinstance(tool, str) or not isinstance(tool_input, dict):
            raise EventError("preToolUse: tool_name or tool_input is missing")
        return _classify_tool("cursor", name, tool, tool_input, session, cwd)
    if name:
        return replace(base, tool="", kind=ToolKind.IGNORED)
    raise EventError("the event has no hook_event_name")


# --- writing answers --------------------------------------------------------------------


def render(call: ToolCall | None, agent: str, verdict: Verdict) -> HookAnswer:
    """The agent's exact answer for `verdict` (`call` is None when the event was unreadable)."""
    if call is not None and call.kind is ToolKind.IGNORED:
        return HookAnswer(b"{}\n", "", EXIT_ALLOW)
    permission = verdict.permission
    if permission is Permission.ASK and not can_ask(agent, call):
        permission = Permission.DENY
    stderr = f"Interlock: {verdict.reason}" if permission is Permission.DENY else ""
    code = EXIT_BLOCK if permission is Permission.DENY else EXIT_ALLOW
    body: dict[str, Any]
    if agent == "cursor":
        if call is not None and call.event == "beforeReadFile":
            body = {"permission": permission.value}
        else:
            body = {
                "permission": permission.value,
                "user_message": f"Interlock: {verdict.reason}",
                "agent_message": f"Interlock: {verdict.reason}",
            }
    elif agent == "gemini":
        body = {"decision": permission.value}
        if permission is Permission.DENY:
            body["reason"] = f"Interlock: {verdict.reason}"
    elif agent == "codex" and permission is Permission.ALLOW:
        body = {}
    else:
        body = {
            "hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": permission.value,
                "permissionDecisionReason": f"Interlock: {verdict.reason}",
            }
        }
    return HookAnswer(_dump(body), stderr, code)


def can_ask(agent: str, call: ToolCall | None) -> bool:
    """Whether the agent can hand the decision to its user (Claude Code, Cursor)."""
    if agent == "claude-code":
        return True
    return agent == "cursor" and (call is None or call.event != "beforeReadFile")


def deny_answer(agent: str, reason: str) -> HookAnswer:
    """The explicit deny for a failure (unreadable event, internal error, timeout)."""
    return render(
        None, agent if agent in AGENTS else "claude-code", Verdict(Permission.DENY, reason)
    )


def _dump(body: Mapping[str, Any]) -> bytes:
    return (json.dumps(body, ensure_ascii=False, separators=(", ", ": ")) + "\n").encode()
