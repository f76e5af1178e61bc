"""A newcomer's first hour at the command line: the home found from inside it, `init`
saying how to point other shells at it, `scan` knowing Interlock's own keys, `user add`
without a terminal, shell completion."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.cli.conftest import CLI

INTERLOCK = [sys.executable, "-c", "from interlock.cli import main; main()"]


def test_init_says_how_to_point_other_shells_at_the_home(cli: CLI, tmp_path: Path) -> None:
    home = tmp_path / "ops-home"
    result = cli("init", "--home", str(home))
    assert result.code == 0
    text = " ".join(result.out.split())
    assert f"--home {home}" in text and f"INTERLOCK_HOME={home}" in text
    as_json = json.loads(cli("init", "--home", str(home), "--json").out)
    assert as_json["home"] == str(home) and as_json["export"] == f"INTERLOCK_HOME={home}"


def test_a_home_is_found_from_inside_it_by_the_real_process(tmp_path: Path) -> None:
    home = tmp_path / "X"
    env = {k: v for k, v in os.environ.items() if k != "INTERLOCK_HOME"}
    subprocess.run(
        [*INTERLOCK, "init", "--home", str(home)], check=True, env=env, capture_output=True
    )
    done = subprocess.run(
        [*INTERLOCK, "audit", "verify"], cwd=home, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "no Interlock home" not in done.stderr


def test_scan_knows_interlocks_own_keys(cli: CLI, tmp_path: Path) -> None:
    home = tmp_path / "h"
    assert cli("init", "--home", str(home)).code == 0
    clean = cli("scan", str(home))
    assert clean.code == 0, clean.out
    assert "no exposed credentials found" in clean.out
    assert "audit-signing.key is Interlock's own key" in " ".join(clean.out.split())
    # the same key material anywhere else is an exposed credential
    stray = tmp_path / "stray.key"
    stray.write_bytes((home / "keys" / "audit-signing.key").read_bytes())
    found = cli("scan", str(stray))
    assert found.code == 1 and "private-key" in found.out
    # a file merely named like a key, outside a home's keys/, is not exempt either
    fake = tmp_path / "keys" / "audit-signing.key"
    fake.parent.mkdir()
    fake.write_bytes(stray.read_bytes())
    assert cli("scan", str(fake)).code == 1


def test_user_add_without_a_terminal_says_to_use_password_stdin(cli: CLI, tmp_path: Path) -> None:
    home = str(tmp_path / "h")
    assert cli("init", "--home", home).code == 0
    result = cli("user", "add", "alice", "--home", home)  # stdin is not a terminal here
    assert result.code == 1
    assert "--password-stdin" in result.err and result.err.count("\n") == 1
    empty = cli("user", "add", "alice", "--password-stdin", "--home", home, stdin="")
    assert empty.code == 1 and "held no password" in empty.err
    added = cli(
        "user", "add", "alice", "--password-stdin", "--json", "--home", home, stdin="pw-123456789\n"
    )
    assert added.code == 0 and json.loads(added.out)["name"] == "alice"


def test_completion_scripts(cli: CLI) -> None:
    for shell in ("bash", "zsh", "fish"):
        result = cli("completion", shell)
        assert result.code == 0 and "_INTERLOCK_COMPLETE" in result.out
    assert cli("completion", "tcsh").code == 1


def test_the_shell_asks_and_interlock_completes(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "_INTERLOCK_COMPLETE": "complete_bash",
        "COMP_WORDS": "interlock approvals app",
        "COMP_CWORD": "2",
    }
    script = Path(sys.executable).parent / "interlock"  # the console script, as installed
    done = subprocess.run([str(script)], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.split() == ["approve"]
