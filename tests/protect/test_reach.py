"""Paths into Interlock that a command line hides: variables and `cd`, patterns, ancestors,
`find`, encoded text, literals split in code, files that run later, archives."""

from __future__ import annotations

import base64
import io
import os
import tarfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interlock.protect import installation_places, scan_shell
from interlock.protect._decode import joined_literals, literals
from interlock.protect._reach import expand_braces, find_reaches, pattern_reaches

PLACES = installation_places(None)
HOME = os.path.expanduser("~")


def _elsewhere() -> str:
    """A top-level directory holding none of Interlock's places (its code may live in a
    clone under /tmp or /srv, wherever the suite runs)."""
    from interlock.protect._reach import protected_paths

    held = [path for path, _ in protected_paths(PLACES, [])]
    for candidate in ("/srv", "/mnt", "/opt", "/var/tmp", "/tmp", "/media"):
        if not any(p == candidate or p.startswith(candidate + "/") for p in held):
            return candidate
    raise AssertionError("every candidate directory holds one of Interlock's places")


ELSEWHERE = _elsewhere()


def found(command: str, cwd: str | None = None) -> bool:
    return bool(scan_shell(command, PLACES, cwd=cwd))


def test_braces_expand_and_stay_bounded() -> None:
    assert expand_braces("~/.config/{interlock,x}") == ["~/.config/interlock", "~/.config/x"]
    assert len(expand_braces("{a,b}" * 20)) <= 64


@pytest.mark.parametrize(
    ("pattern", "below", "hit"),
    [
        (f"{HOME}/.config/inter*", False, True),
        (f"{HOME}/.conf*/interlock", False, True),
        (f"{HOME}/.config", True, True),  # an ancestor, removed with what is inside
        (f"{HOME}/.config", False, False),
        (f"{HOME}/*", True, False),  # `*` does not match a leading dot
        (f"{HOME}/.*", True, True),
        (f"{ELSEWHERE}/*", True, False),
    ],
)
def test_patterns_follow_the_shell(pattern: str, below: bool, hit: bool) -> None:
    from interlock.protect._reach import protected_paths

    paths = protected_paths(PLACES, [])
    assert (pattern_reaches(pattern, paths, below=below) is not None) is hit


def test_find_selects_by_name_and_root(tmp_path: Path) -> None:
    from interlock.protect._reach import protected_paths

    paths = protected_paths(PLACES, [str(tmp_path)])
    assert find_reaches(["find", "~", "-name", "interlock.db", "-delete"], "/", paths)
    assert find_reaches(["find", ".", "-name", "*.json", "-delete"], str(tmp_path), paths)
    assert not find_reaches(["find", ".", "-name", "*.pyc", "-delete"], str(tmp_path), paths)
    assert find_reaches(["find", ".", "!", "-name", "*.pyc", "-delete"], str(tmp_path), paths)
    assert not find_reaches(["find", ELSEWHERE, "-delete"], "/", paths)


def test_variables_and_directories_set_earlier_in_the_line() -> None:
    assert found("d=~/.config/interl; rm -rf ${d}ock")
    assert found("export D=$HOME/.config; rm -rf $D/interlock")
    assert found("cd ~/.config; rm -rf interlock")
    assert found("(cd ~ && rm -f .claude/settings.json)")
    assert not found("d=build; rm -rf $d")
    assert not found("cd src && rm -rf __pycache__")


def test_unknown_variables_are_left_alone() -> None:
    # Not a finding (the classifiers judge what they cannot resolve), and no crash.
    assert not found('rm -rf "$TARGET"')


@pytest.mark.parametrize(
    "hidden",
    [
        "rm -rf ~/.config/interlock",
        "interlock approvals approve apr_1",
        "echo '{}' > ~/.claude/settings.json",
    ],
)
def test_encoded_commands_are_decoded(hidden: str) -> None:
    b64 = base64.b64encode(hidden.encode()).decode()
    assert found(f"echo {b64} | base64 -d | sh")
    assert found(f"base64 --decode <<< {b64} | bash")
    assert found(f'eval "$(echo {b64} | base64 -d)"')
    assert found(f"xxd -r -p <<< {hidden.encode().hex()} | sh")
    assert found(f"rev <<< '{hidden[::-1]}' | sh")
    assert found(f"python3 -c \"import base64,os;os.system(base64.b64decode('{b64}'))\"")


def test_harmless_encoded_text_is_quiet() -> None:
    assert not found("echo aGVsbG8gd29ybGQ= | base64 -d")
    assert not found("echo 68656c6c6f | xxd -r -p")


def test_literals_joined_as_code_builds_paths() -> None:
    code = "os.path.join(os.path.expanduser('~'), '.config', 'interlock', 'keys')"
    assert "~/.config/interlock/keys" in set(joined_literals(literals(code)))
    assert ".interlock" in set(joined_literals([".inter", "lock"]))


@settings(max_examples=60)
@given(st.lists(st.integers(min_value=1, max_value=20), min_size=1, max_size=4, unique=True))
def test_a_path_split_anywhere_in_code_is_found(cuts: list[int]) -> None:
    target = "~/.config/interlock/state/interlock.db"
    points = sorted({c for c in cuts if c < len(target)})
    pieces = [target[a:b] for a, b in zip([0, *points], [*points, len(target)], strict=True)]
    code = " + ".join(repr(p) for p in pieces)
    assert found(f'python3 -c "import os; os.remove({code})"')


@pytest.mark.parametrize(
    "command",
    [
        "echo '* * * * * rm -rf ~/.config/interlock' > /tmp/cron && crontab /tmp/cron",
        "printf '[Service]\\nExecStart=/bin/rm -rf %h/.config/interlock\\n'"
        " > ~/.config/systemd/user/x.service",
        "cat > Makefile <<'EOF'\nall:\n\trm -rf ~/.config/interlock\nEOF",
        "echo 'unset INTERLOCK_HOME' >> ~/.bashrc",
        "echo 'alias interlock=true' >> ~/.zshrc",
    ],
)
def test_text_written_to_run_later_is_judged_now(command: str) -> None:
    assert found(command)


def test_archives_are_read_before_they_land(tmp_path: Path) -> None:
    def archive(name: str, member: str) -> Path:
        path = tmp_path / name
        with tarfile.open(path, "w") as handle:
            info = tarfile.TarInfo(member)
            info.size = 2
            handle.addfile(info, io.BytesIO(b"{}"))
        return path

    evil = archive("evil.tar", "interlock/interlock.toml")
    fine = archive("fine.tar", "nvim/init.lua")
    assert found(f"tar xf {evil} -C ~/.config")
    assert not found(f"tar xf {fine} -C ~/.config")
    assert found(f"tar xf {tmp_path}/missing.tar -C ~/.config")  # unreadable: fail closed
    assert not found(f"tar xzf {tmp_path}/missing.tar -C build", cwd=str(tmp_path))


@pytest.mark.parametrize(
    ("command", "hit"),
    [
        ("pkill -f 'hooks serve'", True),
        ("killall python3", True),
        ("pkill -f 'npm run dev'", False),
        ("kill 12345", False),
        ("CLAUDE_CONFIG_DIR=/tmp/c claude", True),
        ("export CODEX_HOME=/tmp/c", True),
        ("curl -X POST http://127.0.0.1:8787/v1/approvals/apr_1/approve", True),
        ("curl http://127.0.0.1:8787/v1/agents", False),
        ("curl -d '{}' http://127.0.0.1:8787/v1/agents", True),
        ("cp /bin/true ~/.local/bin/interlock", True),
        ("pip install -e /tmp/evil-interlock", True),
        ("pip install requests", False),
        ("alias interlock=true", True),
        ("alias ll='ls -la'", False),
    ],
)
def test_processes_variables_urls_and_installers(command: str, hit: bool) -> None:
    assert found(command) is hit
