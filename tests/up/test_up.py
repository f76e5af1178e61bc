"""`interlock up` for real: four child processes on loopback, probed, one killed and
restarted, the supervisor stopped with SIGTERM, and nothing left running."""

from __future__ import annotations

import http.client
import os
import signal
import socket
from typing import Any

import pytest

from interlock.home import Home
from interlock.hooks._daemon import ping, socket_path
from tests._wait import wait_until

from .conftest import Ports, Running, alive

pytestmark = pytest.mark.integration


def _ready(name: str, after: int = 0) -> Any:
    return lambda lines: any(name in line and "ready on" in line for line in lines[after:])


def _healthz(port: int) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status
    finally:
        conn.close()


def _connects(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def test_up_starts_every_component_restarts_a_crash_and_stops_them_all(
    configured: tuple[Home, Ports], run_up: Any
) -> None:
    home, ports = configured
    up: Running = run_up("--home", str(home.root))
    for name in ("control-plane", "proxy-http", "proxy-pg", "hooks"):
        up.wait_for(_ready(name))
    text = "\n".join(up.lines)
    assert f"http://127.0.0.1:{ports.server}" in text  # the table says where
    assert f"postgresql://127.0.0.1:{ports.pg}" in text

    assert _healthz(ports.server) == 200
    assert _connects(ports.http) and _connects(ports.pg)
    assert ping(socket_path(home))

    # A crash: the HTTP proxy killed outright comes back on its port, under a new pid.
    before = up.pids()
    assert len(before) == 4 and len(set(before.values())) == 4
    mark = len(up.lines)
    os.kill(before["proxy-http"], signal.SIGKILL)
    up.wait_for(lambda lines: any("proxy-http" in x and "restarting in" in x for x in lines))
    up.wait_for(_ready("proxy-http", after=mark))
    after = up.pids()
    assert after["proxy-http"] != before["proxy-http"]
    assert after["control-plane"] == before["control-plane"]  # the others were left alone
    assert _connects(ports.http)

    # SIGTERM to the supervisor: every child stops, and is gone when it exits.
    up.process.send_signal(signal.SIGTERM)
    assert up.process.wait(15) == 0
    up.wait_for(lambda lines: sum("stopped" in x for x in lines) >= 4, timeout=5)
    for pid in {*before.values(), *after.values()}:
        assert not alive(pid), f"child {pid} outlived interlock up"
    assert not _connects(ports.server) and not _connects(ports.http)
    assert not _connects(ports.pg)
    assert not socket_path(home).exists()  # the hooks daemon cleaned up after itself


def test_a_supervisor_killed_outright_leaves_no_orphans(
    configured: tuple[Home, Ports], run_up: Any
) -> None:
    home, _ = configured
    home.config_path.write_text(  # only the hooks daemon: the quickest child to start
        home.config_path.read_text().split("[server]")[0] + '[hooks]\nenvironment = "staging"\n'
    )
    up: Running = run_up("--home", str(home.root), "--no-server")
    up.wait_for(_ready("hooks"))
    pids = up.pids()
    up.process.kill()  # no chance to clean up: the kernel's parent-death signal must
    up.process.wait(5)
    assert pids
    wait_until(
        lambda: not any(alive(p) for p in pids.values()),
        what=f"the orphaned children {sorted(pids)} to die with their supervisor",
    )
