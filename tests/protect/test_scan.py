"""Finding attempts on Interlock itself in command lines, file paths and MCP arguments."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interlock.protect import Places, installation_places, scan_paths, scan_shell, tampering_actions

PLACES = installation_places(None)


def kinds(command: str, *, cwd: str | None = None, reads_only: bool = False) -> set[str]:
    return {f.kind for f in scan_shell(command, PLACES, cwd=cwd, reads_only=reads_only)}


@pytest.mark.parametrize(
    ("command", "kind"),
    [
        # switching the hook off through the shell (the guard's settings)
        ("cp /dev/null ~/.claude/settings.json", "guard"),
        ("echo '{}' > .claude/settings.local.json", "guard"),
        ("sed -i 's/interlock/true/' .claude/settings.json", "guard"),
        ("mv .claude/settings.json /tmp/x", "guard"),
        ("ln -sf /dev/null .claude/settings.json", "guard"),
        ("tee .cursor/hooks.json < /dev/null", "guard"),
        ("printf '{}' > .CLAUDE/settings.json", "guard"),
        ("cat > .mcp.json <<'EOF'\n{}\nEOF", "guard"),
        ("rm -rf ~/.codex", "guard"),
        ("echo x >> $HOME/.gemini/settings.json", "guard"),
        ("python3 - <<'EOF'\nopen('.claude/settings.json', 'w').write('{}')\nEOF", "guard"),
        # Interlock's state: any use
        ("mv .interlock/policies/protect-production.cedar /tmp/", "state"),
        (
            "cat > .interlock/policies/allow.cedar <<'EOF'\n"
            "permit(principal, action, resource);\nEOF",
            "state",
        ),
        (
            "sqlite3 .interlock/state/interlock.db "
            "\"UPDATE approval_requests SET status='approved'\"",
            "state",
        ),
        ("cat .interlock/keys/identity-master.key", "state"),
        ("base64 < .interlock/keys/audit-signing.key", "state"),
        ("cp -r ~/.config/interlock /tmp/stolen", "state"),
        ("kill $(cat .interlock/state/hooks.pid)", "state"),
        # the CLI deciding or administering, however invoked
        ("interlock approvals approve apr_0123456789abcdef", "cli"),
        ("sudo -E interlock approvals approve apr_1 --user root", "cli"),
        ("/opt/venv/bin/interlock agent create me --env production", "cli"),
        ("python -m interlock approvals approve apr_1", "cli"),
        ("python3 -m interlock.cli hooks uninstall claude-code", "cli"),
        ("bash -c 'interlock policy reload'", "cli"),
        ("nohup interlock init --force &", "cli"),
        ('eval "interlock approvals deny apr_1"', "cli"),
        ("find . -name x -exec interlock approvals approve apr_1 \\;", "cli"),
        ("git -c 'alias.x=!interlock approvals approve apr_1' x", "cli"),
        ("python -c 'from interlock.cli import main; main()'", "code"),
        # settings and processes
        ("export INTERLOCK_HOME=/tmp/fake", "env"),
        ("unset INTERLOCK_HOME", "env"),
        ("INTERLOCK_HOME=/tmp/x claude", "env"),
        ("echo 'export INTERLOCK_HOME=/tmp' >> ~/.zshenv", "env"),
        ("pkill -f 'interlock hooks serve'", "process"),
        ("systemctl stop interlock", "process"),
    ],
)
def test_attempts_are_found(command: str, kind: str) -> None:
    assert kind in kinds(command)


@pytest.mark.parametrize(
    "command",
    [
        "ls -la",
        "git status && git diff",
        "grep -rn 'interlock' src/",
        "cat .claude/settings.json",  # reading the settings is harmless
        "interlock check shell 'rm -rf /'",
        "interlock --home .interlock audit verify",
        "interlock approvals list",
        "interlock policy explain sql 'DROP TABLE t'",
        "interlock approve --help",
        'curl -H "Authorization: Bearer $INTERLOCK_AGENT_TOKEN" https://api.example.com',
        "export INTERLOCK_AGENT_TOKEN=ilk_x",
        "pkill -f vite",
        ".venv/bin/python -m pytest -q",
        "source .venv/bin/activate && pytest",
        "pip install -r requirements.txt",
        "echo 'claude settings are in .claude' > notes.txt",
    ],
)
def test_everyday_commands_are_not_attempts(command: str) -> None:
    reads_only = command.startswith(("ls", "git status", "grep", "cat", "interlock"))
    assert kinds(command, reads_only=reads_only) == set()


def test_a_symlink_made_earlier_is_resolved(tmp_path: Path) -> None:
    settings_dir = tmp_path / ".claude"
    settings_dir.mkdir()
    (tmp_path / "innocent").symlink_to(settings_dir)
    found = kinds("echo '{}' > innocent/settings.json", cwd=str(tmp_path))
    assert found == {"guard"}
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (tmp_path / "plain").symlink_to(outside)
    assert kinds("echo '{}' > plain/settings.json", cwd=str(tmp_path)) == set()


def test_a_configured_home_anywhere_is_protected(tmp_path: Path) -> None:
    home = tmp_path / "ops" / "guard-home"
    home.mkdir(parents=True)
    places = installation_places(home)
    command = f"sqlite3 {home}/state/interlock.db .dump"
    assert {f.kind for f in scan_shell(command, places)} == {"state"}
    os.symlink(home, tmp_path / "h")
    relative = "cat h/keys/audit-signing.key"
    assert {f.kind for f in scan_shell(relative, places, cwd=str(tmp_path))} == {"state"}


def test_scripts_and_makefiles_it_runs_are_read(tmp_path: Path) -> None:
    (tmp_path / "fix.sh").write_text('#!/bin/sh\ninterlock approvals approve "$1"\n')
    (tmp_path / "Makefile").write_text("x:\n\tcp /dev/null .claude/settings.json\n")
    (tmp_path / "tool.py").write_text(
        "import subprocess\nsubprocess.run(['cat', '.interlock/keys/k'])\n"
    )
    cwd = str(tmp_path)
    assert "cli" in kinds("./fix.sh apr_1", cwd=cwd)
    assert "cli" in kinds("bash fix.sh apr_1", cwd=cwd)
    assert "guard" in kinds("make x", cwd=cwd)
    assert "state" in kinds("python tool.py", cwd=cwd)


def test_file_tools_and_mcp_arguments() -> None:
    assert {f.kind for f in scan_paths([".claude/settings.json"], PLACES)} == {"guard"}
    assert scan_paths([".claude/settings.json"], PLACES, change=False) == []
    assert {f.kind for f in scan_paths([".interlock/keys/x"], PLACES, change=False)} == {"state"}
    actions = tampering_actions(
        "mcp",
        {"tool": "write_file", "arguments": {"path": "/repo/.mcp.json", "content": "{}"}},
        PLACES,
    )
    assert [a.operation for a in actions] == ["interlock:guard"]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_scanning_never_raises(text: str) -> None:
    scan_shell(text, PLACES)


_WORDS = st.sampled_from(["echo", "printf", "cat", "tee", "cp", "x", "-f", "--force", "a b"])


@settings(max_examples=200, deadline=None)
@given(st.lists(_WORDS, min_size=1, max_size=5), st.sampled_from([">", ">>", "&>"]))
def test_a_redirect_into_the_guard_is_found_whatever_comes_before(
    words: list[str], op: str
) -> None:
    command = " ".join(f"'{w}'" if " " in w else w for w in words) + f" {op} .claude/settings.json"
    assert "guard" in kinds(command)


def test_places_are_case_folded() -> None:
    places = Places(state_roots=("/srv/guard",), guard_roots=())
    assert {f.kind for f in scan_shell("cat /SRV/Guard/keys/x", places)} == {"state"}


def test_a_home_directory_word_with_a_nul_byte_is_judged_not_raised() -> None:
    # Hypothesis found `~a\x00b`: expanding `~user` asked the password database with a NUL.
    assert kinds("cat ~a\x00b/.claude/settings.json", reads_only=True) == set()
    assert kinds("cp x ~a\x00b/.claude/settings.json") == set()  # the program sees `~a`
    assert kinds("cp x .claude/settings.json\x00junk") == {"guard"}
