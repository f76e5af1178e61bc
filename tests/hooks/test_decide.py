"""Decisions beyond the protocol: config, environments, audit records, approval requests."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from interlock.approvals import ApprovalStore, Status
from interlock.checking import Checker
from interlock.errors import ConfigError
from interlock.gate import Gate
from interlock.home import Home
from interlock.hooks._decide import (
    HookDecider,
    HookSettings,
    ProductionMarker,
    load_hook_settings,
    sensitive_write,
)
from interlock.model import Human, Outcome
from tests.hooks.conftest import Event


def _bash(command: str, cwd: Path, session: str = "sess-1") -> bytes:
    event = {
        "session_id": session,
        "cwd": str(cwd),
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": command},
    }
    return json.dumps(event).encode()


def _permission(decider: HookDecider, raw: bytes) -> str:
    body = json.loads(decider.answer("claude-code", raw).stdout)
    return str(body["hookSpecificOutput"]["permissionDecision"])


def test_settings_from_the_hooks_table(tmp_path: Path) -> None:
    config = tmp_path / "interlock.toml"
    config.write_text(
        '[hooks]\nenvironment = "staging"\nagent = "coder"\nbudget_seconds = 1.5\n'
        '[[hooks.production_markers]]\ncontains = "prod-db.internal"\n'
        '[[hooks.production_markers]]\nvariable = "DATABASE_URL"\n'
    )
    settings = load_hook_settings(config)
    assert settings.environment == "staging" and settings.agent == "coder"
    assert settings.budget_seconds == 1.5
    assert settings.environment_for("psql -h prod-db.internal") == "production"
    assert settings.environment_for('psql "$DATABASE_URL" -c x') == "production"
    assert settings.environment_for("psql ${DATABASE_URL}") == "production"
    assert settings.environment_for("psql -h localhost") == "staging"


def test_settings_default_to_production(tmp_path: Path) -> None:
    config = tmp_path / "interlock.toml"
    config.write_text("[policies]\npaths = ['policies']\n")
    assert load_hook_settings(config) == HookSettings()


@pytest.mark.parametrize(
    "text",
    [
        "[hooks]\nenvironmnet = 'dev'\n",
        "[hooks]\nenvironment = ''\n",
        "[[hooks.production_markers]]\nhost = 'x'\n",
        "[[hooks.production_markers]]\ncontains = ''\n",
        "[hooks]\nbudget_seconds = 100\n",
        "hooks = 3\n",
    ],
)
def test_bad_settings_are_named(tmp_path: Path, text: str) -> None:
    config = tmp_path / "interlock.toml"
    config.write_text(text)
    with pytest.raises(ConfigError, match=r"interlock\.toml"):
        load_hook_settings(config)


def test_environment_decides_destructive_commands(gate: Gate, tmp_path: Path) -> None:
    staging = HookDecider(
        Checker(gate),
        HookSettings(environment="staging", production_markers=(ProductionMarker("prod-db"),)),
    )
    assert _permission(staging, _bash("rm -rf build", tmp_path)) == "allow"
    # A hold on production is a deny (no home here to queue it): never the host's "ask".
    assert _permission(staging, _bash("psql -h prod-db -c 'DROP TABLE t'", tmp_path)) == "deny"
    production = HookDecider(Checker(gate))
    assert _permission(production, _bash("rm -rf src", tmp_path)) == "deny"
    asking = HookDecider(
        Checker(gate), HookSettings(environment="staging", ask_outside_production=True)
    )
    assert _permission(asking, _bash("curl -X DELETE https://api.example.com/x", tmp_path)) in (
        "ask",
        "allow",
    )


def test_a_shell_read_of_a_credential_file_is_denied(decider: HookDecider, workspace: Path) -> None:
    assert _permission(decider, _bash("cat deploy.json", workspace)) == "deny"
    assert _permission(decider, _bash("head -n 3 README.md", workspace)) == "allow"


@pytest.mark.parametrize(
    ("path", "outcome"),
    [
        ("~/.ssh/id_ed25519", Outcome.DENY),
        ("/repo/.git/hooks/pre-commit", Outcome.DENY),
        ("/repo/.cursor/hooks.json", Outcome.DENY),
        ("/repo/.interlock/policies/x.cedar", Outcome.DENY),
        ("/etc/passwd", Outcome.HOLD),
        ("/repo/.git/config", Outcome.HOLD),
        ("/repo/.env", Outcome.HOLD),
        ("/repo/.env.production", Outcome.HOLD),
        ("~/.aws/credentials", Outcome.HOLD),
        ("~/.bashrc", Outcome.HOLD),
        ("/repo/.env.example", None),
        ("/repo/src/app.py", None),
        ("/etcetera/x", None),
    ],
)
def test_sensitive_writes(path: str, outcome: Outcome | None) -> None:
    import os

    found = sensitive_write(os.path.expanduser(path))
    assert (found[0] if found else None) is outcome


def test_dot_dot_and_symlinks_do_not_hide_a_sensitive_path(
    decider: HookDecider, workspace: Path
) -> None:
    (workspace / "link").symlink_to(workspace / ".git", target_is_directory=False)
    for path in ("src/../.git/config", "link/config"):
        raw = json.dumps(
            {
                "session_id": "s",
                "cwd": str(workspace),
                "hook_event_name": "PreToolUse",
                "tool_name": "Write",
                "tool_input": {"file_path": path, "content": "x"},
            }
        ).encode()
        assert _permission(decider, raw) == "deny", path


def test_every_decision_is_recorded_with_the_session(home: Home, event: Event) -> None:
    decider = HookDecider.for_home(home.root)
    decider.answer("claude-code", event("claude-code.bash-ls"))
    decider.answer("cursor", event("cursor.read-secret", content=""))
    decider.answer("claude-code", b"garbage")
    records = list(decider.audit.records()) if decider.audit else []
    assert [r.type for r in records] == ["decision", "decision", "decision"]
    first, second, third = (r.body for r in records)
    assert first["session_id"] == "sess-claude-1" and first["verdict"] == "allow"
    assert first["source"] == "hook:claude-code" and first["tool"] == "Bash"
    assert first["decision"]["decision"] == "allow"
    assert "payload_hmac" in first and "payload" not in first
    assert second["session_id"] == "conv-cursor-1" and second["verdict"] == "deny"
    assert third["verdict"] == "deny" and third["kind"] == "unreadable"


def test_a_hold_creates_an_approval_request_the_agent_is_told(home: Home, event: Event) -> None:
    decider = HookDecider.for_home(home.root)
    result = decider.answer("claude-code", event("claude-code.bash-incident"))
    out = json.loads(result.stdout)["hookSpecificOutput"]
    # On production the host's "ask" is never used: a deny that names the request.
    assert out["permissionDecision"] == "deny" and result.exit_code == 2
    assert "wait" in out["permissionDecisionReason"]
    records = list(decider.audit.records()) if decider.audit else []
    assert [r.type for r in records] == ["decision", "approval_request"]
    decision, opened = records[0].body, records[1].body
    assert decision["session_id"] == "sess-claude-1"
    # the tool's own description is the agent's stated reason, for the approval page
    assert decision["stated_reason"] == "Delete the volume"
    assert decision["decision"]["decision"] == "hold"
    assert opened["status"] == "pending" and opened["id"].startswith("apr_")
    assert opened["source"] == "hook:claude-code" and opened["decision_seq"] == records[0].seq
    assert opened["id"] in out["permissionDecisionReason"]
    # The hold is in the approval store: the one queue the console and the CLI show.
    store = ApprovalStore.for_home(home)
    request = store.get(opened["id"])
    assert request.status is Status.PENDING and request.agent == "claude-code"
    assert request.detail["decision"] == "hold" and "volumeDelete" in request.summary
    # The token variable's name may be recorded; a credential value never is.
    assert "Bearer" not in json.dumps(opened) and "Bearer" not in request.summary


def test_a_retried_hold_is_the_same_request(home: Home, event: Event) -> None:
    decider = HookDecider.for_home(home.root)
    first = decider.answer("claude-code", event("claude-code.bash-incident"))
    again = decider.answer("claude-code", event("claude-code.bash-incident"))
    ids = [
        re.findall(
            r"apr_[0-9a-f]+", json.loads(r.stdout)["hookSpecificOutput"]["permissionDecisionReason"]
        )
        for r in (first, again)
    ]
    assert ids[0] == ids[1]
    assert len(ApprovalStore.for_home(home).requests()) == 1


def test_an_approved_hold_runs_once(home: Home, event: Event) -> None:
    """Approving a hook's request (console, CLI) lets that exact call through, once."""
    decider = HookDecider.for_home(home.root)
    decider.answer("claude-code", event("claude-code.bash-incident"))
    store = ApprovalStore.for_home(home)
    (request,) = store.requests()
    store.approve(request.id, Human("alice", "approver"), "checked")
    allowed = json.loads(decider.answer("claude-code", event("claude-code.bash-incident")).stdout)
    assert allowed["hookSpecificOutput"]["permissionDecision"] == "allow"
    assert store.get(request.id).status is Status.USED
    held = json.loads(decider.answer("claude-code", event("claude-code.bash-incident")).stdout)
    assert held["hookSpecificOutput"]["permissionDecision"] == "deny"
    records = list(decider.audit.records()) if decider.audit else []
    # The retried call's decision is a hold, completed by an "approved" outcome that names
    # the request it spent.
    spent = next(r for r in records if r.body.get("approval_request") == request.id)
    assert spent.type == "outcome" and spent.body["outcome"] == "approved"
    decided = next(r for r in records if r.seq == spent.body["decision_seq"])
    assert decided.body["verdict"] == "hold" and decided.body["source"] == "hook:claude-code"
    assert decided.body["decision"]["decision"] == "hold"


def _write_env_file(decider: HookDecider, workspace: Path) -> dict[str, Any]:
    """Claude Code's Write of `.env` (a sensitive write: held for a human)."""
    event = {
        "session_id": "s",
        "cwd": str(workspace),
        "hook_event_name": "PreToolUse",
        "tool_name": "Write",
        "tool_input": {"file_path": str(workspace / ".env"), "content": "A=1"},
    }
    answer: dict[str, Any] = json.loads(
        decider.answer("claude-code", json.dumps(event).encode()).stdout
    )
    return answer


def test_a_sensitive_write_hold_is_in_the_queue(home: Home, tmp_path: Path) -> None:
    decider = HookDecider.for_home(home.root)
    answer = _write_env_file(decider, tmp_path)
    assert answer["hookSpecificOutput"]["permissionDecision"] == "deny"
    (request,) = ApprovalStore.for_home(home).requests()
    assert request.summary == f"write {tmp_path / '.env'}"
    assert request.detail["policies"] == ["hooks-sensitive-write"]


def test_a_late_decision_is_a_deny_and_recorded_as_one(home: Home, event: Event) -> None:
    decider = HookDecider.for_home(home.root)
    result = decider.answer(
        "claude-code", event("claude-code.bash-ls"), deadline=time.monotonic() - 1
    )
    assert result.exit_code == 2 and "budget" in result.stderr
    records = list(decider.audit.records()) if decider.audit else []
    assert records[-1].body["verdict"] == "deny"


def test_an_audit_failure_is_a_deny(home: Home, event: Event) -> None:
    decider = HookDecider.for_home(home.root)

    class Broken:
        def fingerprint(self, payload: object) -> str:
            raise OSError("disk full")

        def append(self, *args: object) -> None:
            raise OSError("disk full")

    assert decider.point is not None
    decider.point.audit = Broken()  # type: ignore[assignment]
    result = decider.answer("claude-code", event("claude-code.bash-ls"))
    assert result.exit_code == 2 and "audit log" in result.stderr


def test_a_broken_home_config_is_refused(home: Home) -> None:
    home.config_path.write_text(home.config_path.read_text() + "\n[hooks]\nnope = 1\n")
    with pytest.raises(ConfigError):
        HookDecider.for_home(home.root)


def test_registered_agent_grant_applies(home: Home, tmp_path: Path) -> None:
    config = home.config_path
    config.write_text(config.read_text() + '\n[hooks]\nagent = "coder"\nenvironment = "dev"\n')
    decider = HookDecider.for_home(home.root)
    assert decider.settings.agent == "coder"
    assert _permission(decider, _bash("rm -rf build", tmp_path)) == "allow"


def test_ask_is_used_only_where_configured_and_expires_with_the_prompt(
    home: Home, tmp_path: Path
) -> None:
    config = home.config_path
    config.write_text(
        config.read_text()
        + '\n[hooks]\nenvironment = "staging"\nask_outside_production = true\nask_ttl = 60\n'
    )
    decider = HookDecider.for_home(home.root)
    answer = _write_env_file(decider, tmp_path)
    assert answer["hookSpecificOutput"]["permissionDecision"] == "ask"
    (request,) = ApprovalStore.for_home(home).requests()
    assert request.expires_at - request.created_at == pytest.approx(60)
