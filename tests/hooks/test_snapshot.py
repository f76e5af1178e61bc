"""Local snapshots through the real hook client and daemon, real git repositories, and the
real `interlock undo`: an allowed `git reset --hard`, `rm -rf src/feature`, `git branch -D`,
`git stash drop`, `rm -rf DIR` outside git; build outputs are not saved; an oversize
workspace is held; the vault itself is out of the agent's reach."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from interlock.approvals import ApprovalStore
from interlock.home import Home, init_home
from interlock.model import Human
from interlock.vault import open_vault

from .conftest import run_client, start_daemon, stop_daemon

INTERLOCK = Path(sys.executable).with_name("interlock")


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@example.com"}
    env |= {"GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@example.com"}
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=True
    )
    return done.stdout


def _run(repo: Path, command: str) -> None:
    """What the agent's shell does once the hook allowed it."""
    subprocess.run(["bash", "-c", command], cwd=repo, check=True, capture_output=True)


@pytest.fixture(scope="module")
def guard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Home]:
    base = tmp_path_factory.mktemp("snapshots")
    home, _ = init_home(base / "home" / ".interlock")
    home.config_path.write_text(
        home.config_path.read_text()
        + '\n[hooks]\nenvironment = "staging"\nworkspace_environment = "development"\n'
        "snapshot_limit = 200000\n"
    )
    daemon = start_daemon(home)
    try:
        yield home
    finally:
        stop_daemon(daemon)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A project with committed files, uncommitted changes, untracked work, build outputs."""
    root = tmp_path / "project"
    (root / "src" / "feature").mkdir(parents=True)
    (root / "src" / "feature" / "core.py").write_text("def core():\n    return 1\n")
    (root / "app.py").write_text("print('v1')\n")
    (root / ".gitignore").write_text(".env\nbuild/\n")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", ".")
    _git(root, "commit", "-qm", "first")
    (root / "app.py").write_text("print('v2: uncommitted')\n")
    (root / "src" / "feature" / "core.py").write_text("def core():\n    return 2  # wip\n")
    (root / "src" / "feature" / "new_part.py").write_text("PART = 'untracked'\n")
    (root / "notes.md").write_text("untracked notes\n")
    (root / ".env").write_text("DATABASE_URL=postgres://local/dev\n")  # ignored, but data
    for junk in ("node_modules/left-pad/index.js", "build/out.bin", "src/__pycache__/x.pyc"):
        (root / junk).parent.mkdir(parents=True, exist_ok=True)
        (root / junk).write_bytes(b"\0" * 1000)
    return root


def _ask(home: Home, repo: Path, command: str) -> tuple[str, str]:
    event = {
        "session_id": "snap",
        "cwd": str(repo),
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": command},
    }
    result = run_client("claude-code", json.dumps(event).encode(), home=home.root, cwd=repo)
    out = json.loads(result.stdout)["hookSpecificOutput"]
    return str(out["permissionDecision"]), str(out.get("permissionDecisionReason", ""))


def _last_decision(home: Home) -> tuple[int, dict[str, object]]:
    record = [r for r in home.audit_log().records() if r.type == "decision"][-1]
    return record.seq, dict(record.body)


def _undo(home: Home, seq: int) -> dict[str, object]:
    done = subprocess.run(
        [str(INTERLOCK), "undo", str(seq), "--json", "--home", str(home.root)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    return dict(json.loads(done.stdout))


def _allowed_with_snapshot(home: Home, repo: Path, command: str) -> int:
    decision, reason = _ask(home, repo, command)
    assert decision == "allow", reason
    assert "Snapshot" in reason, reason
    seq, body = _last_decision(home)
    assert body["snapshot"]["id"], body  # type: ignore[index]
    return seq


def test_git_reset_hard_is_undone(guard: Home, repo: Path) -> None:
    seq = _allowed_with_snapshot(guard, repo, "git reset --hard")
    _run(repo, "git reset --hard && git clean -fdq")
    assert (repo / "app.py").read_text() == "print('v1')\n"
    assert not (repo / "notes.md").exists()
    summary = _undo(guard, seq)
    assert summary["undone"] == seq
    assert (repo / "app.py").read_text() == "print('v2: uncommitted')\n"
    assert (repo / "src" / "feature" / "core.py").read_text().endswith("2  # wip\n")
    assert (repo / "notes.md").read_text() == "untracked notes\n"
    assert (repo / "src" / "feature" / "new_part.py").exists()
    undo = [r for r in guard.audit_log().records() if r.type == "undo"][-1].body
    assert undo["status"] == "done" and undo["decision_seq"] == seq


def test_rm_rf_of_a_directory_in_git_is_undone(guard: Home, repo: Path) -> None:
    seq = _allowed_with_snapshot(guard, repo, "rm -rf src/feature")
    _run(repo, "rm -rf src/feature")
    _undo(guard, seq)
    assert (repo / "src" / "feature" / "core.py").read_text().endswith("2  # wip\n")
    assert (repo / "src" / "feature" / "new_part.py").read_text() == "PART = 'untracked'\n"
    assert (repo / "app.py").read_text() == "print('v2: uncommitted')\n"  # untouched


def test_build_outputs_are_not_saved_but_data_is(guard: Home, repo: Path) -> None:
    _allowed_with_snapshot(guard, repo, "git clean -fdx")
    _seq, body = _last_decision(guard)
    vault = open_vault(guard)
    snapshot = vault.get(body["snapshot"]["id"])  # type: ignore[index]
    data = vault.read(snapshot, "repo0.untracked.tar")
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        names = set(tar.getnames())
    assert {"notes.md", "src/feature/new_part.py", ".env"} <= names
    assert not any(n.startswith(("node_modules", "build", "src/__pycache__")) for n in names)


def test_undo_leaves_files_changed_since_alone(guard: Home, repo: Path) -> None:
    seq = _allowed_with_snapshot(guard, repo, "git checkout -- app.py")
    _run(repo, "git checkout -- app.py && echo 'print(3)' > app.py && rm notes.md")
    result = _undo(guard, seq)
    assert (repo / "app.py").read_text() == "print(3)\n"  # the human's later change stays
    assert (repo / "notes.md").exists()
    assert any("app.py left as it is" in line for line in result["summary"])  # type: ignore[attr-defined]


def test_branch_deletion_and_history_rewrite_are_undone(guard: Home, repo: Path) -> None:
    _git(repo, "checkout", "-qb", "topic")
    _git(repo, "commit", "-qam", "topic work")
    topic = _git(repo, "rev-parse", "topic").strip()
    _git(repo, "checkout", "-q", "main")
    seq = _allowed_with_snapshot(guard, repo, "git branch -D topic")
    _run(
        repo, "git branch -D topic && git reflog expire --expire=now --all && git gc -q --prune=now"
    )
    assert _git(repo, "branch", "--list", "topic") == ""
    _undo(guard, seq)
    assert _git(repo, "rev-parse", "topic").strip() == topic
    assert "topic work" in _git(repo, "log", "-1", "--format=%s", "topic")


def test_reset_to_an_earlier_commit_is_undone(guard: Home, repo: Path) -> None:
    _git(repo, "commit", "-qam", "second")
    second = _git(repo, "rev-parse", "HEAD").strip()
    (repo / "app.py").write_text("print('after second')\n")
    seq = _allowed_with_snapshot(guard, repo, "git reset --hard HEAD~1")
    _run(repo, "git reset --hard HEAD~1")
    _undo(guard, seq)
    assert _git(repo, "rev-parse", "HEAD").strip() == second
    assert (repo / "app.py").read_text() == "print('after second')\n"


def test_stash_drop_is_undone(guard: Home, repo: Path) -> None:
    _git(repo, "stash", "push", "-q", "-m", "precious")
    seq = _allowed_with_snapshot(guard, repo, "git stash drop")
    _run(repo, "git stash drop -q")
    assert _git(repo, "stash", "list") == ""
    _undo(guard, seq)
    assert "precious" in _git(repo, "stash", "list")


def test_rm_rf_outside_git_is_undone_from_a_tar(guard: Home, tmp_path: Path) -> None:
    work = tmp_path / "scratchpad"
    (work / "data" / "deep").mkdir(parents=True)
    (work / "data" / "deep" / "results.csv").write_text("a,b\n1,2\n")
    (work / "data" / "keep.txt").write_text("keep\n")
    (work / "data" / "node_modules").mkdir()
    (work / "data" / "node_modules" / "big.js").write_bytes(b"x" * 5000)
    seq = _allowed_with_snapshot(guard, work, "rm -rf data")
    _run(work, "rm -rf data")
    _undo(guard, seq)
    assert (work / "data" / "deep" / "results.csv").read_text() == "a,b\n1,2\n"
    assert (work / "data" / "keep.txt").read_text() == "keep\n"
    assert not (work / "data" / "node_modules").exists()  # rebuilt by the project's tooling


def test_an_oversize_workspace_is_held_with_that_reason(guard: Home, repo: Path) -> None:
    (repo / "dataset.bin").write_bytes(os.urandom(300_000))  # over snapshot_limit
    decision, reason = _ask(guard, repo, "git reset --hard")
    assert decision == "deny", reason  # a hold: no ask is configured, so the agent is told
    assert "snapshot limit" in reason and "approval request" in reason, reason
    _seq, body = _last_decision(guard)
    assert "safeguard-unavailable" in body["decision"]["policies"]  # type: ignore[index]


def test_a_repository_whose_config_runs_programs_is_held(guard: Home, repo: Path) -> None:
    _git(repo, "config", "filter.evil.clean", "touch /tmp/interlock-should-not-run")
    decision, reason = _ask(guard, repo, "git reset --hard")
    assert decision == "deny" and "runs programs" in reason, reason


def test_an_agent_command_touching_the_vault_is_refused(guard: Home, repo: Path) -> None:
    vault = guard.vault_dir
    for command in (f"ls {vault}", f"rm -rf {vault}/manifests", f"cat {vault}/objects/*/*"):
        decision, reason = _ask(guard, repo, command)
        assert decision == "deny", (command, reason)
        assert "Interlock" in reason


def test_reads_and_ordinary_writes_take_no_snapshot(guard: Home, repo: Path) -> None:
    for command in ("git status", "ls -la", "echo hi > scratch.txt", "rm -rf node_modules"):
        decision, reason = _ask(guard, repo, command)
        assert decision == "allow" and "Snapshot" not in reason, (command, reason)
        _seq, body = _last_decision(guard)
        assert "snapshot" not in body


def test_on_production_an_approved_reset_runs_after_a_snapshot(tmp_path: Path, repo: Path) -> None:
    """The production permit names a snapshot too: it is taken once a human approved, as a
    `safeguard` record of the held decision, and `interlock undo` finds it by that id."""
    home, _ = init_home(tmp_path / "prod" / ".interlock")
    home.config_path.write_text(
        home.config_path.read_text() + '\n[hooks]\nenvironment = "production"\n'
    )
    daemon = start_daemon(home)
    try:
        decision, reason = _ask(home, repo, "git reset --hard")
        assert decision == "deny" and "approval request" in reason, reason
        held_seq, _ = _last_decision(home)
        store = ApprovalStore.for_home(home)
        (request,) = store.requests()
        assert "snapshot" in request.detail["safeguards"]  # shown, and really taken below
        store.approve(request.id, Human("alice", "approver"), "checked")
        decision, reason = _ask(home, repo, "git reset --hard")
        assert decision == "allow" and "Snapshot" in reason, reason
        seq, _ = _last_decision(home)
        taken = [r for r in home.audit_log().records() if r.type == "safeguard"][-1].body
        assert taken["status"] == "taken" and taken["decision_seq"] == seq != held_seq
    finally:
        stop_daemon(daemon)
    _run(repo, "git reset --hard")
    _undo(home, seq)
    assert (repo / "app.py").read_text() == "print('v2: uncommitted')\n"


def test_undo_refuses_a_repository_configured_since_to_run_programs(
    guard: Home, repo: Path
) -> None:
    """An agent that adds a smudge filter after the snapshot would have the human's undo
    run its program (apply and checkout-index run filters): undo refuses instead."""
    seq = _allowed_with_snapshot(guard, repo, "git reset --hard")
    _run(repo, "git reset --hard")
    _git(repo, "config", "filter.x.smudge", "touch /tmp/interlock-undo-should-not-run")
    done = subprocess.run(
        [str(INTERLOCK), "undo", str(seq), "--home", str(guard.root)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0 and "runs programs" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert (repo / "app.py").read_text() == "print('v1')\n"
