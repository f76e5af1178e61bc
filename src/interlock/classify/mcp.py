"""Classify an MCP `tools/call`: what will this tool call do to the world?

The payload is the call's params: `{"tool" | "name", "arguments"?, "annotations"?,
"server"?}` (or that object as JSON text, or a whole JSON-RPC `tools/call` message). The
verdict is the most severe of three readings:

1. the tool's **name**, read as words (`_mcp_name`): `delete_database` and `volumeDelete`
   are destructive, `list_tables` reads, `execute_sql` and `bash` are *carriers* whose
   arguments decide;
2. its **arguments** (`_mcp_args`): embedded SQL, shell, HTTP and GraphQL go to their own
   classifiers, `action: delete`-style values and `force: true`-style flags count, and a
   carrier with nothing recognisable in its arguments is `unknown`;
3. the server's **annotations**, which are hints from a possibly untrusted server. They can
   raise the verdict (`destructiveHint: true`, `readOnlyHint: false`) and never lower it:
   `frobnicate` with `readOnlyHint: true` stays unknown. `idempotentHint` and
   `openWorldHint` say nothing about loss and change nothing.
4. a route pack's `[mcp]` verdict for the server's tool (`interlock packs import mcp` turns
   a server's `tools/list` into one): a generated pack settles an unknown name and raises.
   A call that names no server (or one no pack serves) gets what every pack knowing the
   tool's name agrees on, or the most severe of them to raise: never lower.

A name without a recognised verb and nothing else to go on is `unknown` (fail closed).
A tool about a credential or a privilege that is not a read (`create_api_key`,
`add_collaborator`, `set_iam_policy`), or one that changes something and is handed a
credential, is `privilege` (`_credentials`); under a more severe verdict it is a second action.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, replace

from interlock.classify import classify_nested
from interlock.classify._credentials import (
    carries_credential,
    is_read_command,
    privilege_subject,
    signs_in,
)
from interlock.classify._mcp_args import Inspection, inspect_arguments, is_credential_key
from interlock.classify._mcp_name import NameReading, read_tool_name
from interlock.classify._names import split_words
from interlock.classify._routes import route_table
from interlock.errors import PayloadError
from interlock.model import Action, Verb

__all__ = ["classify", "judge_tool"]

_MAX_OPERATION = 120
_MAX_DETAIL = 200
_ARGUMENT_ALIASES = ("arguments", "input", "tool_input", "toolArgs", "args")
_TOOL_ALIASES = ("tool", "name", "tool_name", "toolName")
_CREDENTIAL_PREFIXES = (
    "sk-",
    "sk_live",
    "rk_live",
    "ghp_",
    "gho_",
    "ghs_",
    "github_pat_",
    "glpat-",
    "xoxb-",
    "xoxp-",
    "xapp-",
    "akia",
    "asia",
    "eyj",
    "bearer ",
    "basic ",
    "npm_",
    "-----begin",
)


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A validated `tools/call`: the tool name, its arguments, the server's hints."""

    tool: str
    arguments: object
    annotations: dict[str, object]
    server: str | None


def _parse(payload: object) -> ToolCall:
    """Validate the payload's shape; raise `PayloadError` naming the field that is wrong."""
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except ValueError as exc:
            raise PayloadError(f"mcp payload is not valid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise PayloadError(
            f"mcp payload must be an object with 'tool' and 'arguments', "
            f"got {type(payload).__name__}"
        )
    params = payload.get("params")
    if isinstance(params, dict) and not any(k in payload for k in _TOOL_ALIASES):
        payload = params  # a whole JSON-RPC `tools/call` message
    names = {k: payload[k] for k in _TOOL_ALIASES if k in payload}
    if not names:
        raise PayloadError("mcp payload has no 'tool' (or 'name'): the tool being called")
    for key, value in names.items():
        if not isinstance(value, str):
            raise PayloadError(f"mcp field {key!r} must be a string, got {type(value).__name__}")
    if len(set(names.values())) > 1:
        raise PayloadError(
            "mcp payload names the tool twice, differently: "
            + ", ".join(f"{k}={v!r}" for k, v in names.items())
        )
    tool = next(iter(names.values()))
    if not tool.strip():
        raise PayloadError("mcp field 'tool' is empty: name the tool being called")
    annotations = payload.get("annotations")
    if annotations is None:
        annotations = {}
    if not isinstance(annotations, dict):
        raise PayloadError(
            f"mcp field 'annotations' must be an object, got {type(annotations).__name__}"
        )
    server = payload.get("server")
    if server is not None and not isinstance(server, str):
        raise PayloadError(f"mcp field 'server' must be a string, got {type(server).__name__}")
    given = [payload[k] for k in _ARGUMENT_ALIASES if k in payload]
    arguments: object = {} if not given else given[0] if len(given) == 1 else {"all": given}
    return ToolCall(tool, arguments, annotations, server)


def _normalise_arguments(arguments: object, reading: NameReading) -> object:
    """Arguments as the walker expects them: JSON text decoded, an argv list or a bare
    string put under the key the tool would read it from."""
    if arguments is None:
        return {}
    if isinstance(arguments, str):
        stripped = arguments.strip()
        if not stripped:
            return {}
        if stripped[0] in "{[":
            with contextlib.suppress(ValueError):
                arguments = json.loads(stripped)
        if isinstance(arguments, str):
            key = {"sql": "sql", "shell": "command", "cli": "command", "exec": "command"}.get(
                reading.carrier or "", "input"
            )
            return {key: arguments}
    if isinstance(arguments, list):
        return {"args": arguments}
    if not isinstance(arguments, dict):
        return {"input": arguments}
    return arguments


def _hint(annotations: dict[str, object], name: str) -> bool | None:
    """A boolean hint as declared (`"true"` tolerated); None when absent or malformed."""
    value = annotations.get(name)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    return None


def _verdict(
    reading: NameReading, found: Inspection, annotations: dict[str, object]
) -> tuple[Verb, str]:
    """The most severe reading, with the reason that produced it."""
    signals: list[tuple[Verb, str]] = []
    read_only = _hint(annotations, "readOnlyHint")
    destructive_hint = _hint(annotations, "destructiveHint")
    if reading.verb is not None:
        signals.append((reading.verb, reading.reason))
    elif reading.carrier == "code":
        signals.append((Verb.UNKNOWN, f"{reading.reason}, which Interlock cannot analyse"))
    elif reading.carrier is not None and not found.content:
        signals.append((Verb.UNKNOWN, f"{reading.reason}, but its arguments say nothing known"))
    elif reading.carrier is None and not found.content:
        # A hint never vouches: `readOnlyHint: true` on a name that says nothing leaves it
        # unknown (hints only raise).
        signals.append((Verb.UNKNOWN, reading.reason))
    if reading.suspicious:
        signals.append((Verb.UNKNOWN, "tool name has look-alike or missing letters"))
    signals.extend((f.verb, f.reason) for f in found.findings)
    for action in found.nested:
        signals.append((action.verb, f"its arguments carry {action.operation}"))
    if found.overflow:
        signals.append((Verb.UNKNOWN, "arguments too large or deep to inspect fully"))
    if destructive_hint is True:
        signals.append((Verb.DESTRUCTIVE, "the server declares the tool destructive"))
    if read_only is False:
        signals.append((Verb.WRITE, "the server declares the tool not read-only"))
    verb, reason = max(signals, key=lambda s: s[0].severity, default=(Verb.UNKNOWN, ""))
    if read_only is True and verb is not Verb.READ:
        reason += " (the server's readOnlyHint does not lower that)"
    return verb, reason or "nothing recognisable in the tool call"


def _redact(key: str, value: object) -> str:
    if is_credential_key(split_words(key)):
        return "***"
    if isinstance(value, str):
        if value.strip().lower().startswith(_CREDENTIAL_PREFIXES):
            return "***"
        short = value if len(value) <= 40 else value[:37] + "..."
        if short.isalnum():
            return f'"{short}"'
        return json.dumps(short, ensure_ascii=False)
    if isinstance(value, dict):
        return "{...}"
    if isinstance(value, list):
        return f"[{len(value)} items]"
    return json.dumps(value) if isinstance(value, int | float | bool) or value is None else "?"


def _detail(call: ToolCall, arguments: object) -> str:
    """`server/tool(key=value, ...)`, short, with credential-looking values masked."""
    head = f"{call.server}/{call.tool}" if call.server else call.tool
    parts: list[str] = []
    if isinstance(arguments, dict):
        for key, value in list(arguments.items())[:12]:
            parts.append(f"{key}={_redact(str(key), value)}")
    detail = f"{head}({', '.join(parts)})"
    return detail if len(detail) <= _MAX_DETAIL else detail[: _MAX_DETAIL - 3] + "..."


def _operation(tool: str) -> str:
    printable = "".join(ch if ch.isprintable() else "?" for ch in tool.strip())
    return f"mcp:{printable[:_MAX_OPERATION]}"


def classify(payload: object, depth: int) -> list[Action]:
    """Classify one MCP tool call; the first action is the call itself, then any actions
    found in its arguments by other classifiers."""
    call = _parse(payload)
    reading = read_tool_name(call.tool)
    arguments = _normalise_arguments(call.arguments, reading)
    found = inspect_arguments(arguments, reading, depth)
    verb, reason = _verdict(reading, found, call.annotations)
    if verb is Verb.UNKNOWN and reading.carrier == "cli" and not found.content:
        verb, reason = _mirrored_command(reading, depth) or (verb, reason)
    verb, reason = _packed(call, verb, reason, _name_decides(reading, found))
    action = Action(
        protocol="mcp",
        operation=_operation(call.tool),
        verb=verb,
        targets=tuple(found.targets),
        reason=reason,
        detail=_detail(call, arguments),
    )
    privileged = _privilege_reason(reading, arguments, verb, _server_and_tool(call)[0])
    if privileged is None or verb is Verb.PRIVILEGE:
        return [action, *found.nested]
    if verb.severity < Verb.PRIVILEGE.severity:
        return [replace(action, verb=Verb.PRIVILEGE, reason=privileged), *found.nested]
    # more severe already: the privilege effect is an action of its own
    return [action, replace(action, verb=Verb.PRIVILEGE, reason=privileged), *found.nested]


def judge_tool(tool: str, annotations: dict[str, object]) -> Verb:
    """What a call to `tool` with no arguments would be, from its name and annotations
    alone, before any route pack: what `interlock packs import mcp` records."""
    reading = read_tool_name(tool)
    found = inspect_arguments({}, reading, 0)
    verb, _ = _verdict(reading, found, annotations)
    if verb is Verb.UNKNOWN and reading.carrier == "cli":
        verb = (_mirrored_command(reading, 0) or (verb, ""))[0]
    privileged = _privilege_reason(reading, {}, verb)
    if privileged is not None and verb.severity < Verb.PRIVILEGE.severity:
        return Verb.PRIVILEGE
    return verb


def _mirrored_command(reading: NameReading, depth: int) -> tuple[Verb, str] | None:
    """A tool named after a CLI command (`git_branch`, `kubectl_get`) with nothing else to
    go on does what that command does bare; only a read is taken from it."""
    if reading.program is None:
        return None
    rest = [word for word in reading.words if word != reading.program]
    line = " ".join([reading.program, *rest])
    actions = classify_nested("shell", line, depth)
    if actions and all(a.verb is Verb.READ for a in actions):
        return Verb.READ, f"the tool mirrors `{line}`, which only reads"
    return None


def _name_decides(reading: NameReading, found: Inspection) -> bool:
    """Whether an `unknown` verdict comes from the name alone (no verb, not a carrier, no
    look-alike letters) and nothing in the arguments is itself unknown or worse: only then
    may what the packs know of the name settle it."""
    return (
        reading.verb is None
        and reading.carrier is None
        and not reading.suspicious
        and not found.overflow
        and all(f.verb.severity < Verb.UNKNOWN.severity for f in found.findings)
        and all(a.verb.severity < Verb.UNKNOWN.severity for a in found.nested)
    )


def _packed(call: ToolCall, verb: Verb, reason: str, settles: bool) -> tuple[Verb, str]:
    """Apply what the route packs know of this tool (`[mcp]`).

    A call that names a server a pack serves gets that pack's verdict: a pack a human wrote
    decides; a generated one (from the server's `tools/list`) settles an `unknown` and
    raises, never lowers. A call that names no server (or one no pack serves) gets what
    every pack knowing a tool of that name says: when they agree, it settles an `unknown`
    that the name alone left (`settles`) and raises; when they disagree, the most severe
    only raises. Either way it never lowers what the call's own words and arguments say.
    """
    server, tool = _server_and_tool(call)
    table = route_table()
    if server is not None and table.serves(server):
        found = table.mcp_verdict(server, tool)
        if found is None or found.verb is verb:
            return verb, reason
        why = f"{found.pack} pack: {call.tool} is {found.verb.value}"
        if not found.generated or verb is Verb.UNKNOWN or found.verb.severity > verb.severity:
            return found.verb, why
        return verb, reason
    known = table.mcp_known(tool)
    if not known:
        return verb, reason
    top = max(known, key=lambda v: v.verb.severity)
    packs = ", ".join(sorted({v.pack for v in known}))
    if all(v.verb is top.verb for v in known):
        if top.verb is verb or (top.verb.severity < verb.severity and not settles):
            return verb, reason
        return top.verb, f"{tool} is {top.verb.value} wherever a pack knows it ({packs})"
    if top.verb.severity > verb.severity:
        return top.verb, f"{tool} is {top.verb.value} on some servers, the most severe ({packs})"
    return verb, reason


def _server_and_tool(call: ToolCall) -> tuple[str | None, str]:
    """`mcp__filesystem__write_file` (Claude Code's spelling) names its server too."""
    parts = call.tool.split("__")
    if len(parts) >= 3 and parts[0].lower() == "mcp":
        return call.server or parts[1], "__".join(parts[2:])
    return call.server, call.tool


def _privilege_reason(
    reading: NameReading, arguments: object, verb: Verb, server: str | None = None
) -> str | None:
    """Why the call creates, changes or widens a credential or privilege, or None: a tool
    named for one (`create_api_key`, `add_deploy_key`, `set_iam_policy`) that is not a read,
    a tool that changes something on a server about them (`create_user` on
    `awslabs.iam-mcp-server`, as a write to `iam.amazonaws.com` is), or a tool that changes
    something and is handed a credential (`update_user(password=…)`)."""
    words = reading.words
    if verb is Verb.READ or is_read_command(words):
        return None
    subject = privilege_subject(words)
    if subject is not None:
        return f"tool name is about a {subject}: it creates or changes one"
    domain = privilege_subject(split_words(server)) if server else None
    if domain is not None and verb is not Verb.UNKNOWN:
        return f"the tool changes something on a {domain} server"
    if verb is Verb.WRITE and isinstance(arguments, dict) and not signs_in(words):
        key = carries_credential([k for k in arguments if isinstance(k, str)][:64])
        if key is not None:
            return f"the tool is handed {key}: it sets a credential"
    return None
