"""`interlock proxy http` right after `interlock resource add`: every registered HTTP
resource is fronted at `/<name>`; `[proxy.http.routes.NAME]` only overrides. And a busy
port is one clean error line."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from interlock.proxy.http import ProxyConfig, RouteConfig, load_fronted_config, with_default_routes

from .conftest import REAL_CREDENTIAL, Upstream, graphql, setup_home

pytestmark = pytest.mark.integration

LIST_VOLUMES = graphql("query { volumes { edges { node { id name } } } }")
CLI = [sys.executable, "-c", "from interlock.cli import main; main()"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_a_registered_http_resource_is_fronted_at_its_name(tmp_path: Path) -> None:
    home, _, _, _ = setup_home(tmp_path / "home", "http://127.0.0.1:9")
    config = load_fronted_config(home)
    assert {name: r.prefix for name, r in config.routes.items()} == {
        "railway": "/railway",
        "railway-staging": "/railway-staging",
    }


def test_a_configured_route_overrides_the_default() -> None:
    configured = RouteConfig(name="api", resource="railway", prefix="/rw", wait=5)
    config = with_default_routes(
        ProxyConfig(routes={"api": configured}), ["railway", "other", "rw"]
    )
    # railway keeps its configured route; `rw` would collide with its prefix; other is added
    assert config.routes["api"] is configured
    assert set(config.routes) == {"api", "other"}
    assert config.routes["other"].prefix == "/other"


def test_proxy_http_works_with_no_route_written(
    tmp_path: Path, upstream: Upstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("INTERLOCK_AGENT_TOKEN", raising=False)
    home, token, _, _ = setup_home(tmp_path / "home", upstream.url)
    assert "[proxy.http" not in home.config_path.read_text()
    port = _free_port()
    process = subprocess.Popen(
        [*CLI, "proxy", "http", "--home", str(home.root), "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert f"listening on http://127.0.0.1:{port}" in first, first
        routes = [process.stdout.readline() for _ in range(2)]
        assert any("/railway/" in line and "credential injected" in line for line in routes)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request(
            "POST",
            "/railway/graphql/v2",
            body=LIST_VOLUMES,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        response = conn.getresponse()
        assert response.status == 200 and json.loads(response.read())["ok"] is True
        conn.close()
        assert upstream.seen[-1].headers["authorization"] == f"Bearer {REAL_CREDENTIAL}"
        # Prometheus metrics on the proxy itself, no token needed, counts only
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/metrics")
        scraped = conn.getresponse()
        text = scraped.read().decode()
        conn.close()
        assert scraped.status == 200 and "text/plain" in scraped.getheader("content-type", "")
        assert 'interlock_decisions_total{decision="allow",source="proxy"} 1' in text
        assert REAL_CREDENTIAL not in text and token not in text
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
        rest = process.stdout.read()
        # one line per decision ([proxy.http] log_decisions, on by default)
        (line,) = [ln for ln in rest.splitlines() if "ALLOW proxy:http" in ln]
        assert "agent=ops-bot" in line and "resource=railway (production)" in line
        assert "volumes" not in line  # never the payload
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)


def test_nothing_to_front_names_the_table_literally(tmp_path: Path) -> None:
    home_root = tmp_path / "empty"
    subprocess.run([*CLI, "init", "--home", str(home_root)], check=True, capture_output=True)
    done = subprocess.run(
        [*CLI, "proxy", "http", "--home", str(home_root)],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "300"},
    )
    assert done.returncode == 1
    assert "[proxy.http.routes.NAME]" in done.stderr
    assert "interlock resource add" in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize(
    "command",
    [
        ["proxy", "http", "--listen"],
        ["proxy", "pg", "--allow-cleartext-on-loopback", "--listen"],
        ["serve", "--port"],
    ],
)
def test_a_busy_port_is_one_clean_error_line(tmp_path: Path, command: list[str]) -> None:
    home, _, _, _ = setup_home(tmp_path / "home", "http://127.0.0.1:9")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        address = str(port) if command[0] == "serve" else f"127.0.0.1:{port}"
        done = subprocess.run(
            [*CLI, *command, address, "--home", str(home.root)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "COLUMNS": "300"},
        )
    assert done.returncode == 1
    assert "listening" not in done.stdout and "control plane on" not in done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"127.0.0.1:{port} is already in use" in lines[0]
    assert "Unclosed" not in done.stderr and "Traceback" not in done.stderr
