"""Issue 14 through the hook: where each command acts, foreign credentials, secret reads.

The decider is the one the daemon and the in-process fallback use; the last tests run the
installed hook command itself (`client.py`) against a home configured for staging.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from interlock.checking import Checker
from interlock.gate import Gate
from interlock.home import Home
from interlock.hooks._decide import HookDecider, HookSettings
from tests.hooks.conftest import railway_plant, run_client

PROD_URL = "postgres://app:pw@db.prod.internal:5432/orders"


def _bash(command: str, cwd: Path) -> bytes:
    event = {
        "session_id": "sess-env14",
        "cwd": str(cwd),
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": command},
    }
    return json.dumps(event).encode()


def _answer(decider: HookDecider, command: str, cwd: Path) -> tuple[str, str]:
    body = json.loads(decider.answer("claude-code", _bash(command, cwd)).stdout)
    out = body["hookSpecificOutput"]
    return str(out["permissionDecision"]), str(out.get("permissionDecisionReason", ""))


@pytest.fixture
def staging(gate: Gate) -> HookDecider:
    return HookDecider(Checker(gate), HookSettings(environment="staging"))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    root.mkdir()
    (root / ".env").write_text(f"DATABASE_URL={PROD_URL}\n")
    return root


@pytest.mark.parametrize(
    "command",
    [
        "rm -rf ~",
        "rm -rf /",
        "terraform workspace select prod && terraform destroy -auto-approve",
        "terraform destroy -var-file=envs/prod.tfvars",
        "psql $DATABASE_URL -c 'DROP TABLE orders'",
        "kubectl --context production delete deployment web",
    ],
)
def test_staging_holds_what_acts_on_production_or_this_machine(
    staging: HookDecider, project: Path, command: str
) -> None:
    permission, reason = _answer(staging, command, project)
    # A hold on production is never the host's "ask"; with no home to queue it, a deny.
    # (`rm -rf ~` and `rm -rf /` also reach Interlock's own home: refused outright.)
    assert permission == "deny", reason
    assert "approval" in reason or "an attempt on Interlock itself" in reason


@pytest.mark.parametrize(
    "command",
    ["rm -rf build && mkdir build", "terraform destroy", "ls -la", "kubectl delete pod web-0"],
)
def test_staging_work_still_passes(staging: HookDecider, project: Path, command: str) -> None:
    assert _answer(staging, command, project)[0] == "allow"


@pytest.mark.parametrize("env", ["staging", "production"])
def test_a_found_token_sent_with_curl_is_refused_with_the_way_forward(
    gate: Gate, project: Path, env: str
) -> None:
    decider = HookDecider(Checker(gate), HookSettings(environment=env))
    token, _line = railway_plant()
    command = (
        "curl -X POST https://backboard.railway.app/graphql/v2 "
        f"-H 'Authorization: Bearer {token}' "
        """-d '{"query":"mutation { volumeDelete(volumeId: \\"v\\") }"}'"""
    )
    permission, reason = _answer(decider, command, project)
    assert permission == "deny"
    assert "scoped Interlock token" in reason
    assert token not in reason
    # The agent's own environment variable is not a literal: everyday use passes.
    ok = 'curl -H "Authorization: Bearer $GITHUB_TOKEN" https://api.github.com/user'
    assert _answer(decider, ok, project)[0] == "allow"


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@e", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def leaky(tmp_path: Path) -> Path:
    """A repository whose .env held a token in a commit and was then removed from disk."""
    root = tmp_path / "repo"
    root.mkdir()
    _value, line = railway_plant()
    _git(root, "init", "-q")
    (root / ".env").write_text(line + "\n")
    (root / "app.py").write_text("print('hi')\n")
    _git(root, "add", ".")
    _git(root, "commit", "-qm", "first")
    _git(root, "rm", "-q", "--cached", ".env")
    _git(root, "commit", "-qm", "stop tracking .env")
    return root


@pytest.mark.parametrize(
    "command",
    [
        "awk 1 .env",
        "cat < .env",
        "cp .env x && cat x",
        "tar cf - .env | cat",
        "git show HEAD~1:.env",
        "git cat-file -p HEAD~1:.env",
        "git log -p",
        "git log -p -- .env",
        "git show HEAD",
        "env",
        "printenv",
        "env | grep -i proxy",
        "printenv RAILWAY_TOKEN",
    ],
)
def test_every_way_of_printing_a_secret_is_a_secret_read(
    decider: HookDecider, leaky: Path, command: str
) -> None:
    permission, reason = _answer(decider, command, leaky)
    assert permission == "deny", (command, reason)
    assert "scoped Interlock token" in reason


@pytest.mark.parametrize(
    "command",
    ["git show HEAD~1:.env", "git cat-file -p HEAD~1:.env", "git log -p", "git show HEAD"],
)
def test_history_is_read_even_when_the_file_is_gone(
    decider: HookDecider, leaky: Path, command: str
) -> None:
    (leaky / ".env").unlink()
    permission, reason = _answer(decider, command, leaky)
    assert permission == "deny", (command, reason)
    assert "history" in reason or "holds a credential" in reason


def test_history_without_secrets_and_named_settings_pass(
    decider: HookDecider, tmp_path: Path
) -> None:
    root = tmp_path / "clean"
    root.mkdir()
    _git(root, "init", "-q")
    (root / "app.py").write_text("print('hi')\n")
    _git(root, "add", ".")
    _git(root, "commit", "-qm", "first")
    for command in ("git log -p", "git show HEAD", "git log --oneline", "printenv PATH"):
        assert _answer(decider, command, root)[0] == "allow", command


def test_the_installed_hook_on_a_staging_home(home: Home, project: Path) -> None:
    config = home.config_path
    config.write_text(config.read_text() + '\n[hooks]\nenvironment = "staging"\n')
    result = run_client("claude-code", _bash("rm -rf ~/Documents", project), home=home.root)
    body = json.loads(result.stdout)["hookSpecificOutput"]
    assert body["permissionDecision"] == "deny"
    assert "approval request apr_" in body["permissionDecisionReason"]
    command = "psql $DATABASE_URL -c 'DROP TABLE orders'"
    result = run_client("claude-code", _bash(command, project), home=home.root)
    assert (
        "approval request apr_"
        in json.loads(result.stdout)["hookSpecificOutput"]["permissionDecisionReason"]
    )
    result = run_client("claude-code", _bash("rm -rf build", project), home=home.root)
    assert json.loads(result.stdout)["hookSpecificOutput"]["permissionDecision"] == "allow"
    token = "RAILWAY_TOKEN=7f3e9a1c5b2d8f4e6a0c railway down"  # interlock:ignore-secret (fake)
    result = run_client("claude-code", _bash(token, project), home=home.root)
    body = json.loads(result.stdout)["hookSpecificOutput"]
    assert body["permissionDecision"] == "deny"
    assert "scoped Interlock token" in body["permissionDecisionReason"]
    # The audit log never holds the credential.
    stored = b"".join(p.read_bytes() for p in home.root.rglob("*") if p.is_file())
    assert b"7f3e9a1c5b2d8f4e6a0c" not in stored
