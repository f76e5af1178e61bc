"""`interlock proxy pg` as operators run it: one log line per decision on standard output
and Prometheus metrics on `--metrics-listen`. The real process, the real PostgreSQL."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys

import psycopg

from interlock.home import Home

from .conftest import wait_until

CLI = [sys.executable, "-c", "from interlock.cli import main; main()"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_decisions_are_logged_and_counted(pg_home: tuple[Home, dict[str, str]]) -> None:
    home, tokens = pg_home
    port, metrics = _free_port(), _free_port()
    process = subprocess.Popen(
        [
            *CLI,
            "proxy",
            "pg",
            "--home",
            str(home.root),
            "--listen",
            f"127.0.0.1:{port}",
            "--allow-cleartext-on-loopback",
            "--metrics-listen",
            f"127.0.0.1:{metrics}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "300"},
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert f"listening on 127.0.0.1:{port}" in first, first
        dsn = f"postgresql://writer:{tokens['writer']}@127.0.0.1:{port}/prod"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE TEMP TABLE ops_probe (id int)")
            conn.execute("INSERT INTO ops_probe VALUES (1)")

        def scrape() -> str:
            conn = http.client.HTTPConnection("127.0.0.1", metrics, timeout=5)
            conn.request("GET", "/metrics")
            text = conn.getresponse().read().decode()
            conn.close()
            return text

        assert wait_until(lambda: 'decision="allow",source="proxy"' in scrape())
        assert tokens["writer"] not in scrape()
        process.send_signal(signal.SIGTERM)
        process.wait(30)
        rest = process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)
    lines = [ln for ln in rest.splitlines() if "ALLOW proxy:pg" in ln]
    assert lines and all("agent=writer" in ln and "resource=prod" in ln for ln in lines)
    assert not any("ops_probe VALUES" in ln for ln in lines)  # never the statement
