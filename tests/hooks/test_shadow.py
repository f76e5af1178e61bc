"""Shadow mode in the coding-agent hooks, through the real hook client and daemon: holds
and refusals are recorded as they would have been and the tool runs; attempts on Interlock
(its home, its rules file, its hook settings) are refused all the same."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from interlock.home import Home, init_home

from .conftest import run_client, start_daemon, stop_daemon


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Home, Path]]:
    workspace = tmp_path_factory.mktemp("shadow") / "project"
    (workspace / ".claude").mkdir(parents=True)
    (workspace / ".claude" / "settings.json").write_text('{"hooks": {}}')
    home, _ = init_home(workspace / ".interlock")
    home.config_path.write_text(
        home.config_path.read_text()
        + '\n[hooks]\nenvironment = "production"\n\n[enforcement]\nhooks = "shadow"\n'
    )
    daemon = start_daemon(home)
    try:
        yield home, workspace
    finally:
        stop_daemon(daemon)


def _ask(setup: tuple[Home, Path], command: str) -> tuple[str, str]:
    home, workspace = setup
    event = {
        "session_id": "shadow",
        "cwd": str(workspace),
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": command},
    }
    result = run_client("claude-code", json.dumps(event).encode(), home=home.root, cwd=workspace)
    out = json.loads(result.stdout)["hookSpecificOutput"]
    return str(out["permissionDecision"]), str(out.get("permissionDecisionReason", ""))


def _last_decision(home: Home) -> dict[str, object]:
    return dict([r for r in home.audit_log().records() if r.type == "decision"][-1].body)


def test_a_production_hold_runs_and_is_recorded_as_it_would_have_been(
    setup: tuple[Home, Path],
) -> None:
    decision, reason = _ask(setup, "rm -rf data")
    assert decision == "allow" and "shadow mode" in reason, reason
    record = _last_decision(setup[0])
    assert record["shadow"] is True and record["enforced"] == "allow"
    assert record["decision"]["decision"] == "hold"  # type: ignore[index]


@pytest.mark.parametrize(
    "command",
    [
        "echo '[[rule]]' >> .interlock/policies/rules.toml",
        "rm -rf .interlock",
        "cp /dev/null .claude/settings.json",
        "interlock rules add 'rm *' --risk read",
    ],
)
def test_attempts_on_interlock_are_refused_in_shadow_mode_too(
    setup: tuple[Home, Path], command: str
) -> None:
    decision, reason = _ask(setup, command)
    assert decision == "deny", reason
    record = _last_decision(setup[0])
    assert record["shadow"] is True and record["enforced"] == "deny"
