"""Captured events of each agent in, the exact answer (JSON and exit status) out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interlock.hooks import Permission, ToolKind, Verdict, deny_answer, parse_event, render
from interlock.hooks._decide import HookDecider
from interlock.hooks._protocols import EventError, patch_paths
from tests.hooks.conftest import Event, railway_plant

INCIDENT = (
    "curl -X POST https://backboard.railway.app/graphql/v2 "
    '-H "Authorization: Bearer $RAILWAY_TOKEN" -H "Content-Type: application/json" '
    '-d \'{"query":"mutation { volumeDelete(volumeId: \\"vol-prod-123\\") }"}\''
)


def answer(decider: HookDecider, agent: str, raw: bytes) -> tuple[dict[str, object], int, str]:
    result = decider.answer(agent, raw)
    assert result.stdout.endswith(b"\n")
    return json.loads(result.stdout), result.exit_code, result.stderr


def claude(decision: str, reason: str) -> dict[str, object]:
    return {
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": decision,
            "permissionDecisionReason": reason,
        }
    }


def test_the_fixture_holds_the_incident_command_verbatim(event: Event) -> None:
    raw = json.loads(event("claude-code.bash-incident"))
    assert raw["tool_input"]["command"] == INCIDENT


# --- Claude Code ------------------------------------------------------------------------


def test_claude_code_incident_curl_is_held_as_a_deny(decider: HookDecider, event: Event) -> None:
    # On production a hold is never the host's "ask" (auto modes approve asks by themselves).
    body, code, _ = answer(decider, "claude-code", event("claude-code.bash-incident"))
    out = body["hookSpecificOutput"]
    assert isinstance(out, dict)
    assert set(out) == {"hookEventName", "permissionDecision", "permissionDecisionReason"}
    assert out["hookEventName"] == "PreToolUse"
    assert out["permissionDecision"] == "deny"
    assert "graphql:volumeDelete" in out["permissionDecisionReason"]
    assert "vol-prod-123" in out["permissionDecisionReason"]
    assert code == 2


def test_claude_code_benign_command_is_allowed(decider: HookDecider, event: Event) -> None:
    body, code, err = answer(decider, "claude-code", event("claude-code.bash-ls"))
    assert body == claude(
        "allow",
        "Interlock: shell:ls is read: ls only reads; agents-read: reads are allowed on every "
        "resource the agent is granted",
    )
    assert (code, err) == (0, "")


def test_claude_code_read_of_a_cloud_token_is_denied(
    decider: HookDecider, event: Event, workspace: Path
) -> None:
    body, code, err = answer(decider, "claude-code", event("claude-code.read-secret"))
    reason = (
        f"Interlock: {workspace / 'deploy.json'} holds a credential (railway-token); reading it "
        "is refused. Do not look for credentials in files: ask the user for a scoped Interlock "
        "token instead (`interlock agent create claude-code --env <environment> --task "
        "'<what it is for>'`)."
    )
    assert body == claude("deny", reason)
    assert code == 2
    assert err == reason
    token, _ = railway_plant()
    assert token not in json.dumps(body) and token not in err


def test_claude_code_read_of_a_plain_file_is_allowed(decider: HookDecider, event: Event) -> None:
    body, code, _ = answer(decider, "claude-code", event("claude-code.read-plain", "README.md"))
    assert body["hookSpecificOutput"]["permissionDecision"] == "allow"  # type: ignore[index]
    assert code == 0


def test_claude_code_read_of_a_missing_file_is_allowed(decider: HookDecider, event: Event) -> None:
    body, _code, _ = answer(decider, "claude-code", event("claude-code.read-plain", "nope.txt"))
    assert body["hookSpecificOutput"]["permissionDecision"] == "allow"  # type: ignore[index]


@pytest.mark.parametrize(
    ("fixture", "decision", "code"),
    [
        ("claude-code.write-ssh", "deny", 2),
        ("claude-code.write-own-hooks", "deny", 2),
        ("claude-code.edit-env", "deny", 2),
        ("claude-code.multiedit-src", "allow", 0),
    ],
)
def test_claude_code_file_writes(
    decider: HookDecider, event: Event, fixture: str, decision: str, code: int
) -> None:
    body, exit_code, _ = answer(decider, "claude-code", event(fixture))
    assert body["hookSpecificOutput"]["permissionDecision"] == decision  # type: ignore[index]
    assert exit_code == code


def test_claude_code_mcp_tools(decider: HookDecider, event: Event) -> None:
    body, code, _ = answer(decider, "claude-code", event("claude-code.mcp-delete"))
    assert body["hookSpecificOutput"]["permissionDecision"] == "deny"  # type: ignore[index]
    assert "mcp:volume_delete" in body["hookSpecificOutput"]["permissionDecisionReason"]  # type: ignore[index]
    body, code, _ = answer(decider, "claude-code", event("claude-code.mcp-list"))
    assert body["hookSpecificOutput"]["permissionDecision"] == "allow"  # type: ignore[index]
    assert code == 0


def test_claude_code_read_only_and_unknown_tools(decider: HookDecider, event: Event) -> None:
    body, code, _ = answer(decider, "claude-code", event("claude-code.glob"))
    assert body == claude("allow", "Interlock: Glob only reads or searches")
    body, code, _ = answer(decider, "claude-code", event("claude-code.unknown-tool"))
    assert body["hookSpecificOutput"]["permissionDecision"] == "deny"  # type: ignore[index]
    assert code == 2


def test_claude_code_other_events_are_not_decided(decider: HookDecider, event: Event) -> None:
    result = decider.answer("claude-code", event("claude-code.post-tool-use"))
    assert (result.stdout, result.exit_code) == (b"{}\n", 0)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b"[1, 2]",
        b'{"hook_event_name": "PreToolUse"}',
        b'{"hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": "x"}',
        b'{"hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {}}',
        b'{"hook_event_name": "PreToolUse", "tool_name": "Read", "tool_input": {}}',
        b"\xff\xfe\x00garbage",
    ],
)
def test_unreadable_events_are_denied(decider: HookDecider, raw: bytes) -> None:
    body, code, err = answer(decider, "claude-code", raw)
    assert body["hookSpecificOutput"]["permissionDecision"] == "deny"  # type: ignore[index]
    assert code == 2 and err.startswith("Interlock: the hook event could not be read")


# --- Cursor -----------------------------------------------------------------------------


def test_cursor_incident_curl_is_held_as_a_deny(decider: HookDecider, event: Event) -> None:
    body, code, _ = answer(decider, "cursor", event("cursor.shell-incident"))
    assert set(body) == {"permission", "user_message", "agent_message"}
    assert body["permission"] == "deny"
    assert "graphql:volumeDelete" in str(body["agent_message"])
    assert code == 2


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        (
            "claude-code",
            {
                "hookSpecificOutput": {
                    "hookEventName": "PreToolUse",
                    "permissionDecision": "ask",
                    "permissionDecisionReason": "Interlock: held",
                }
            },
        ),
        (
            "cursor",
            {
                "permission": "ask",
                "user_message": "Interlock: held",
                "agent_message": "Interlock: held",
            },
        ),
    ],
)
def test_an_ask_renders_in_each_hosts_format(agent: str, expected: dict[str, object]) -> None:
    # Where asking is configured (outside production), a hold is the host's own prompt.
    call = parse_event(agent, json.dumps(_SHELL_EVENTS[agent]).encode())
    answered = render(call, agent, Verdict(Permission.ASK, "held"))
    assert json.loads(answered.stdout) == expected and answered.exit_code == 0


_SHELL_EVENTS: dict[str, dict[str, object]] = {
    "claude-code": {
        "session_id": "s",
        "cwd": "/w",
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": "ls"},
    },
    "cursor": {
        "conversation_id": "c",
        "hook_event_name": "beforeShellExecution",
        "command": "ls",
        "cwd": "/w",
    },
}


def test_cursor_benign_and_camel_case_commands(decider: HookDecider, event: Event) -> None:
    body, code, _ = answer(decider, "cursor", event("cursor.shell-ls"))
    reason = (
        "Interlock: shell:ls is read: ls only reads; agents-read: reads are allowed on every "
        "resource the agent is granted"
    )
    assert body == {"permission": "allow", "user_message": reason, "agent_message": reason}
    body, code, _ = answer(decider, "cursor", event("cursor.shell-camel"))
    assert body["permission"] == "allow" and code == 0


def test_cursor_mcp_tool_input_as_string_or_object(decider: HookDecider, event: Event) -> None:
    call = parse_event("cursor", event("cursor.mcp-string-input"))
    assert call.kind is ToolKind.MCP
    assert call.mcp == {
        "tool": "delete_database",
        "server": "",
        "arguments": {"database": "orders"},
    }
    body, _, _ = answer(decider, "cursor", event("cursor.mcp-string-input"))
    assert body["permission"] == "deny"
    body, code, _ = answer(decider, "cursor", event("cursor.mcp-object-input"))
    assert body["permission"] == "allow" and code == 0


def test_cursor_read_of_a_secret_is_denied_with_permission_only(
    decider: HookDecider, event: Event
) -> None:
    _, line = railway_plant()
    body, code, err = answer(decider, "cursor", event("cursor.read-secret", content=line))
    assert body == {"permission": "deny"}
    assert code == 2 and "holds a credential" in err
    # The content Cursor sends is checked even when the file on disk is harmless.
    body, code, _ = answer(decider, "cursor", event("cursor.read-secret", "README.md", line))
    assert body == {"permission": "deny"}
    body, code, _ = answer(decider, "cursor", event("cursor.read-plain", "README.md"))
    assert body == {"permission": "allow"} and code == 0


# --- Codex ------------------------------------------------------------------------------


def test_codex_cannot_ask_so_a_hold_is_a_deny(decider: HookDecider, event: Event) -> None:
    body, code, err = answer(decider, "codex", event("codex.bash-incident"))
    out = body["hookSpecificOutput"]
    assert isinstance(out, dict) and out["permissionDecision"] == "deny"
    assert code == 2 and "graphql:volumeDelete" in err


def test_codex_allow_is_an_empty_object(decider: HookDecider, event: Event) -> None:
    result = decider.answer("codex", event("codex.bash-ls"))
    assert (result.stdout, result.exit_code, result.stderr) == (b"{}\n", 0, "")


def test_codex_argv_commands_and_patches(decider: HookDecider, event: Event) -> None:
    call = parse_event("codex", event("codex.shell-argv"))
    assert call.command == "rm -rf /var/lib/postgresql"
    _, code, _ = answer(decider, "codex", event("codex.shell-argv"))
    assert code == 2
    _body, code, err = answer(decider, "codex", event("codex.apply-patch-git-hooks"))
    assert code == 2 and "git hooks" in err


def test_patch_paths() -> None:
    patch = (
        "*** Begin Patch\n*** Update File: a.py\n@@\n  *** Delete File: b.py\n*** Move to: c.py\n"
    )
    assert patch_paths(patch) == ("a.py", "b.py", "c.py")


# --- Gemini CLI -------------------------------------------------------------------------


def test_gemini_incident_is_denied(decider: HookDecider, event: Event) -> None:
    body, code, err = answer(decider, "gemini", event("gemini.shell-incident"))
    assert set(body) == {"decision", "reason"}
    assert body["decision"] == "deny"
    assert "graphql:volumeDelete" in str(body["reason"]) and code == 2
    assert err == body["reason"]


def test_gemini_allow_read_and_write(decider: HookDecider, event: Event) -> None:
    body, code, _ = answer(decider, "gemini", event("gemini.shell-ls"))
    assert body == {"decision": "allow"} and code == 0
    body, code, _ = answer(decider, "gemini", event("gemini.read-secret"))
    assert body["decision"] == "deny" and code == 2
    body, code, _ = answer(decider, "gemini", event("gemini.write-etc"))
    assert body["decision"] == "deny" and "/etc" in str(body["reason"])
    body, code, _ = answer(decider, "gemini", event("gemini.mcp-delete"))
    assert body["decision"] == "deny"


# --- failures ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("agent", "body"),
    [
        ("claude-code", claude("deny", "Interlock: boom")),
        ("codex", claude("deny", "Interlock: boom")),
        (
            "cursor",
            {
                "permission": "deny",
                "user_message": "Interlock: boom",
                "agent_message": "Interlock: boom",
            },
        ),
        ("gemini", {"decision": "deny", "reason": "Interlock: boom"}),
        ("copilot", claude("deny", "Interlock: boom")),  # unknown agent: Claude Code's form
    ],
)
def test_every_agent_has_an_explicit_deny(agent: str, body: dict[str, object]) -> None:
    result = deny_answer(agent, "boom")
    assert result.exit_code == 2 and result.stderr == "Interlock: boom"
    assert json.loads(result.stdout) == body


def test_unknown_agent_is_an_event_error() -> None:
    with pytest.raises(EventError):
        parse_event("copilot", b"{}")
