"""What a local snapshot plans to keep, and how its restore treats hostile archives: the
pure parts of hooks/_snapshot.py and hooks/_undo.py, with hypothesis for the targets."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlock.hooks._snapshot import CannotSnapshot, Plan, plan
from interlock.hooks._undo import _extract
from interlock.model import Action, ActionDecision, Decision, Outcome, Verb


def _decision(operation: str, *targets: str, verb: Verb = Verb.DESTRUCTIVE) -> Decision:
    action = Action("shell", operation, verb, tuple(targets), detail=operation)
    judged = ActionDecision(action, Outcome.ALLOW, ("x",), ("p",), ("snapshot",))
    return Decision(Outcome.ALLOW, verb, (judged,), ("x",), ("p",), ("snapshot",))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "src" / "feature").mkdir(parents=True)
    (root / "src" / "feature" / "a.py").write_text("a\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def test_git_commands_plan_the_repository_and_whether_refs_move(repo: Path) -> None:
    assert plan(_decision("shell:git reset"), str(repo)).repos == {str(repo): False}
    assert plan(_decision("shell:git reset", "HEAD~2"), str(repo)).repos == {str(repo): True}
    assert plan(_decision("shell:git clean"), str(repo)).repos == {str(repo): False}
    assert plan(_decision("shell:git branch", "topic"), str(repo)).repos == {str(repo): True}
    assert plan(_decision("shell:git stash drop"), str(repo / "src")).repos == {str(repo): True}


def test_a_delete_inside_a_repository_keeps_the_repository_work(repo: Path) -> None:
    planned = plan(_decision("shell:rm", "src/feature"), str(repo))
    assert planned.repos == {str(repo): False} and planned.paths == []


def test_a_delete_of_a_whole_repository_or_outside_git_keeps_the_files(
    repo: Path, tmp_path: Path
) -> None:
    (tmp_path / "loose").mkdir()
    planned = plan(_decision("shell:rm", "repo", "loose", "nothing-here"), str(tmp_path))
    assert planned.paths == [str(repo), str(tmp_path / "loose")]
    assert planned.missing == [str(tmp_path / "nothing-here")]


def test_reads_and_writes_in_the_same_command_plan_nothing(repo: Path) -> None:
    assert plan(_decision("shell:ls", "src", verb=Verb.READ), str(repo)).empty


def test_what_cannot_be_resolved_is_cannot_take(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(CannotSnapshot, match="cannot tell which path"):
        plan(_decision("shell:rm", "$DIR/x"), str(repo))
    with pytest.raises(CannotSnapshot, match="not inside a git repository"):
        plan(_decision("shell:git reset"), str(tmp_path))
    with pytest.raises(CannotSnapshot, match="working directory"):
        plan(_decision("shell:rm", "x"), "")


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    operation=st.sampled_from(["shell:rm", "shell:git reset", "shell:find -delete", "shell:x"]),
    targets=st.lists(st.text(max_size=30), max_size=4),
)
def test_any_target_is_planned_or_refused_never_a_crash(
    repo: Path, operation: str, targets: list[str]
) -> None:
    try:
        planned = plan(_decision(operation, *targets), str(repo))
    except CannotSnapshot:
        return  # the hook holds the command: fail closed
    assert isinstance(planned, Plan)
    for path in planned.paths:
        assert path.startswith("/")


def _tar(*members: tuple[str, bytes | None, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data, link in members:
            info = tarfile.TarInfo(name)
            if link:
                info.type, info.linkname = tarfile.SYMTYPE, link
                tar.addfile(info)
            else:
                info.size = len(data or b"")
                tar.addfile(info, io.BytesIO(data or b""))
    return buffer.getvalue()


def test_restore_never_writes_outside_its_directory(tmp_path: Path) -> None:
    base = tmp_path / "work"
    base.mkdir()
    (tmp_path / "outside").mkdir()
    archive = _tar(
        ("../escaped.txt", b"no", ""),
        ("/tmp/absolute.txt", b"no", ""),
        ("link", None, str(tmp_path / "outside")),
        ("link/through.txt", b"no", ""),
        ("fine/ok.txt", b"yes", ""),
    )
    lines = _extract(archive, str(base), label="work")
    assert (base / "fine" / "ok.txt").read_bytes() == b"yes"
    assert not (tmp_path / "escaped.txt").exists()
    assert not (tmp_path / "outside" / "through.txt").exists()
    assert any("skipped" in line for line in lines)


def test_restore_never_overwrites_a_file_changed_since(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("newer\n")
    lines = _extract(_tar(("a.txt", b"older\n", "")), str(tmp_path), label="work")
    assert (tmp_path / "a.txt").read_text() == "newer\n"
    assert any("a.txt left as it is" in line for line in lines)


def test_a_nested_repository_and_ignored_data_are_kept_whole(tmp_path: Path) -> None:
    """git folds a nested repository (and an ignored directory) into one `dir/` entry: the
    snapshot walks it, so `rm -rf` of its parent loses none of its files."""
    from interlock.home import init_home
    from interlock.hooks._snapshot import take
    from interlock.vault import open_vault

    outer = tmp_path / "outer"
    (outer / "vendor" / "lib" / "src").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(outer)], check=True)
    subprocess.run(["git", "init", "-q", str(outer / "vendor" / "lib")], check=True)
    (outer / "vendor" / "lib" / "src" / "x.py").write_text("x\n")
    (outer / ".gitignore").write_text("data/\n")
    (outer / "data").mkdir()
    (outer / "data" / "rows.csv").write_text("1,2\n")
    home, _ = init_home(tmp_path / "home")
    vault = open_vault(home)
    taken = take(vault, Plan(repos={str(outer): False}), 10**7, {"resource": "t"})
    with tarfile.open(
        fileobj=io.BytesIO(vault.read(vault.get(taken.id), "repo0.untracked.tar"))
    ) as tar:
        names = set(tar.getnames())
    assert "vendor/lib/src/x.py" in names and "vendor/lib/.git/HEAD" in names
    assert "data/rows.csv" in names
