"""`interlock hooks install / uninstall`: merged into existing settings, idempotent, reversible."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from interlock.errors import ConfigError
from interlock.hooks._install import MARKER, install, installed, settings_file, uninstall

USER_HOOK = {"type": "command", "command": "~/bin/lint.sh", "timeout": 10}
EXISTING: dict[str, dict[str, Any]] = {
    "claude-code": {
        "permissions": {"allow": ["Bash(ls:*)"]},
        "hooks": {
            "PreToolUse": [{"matcher": "Bash", "hooks": [USER_HOOK]}],
            "PostToolUse": [{"matcher": "Write", "hooks": [USER_HOOK]}],
        },
    },
    "codex": {"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [USER_HOOK]}]}},
    "cursor": {
        "version": 1,
        "hooks": {
            "beforeShellExecution": [{"command": "./audit.sh"}],
            "afterFileEdit": [{"command": "./format.sh"}],
        },
    },
    "gemini": {
        "theme": "GitHub",
        "hooks": {"BeforeTool": [{"matcher": "write_file", "hooks": [USER_HOOK]}]},
    },
}
AGENTS = list(EXISTING)


def _load(path: Path) -> dict[str, object]:
    return json.loads(path.read_text())  # type: ignore[no-any-return]


@pytest.mark.parametrize("agent", AGENTS)
def test_install_preserves_existing_hooks_and_uninstall_restores_them(
    agent: str, tmp_path: Path
) -> None:
    path = settings_file(agent, tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(EXISTING[agent], indent=4))
    home = tmp_path / ".interlock"

    first = install(agent, project=tmp_path, home=home)
    assert first.changed and first.backup is not None
    assert json.loads(first.backup.read_text()) == EXISTING[agent]
    merged = _load(path)
    text = json.dumps(merged)
    assert text.count(MARKER) == (3 if agent == "cursor" else 1)
    assert "~/bin/lint.sh" in text or "./audit.sh" in text
    assert installed(agent, tmp_path)
    for key, value in EXISTING[agent].items():
        if key != "hooks":
            assert merged[key] == value

    again = install(agent, project=tmp_path, home=home)
    assert not again.changed and _load(path) == merged

    removed = uninstall(agent, project=tmp_path)
    assert removed.changed
    assert _load(path) == EXISTING[agent]
    assert not installed(agent, tmp_path)
    assert not uninstall(agent, project=tmp_path).changed


def test_claude_code_entry_is_the_documented_shape(tmp_path: Path) -> None:
    install("claude-code", project=tmp_path, home=tmp_path / "h", python="/venv/bin/python")
    settings = _load(tmp_path / ".claude/settings.json")
    group = settings["hooks"]["PreToolUse"][0]  # type: ignore[index]
    assert group["matcher"] == "*"
    (hook,) = group["hooks"]
    assert hook["type"] == "command" and hook["timeout"] == 30
    assert hook["command"].startswith("/venv/bin/python -I -S ")
    assert hook["command"].endswith(f"client.py claude-code --home {tmp_path / 'h'}")


def test_cursor_entries_fail_closed(tmp_path: Path) -> None:
    install("cursor", project=tmp_path, home=None)
    settings = _load(tmp_path / ".cursor/hooks.json")
    assert settings["version"] == 1
    hooks = settings["hooks"]
    assert isinstance(hooks, dict)
    assert set(hooks) == {"beforeShellExecution", "beforeMCPExecution", "beforeReadFile"}
    for entries in hooks.values():
        assert entries[0]["failClosed"] is True and entries[0]["timeout"] == 30


def test_gemini_timeout_is_in_milliseconds(tmp_path: Path) -> None:
    install("gemini", project=tmp_path, home=None)
    group = _load(tmp_path / ".gemini/settings.json")["hooks"]["BeforeTool"][0]  # type: ignore[index]
    assert "matcher" not in group
    assert group["hooks"][0]["timeout"] == 30000 and group["hooks"][0]["name"] == "interlock"


def test_codex_file_holds_only_hooks(tmp_path: Path) -> None:
    install("codex", project=tmp_path, home=None)
    settings = _load(tmp_path / ".codex/hooks.json")
    assert set(settings) == {"hooks"}
    assert "matcher" not in settings["hooks"]["PreToolUse"][0]  # type: ignore[index]


def test_a_moved_virtualenv_is_replaced_not_duplicated(tmp_path: Path) -> None:
    install("claude-code", project=tmp_path, home=None, python="/old/bin/python")
    result = install("claude-code", project=tmp_path, home=None, python="/new/bin/python")
    assert result.changed
    text = (tmp_path / ".claude/settings.json").read_text()
    assert "/new/bin/python" in text and "/old/bin/python" not in text


def test_uninstall_of_a_file_we_created_leaves_no_hooks(tmp_path: Path) -> None:
    install("claude-code", project=tmp_path, home=None)
    uninstall("claude-code", project=tmp_path)
    assert _load(tmp_path / ".claude/settings.json") == {}


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '{"hooks": []}'])
def test_unreadable_settings_are_left_alone(tmp_path: Path, text: str) -> None:
    path = settings_file("claude-code", tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text(text)
    with pytest.raises(ConfigError, match=r"settings\.json"):
        install("claude-code", project=tmp_path, home=None)
    assert path.read_text() == text
    assert list(path.parent.iterdir()) == [path]


def test_file_mode_is_kept(tmp_path: Path) -> None:
    path = settings_file("gemini", tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text("{}")
    path.chmod(0o600)
    install("gemini", project=tmp_path, home=None)
    assert path.stat().st_mode & 0o777 == 0o600


def test_user_scope_is_the_home_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert settings_file("cursor", None) == tmp_path / ".cursor/hooks.json"
    install("cursor", project=None, home=None)
    assert installed("cursor", None)
