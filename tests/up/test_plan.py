"""What `interlock up` would run, and `interlock up --check`: no process is started here."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from interlock.cli.up import up
from interlock.errors import ConfigError
from interlock.home import Home, init_home
from interlock.up import load_plan

from .conftest import Ports

app = typer.Typer()
app.command()(up)


def _check(home: Home, *args: str) -> Any:
    return CliRunner().invoke(app, ["--home", str(home.root), "--check", *args])


def _edit(home: Home, old: str, new: str) -> None:
    text = home.config_path.read_text()
    assert old in text
    home.config_path.write_text(text.replace(old, new))


def test_every_configured_component_is_planned(configured: tuple[Home, Ports]) -> None:
    home, ports = configured
    plan = load_plan(home)
    names = [c.name for c in plan.children]
    assert names == ["control-plane", "proxy-http", "proxy-pg", "hooks"]
    by_name = {c.name: c for c in plan.children}
    assert by_name["control-plane"].probe.port == ports.server
    assert by_name["control-plane"].probe.path == "/healthz"
    assert by_name["proxy-pg"].args[-3:] == (
        "--listen",
        f"127.0.0.1:{ports.pg}",
        "--allow-cleartext-on-loopback",
    )
    assert by_name["hooks"].probe.kind == "unix"
    assert plan.stop_timeout == 3 and plan.max_restarts == 5


def test_flags_win_over_the_config(configured: tuple[Home, Ports]) -> None:
    home, _ = configured
    names = [c.name for c in load_plan(home, server=False, hooks=False).children]
    assert names == ["proxy-http", "proxy-pg"]
    assert load_plan(home, max_restarts=0).max_restarts == 0


def test_a_bare_home_runs_the_control_plane_only(tmp_path: Path) -> None:
    home, _ = init_home(tmp_path / "bare")
    plan = load_plan(home)
    assert [c.name for c in plan.children] == ["control-plane"]
    assert plan.children[0].listen == "http://127.0.0.1:8900"


def test_check_on_a_good_config_shows_the_table_and_starts_nothing(
    configured: tuple[Home, Ports], monkeypatch: pytest.MonkeyPatch
) -> None:
    home, ports = configured
    monkeypatch.setattr("interlock.up.Supervisor", None)  # would raise if it were used
    result = _check(home)
    assert result.exit_code == 0, result.output
    assert f"http://127.0.0.1:{ports.http}" in result.output
    assert "OK (4 component(s); nothing started)" in result.output


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('[proxy.http]\nlisten = "127.0.0.1:', '[proxy.http]\nlisten = "nowhere', "[proxy.http]"),
        ("statement_timeout_ms = 5000", "statement_timeout_ms = -1", "[proxy.pg]"),
        ("allow_cleartext_on_loopback = true", "", "[up.pg]: agents send their token"),
        ("stop_timeout = 3", "stop_timeout = 3\nrestart = 1", "[up]: unknown key(s) restart"),
        ('environment = "staging"', "environment = 3", "[hooks]"),
        (
            'upstream = "http://127.0.0.1:9"\n\n[proxy.pg]',
            'resource = "nope"\n\n[proxy.pg]',
            "[proxy.http.routes.api]: no resource named 'nope'",
        ),
        ("[server]\n", "[server]\nlisten = 8900\n", "not valid TOML"),
    ],
)
def test_check_on_a_bad_config_is_one_line_naming_file_and_table(
    configured: tuple[Home, Ports], old: str, new: str, expected: str
) -> None:
    home, _ = configured
    _edit(home, old, new)
    with pytest.raises(ConfigError):
        load_plan(home)
    result = _check(home)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: ") and str(home.config_path) in lines[0]
    assert expected in lines[0]


def test_two_components_on_one_port_is_refused(configured: tuple[Home, Ports]) -> None:
    home, ports = configured
    _edit(home, f"127.0.0.1:{ports.pg}", f"127.0.0.1:{ports.http}")
    with pytest.raises(ConfigError, match="proxy-http and proxy-pg are both configured on port"):
        load_plan(home)


def test_a_port_in_use_is_a_one_line_error_before_anything_starts(
    configured: tuple[Home, Ports], monkeypatch: pytest.MonkeyPatch
) -> None:
    home, ports = configured
    monkeypatch.setattr("interlock.up.Supervisor", None)  # would raise if it were used
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", ports.http))
        taken.listen()
        result = CliRunner().invoke(app, ["--home", str(home.root)])
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and f"proxy-http: http://127.0.0.1:{ports.http}" in errors[0]


def test_scheduled_drills_are_a_child_of_their_own(tmp_path: Path) -> None:
    home, _ = init_home(tmp_path / "home")
    with home.config_path.open("a") as handle:
        handle.write('\n[vault]\ndrill_every = "24h"\n')
    drills = next(c for c in load_plan(home).children if c.name == "vault-drills")
    assert drills.args[:4] == ("vault", "drill", "--every", "24h")
    assert drills.probe.kind == "none"


@pytest.mark.parametrize("every", ["10s", "soon", "-1h"])
def test_a_bad_drill_schedule_is_one_clear_error(tmp_path: Path, every: str) -> None:
    home, _ = init_home(tmp_path / "home")
    with home.config_path.open("a") as handle:
        handle.write(f'\n[vault]\ndrill_every = "{every}"\n')
    with pytest.raises(ConfigError, match=r"\[vault\] drill_every"):
        load_plan(home)


def test_a_registered_http_resource_is_fronted_without_a_proxy_table(tmp_path: Path) -> None:
    from interlock.identity import ResourceRegistry
    from interlock.model import Human

    home, _ = init_home(tmp_path / ".interlock")
    assert [c.name for c in load_plan(home).children] == ["control-plane"]
    ResourceRegistry.for_home(home).add(
        Human(name="operator", role="admin"),
        "billing-api",
        kind="http",
        environment="production",
        upstream="https://billing.example.com",
        credential="sk-test-credential",
    )
    by_name = {c.name: c for c in load_plan(home).children}
    assert "proxy-http" in by_name
    assert by_name["proxy-http"].detail == "routes /billing-api"
