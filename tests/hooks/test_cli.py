"""`interlock hook AGENT` and `interlock hooks …`, registered here as the lead registers them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from interlock.cli import hooks as hooks_cli
from interlock.home import Home
from tests.hooks.conftest import Event

app = typer.Typer()
app.command()(hooks_cli.hook)
app.add_typer(hooks_cli.app, name="hooks")


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.delenv("INTERLOCK_HOME", raising=False)
    return CliRunner()


def test_hook_answers_in_the_agents_protocol(runner: CliRunner, home: Home, event: Event) -> None:
    result = runner.invoke(
        app,
        ["hook", "claude-code", "--home", str(home.root)],
        input=event("claude-code.bash-incident"),
    )
    assert result.exit_code == 2  # a production hold is a deny naming its request
    held = json.loads(result.stdout)["hookSpecificOutput"]
    assert held["permissionDecision"] == "deny"
    assert "approval request apr_" in held["permissionDecisionReason"]
    result = runner.invoke(
        app, ["hook", "gemini", "--home", str(home.root)], input=event("gemini.read-secret")
    )
    assert result.exit_code == 2
    assert json.loads(result.stdout)["decision"] == "deny"


def test_hook_with_garbage_denies(runner: CliRunner, home: Home) -> None:
    result = runner.invoke(app, ["hook", "cursor", "--home", str(home.root)], input=b"\x00garbage")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["permission"] == "deny"


def test_install_status_uninstall(runner: CliRunner, home: Home, tmp_path: Path) -> None:
    project = tmp_path / "repo"
    project.mkdir()
    args = ["--project", str(project), "--home", str(home.root)]
    result = runner.invoke(app, ["hooks", "install", "claude-code", "--no-daemon", *args])
    assert result.exit_code == 0, result.output
    assert "installed" in result.stdout
    result = runner.invoke(app, ["hooks", "install", "claude-code", "--no-daemon", *args])
    assert "already installed" in result.stdout
    result = runner.invoke(app, ["hooks", "status", *args])
    assert result.exit_code == 0
    assert "not running" in result.stdout
    assert str(project / ".claude" / "settings.json") in result.stdout.replace("\n", "")
    result = runner.invoke(app, ["hooks", "uninstall", "claude-code", "--project", str(project)])
    assert result.exit_code == 0 and "removed" in result.stdout


def test_install_refuses_unknown_agents_and_both_scopes(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["hooks", "install", "copilot", "--project", str(tmp_path)])
    assert result.exit_code == 1
    result = runner.invoke(
        app, ["hooks", "install", "cursor", "--project", str(tmp_path), "--user"]
    )
    assert result.exit_code == 1


def test_status_shows_a_running_daemon(
    runner: CliRunner, home: Home, daemon: object, tmp_path: Path
) -> None:
    result = runner.invoke(
        app, ["hooks", "status", "--home", str(home.root), "--project", str(tmp_path)]
    )
    assert result.exit_code == 0 and "running (pid" in result.stdout
