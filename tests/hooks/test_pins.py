"""Pinning: drift in policies, interlock.toml or an agent's hook settings stops all but reads,
through the real hook client and daemon, until a human pins again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest

from interlock.home import Home, init_home
from interlock.hooks import install

from .conftest import run_client, start_daemon, stop_daemon


@pytest.fixture
def setup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Home, Path, subprocess.Popen[bytes]]]:
    monkeypatch.setenv("HOME", str(tmp_path / "user"))  # the agents' user-level settings
    (tmp_path / "user").mkdir()
    project = tmp_path / "project"
    project.mkdir()
    home, _ = init_home(tmp_path / "guard")
    install("claude-code", project=project, home=home.root)
    from interlock.hooks import pin

    pin(home, [project])
    daemon = start_daemon(home)
    try:
        yield home, project, daemon
    finally:
        stop_daemon(daemon)


def _bash(setup: tuple[Home, Path, object], command: str) -> tuple[str, str]:
    home, project, _ = setup
    event = {
        "session_id": "s",
        "cwd": str(project),
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": command},
    }
    result = run_client("claude-code", json.dumps(event).encode(), home=home.root, cwd=project)
    out = json.loads(result.stdout)["hookSpecificOutput"]
    return str(out["permissionDecision"]), str(out.get("permissionDecisionReason", ""))


def test_pinned_and_unchanged_work_passes(setup: tuple[Home, Path, object]) -> None:
    assert _bash(setup, "touch notes.txt")[0] == "allow"


def test_a_changed_policy_stops_everything_but_reads(setup: tuple[Home, Path, object]) -> None:
    home, _, _ = setup
    policy = next((home.root / "policies").glob("*.cedar"))
    policy.write_text(policy.read_text() + "\n// edited by someone\n")
    decision, reason = _bash(setup, "touch notes.txt")
    assert decision == "deny" and policy.name in reason and "interlock hooks pin" in reason
    assert _bash(setup, "ls -la")[0] == "allow"


def test_an_added_policy_file_is_drift(setup: tuple[Home, Path, object]) -> None:
    home, _, _ = setup
    (home.root / "policies" / "zz-allow-all.cedar").write_text(
        "permit(principal, action, resource);\n"
    )
    decision, reason = _bash(setup, "touch notes.txt")
    assert decision == "deny" and "policies" in reason


def test_hook_settings_drift_counts_only_what_decides_hooks(
    setup: tuple[Home, Path, object],
) -> None:
    _, project, _ = setup
    settings = project / ".claude" / "settings.json"
    body = json.loads(settings.read_text())
    body["model"] = "some-other-model"  # a person's preference: not drift
    settings.write_text(json.dumps(body))
    assert _bash(setup, "touch notes.txt")[0] == "allow"
    body["hooks"] = {}
    settings.write_text(json.dumps(body))
    decision, reason = _bash(setup, "touch notes.txt")
    assert decision == "deny" and "settings.json" in reason


def test_disabling_all_hooks_at_user_level_is_drift(setup: tuple[Home, Path, object]) -> None:
    user_settings = Path(os.environ["HOME"]) / ".claude" / "settings.json"
    user_settings.parent.mkdir(parents=True)
    user_settings.write_text(json.dumps({"disableAllHooks": True}))
    assert _bash(setup, "touch notes.txt")[0] == "deny"


def test_a_forged_pin_file_is_drift(setup: tuple[Home, Path, object]) -> None:
    home, _, _ = setup
    pins = home.database.parent / "pins.json"
    raw = json.loads(pins.read_text())
    raw["pins"]["files"] = {}
    pins.write_text(json.dumps(raw))
    decision, reason = _bash(setup, "touch notes.txt")
    assert decision == "deny" and "signature" in reason


def test_a_human_pins_again_and_work_resumes(setup: tuple[Home, Path, object]) -> None:
    home, project, _ = setup
    from interlock.identity import HumanRegistry, local_operator

    enrolment = HumanRegistry.for_home(home).add(
        local_operator(home), "alice", role="approver", password="correct horse battery staple"
    )
    policy = next((home.root / "policies").glob("*.cedar"))
    policy.write_text(policy.read_text() + "\n// reviewed change\n")
    assert _bash(setup, "touch notes.txt")[0] == "deny"
    cli = Path(sys.executable).parent / "interlock"
    refused = subprocess.run(
        [str(cli), "hooks", "pin", "--home", str(home.root)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 1 and "--user NAME" in refused.stderr
    pinned = subprocess.run(
        [
            str(cli),
            "hooks",
            "pin",
            "--home",
            str(home.root),
            "--project",
            str(project),
            "--user",
            "alice",
            "--password-stdin",
            "--code",
            pyotp.TOTP(enrolment.totp_secret).now(),
        ],
        input="correct horse battery staple\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert pinned.returncode == 0, pinned.stderr
    assert _bash(setup, "touch notes.txt")[0] == "allow"


def test_the_rules_file_is_pinned_and_a_humans_rule_keeps_the_pin(
    setup: tuple[Home, Path, object],
) -> None:
    home, _, _ = setup
    from interlock.identity import HumanRegistry, local_operator

    enrolment = HumanRegistry.for_home(home).add(
        local_operator(home), "alice", role="approver", password="correct horse battery staple"
    )
    cli = Path(sys.executable).parent / "interlock"

    def add_rule(pattern: str, step: int) -> subprocess.CompletedProcess[str]:
        # Each sign-in spends its TOTP step: the second one uses the next (one step of
        # clock drift is accepted).
        code = pyotp.TOTP(enrolment.totp_secret).at(time.time() + 30 * step)
        return subprocess.run(
            [
                *(str(cli), "rules", "add", pattern, "--risk", "write"),
                *("--home", str(home.root), "--user", "alice", "--password-stdin"),
                *("--code", code),
            ],
            input="correct horse battery staple\n",
            capture_output=True,
            text=True,
            check=False,
        )

    added = add_rule("rm -rf node_modules", 0)
    assert added.returncode == 0, added.stderr
    assert _bash(setup, "touch notes.txt")[0] == "allow"  # its own pin was taken again
    # Written behind Interlock's back (a route nobody foresaw): drift, and no human's rule
    # change accepts it along the way.
    home.rules_path.write_text(
        home.rules_path.read_text() + '\n[[rule]]\nmatch = "rm *"\nrisk = "read"\n'
    )
    decision, reason = _bash(setup, "touch notes.txt")
    assert decision == "deny" and "rules.toml" in reason
    refused = add_rule("rm -rf dist", 1)
    assert refused.returncode == 1 and "changed since it was pinned" in refused.stderr
