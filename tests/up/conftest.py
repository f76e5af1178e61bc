"""A throw-away home with every component configured on free loopback ports, and a way to
run `interlock up` as a real process whose children the test can see and always reaps."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from interlock.home import Home, init_home
from interlock.identity import ResourceRegistry
from interlock.model import Human
from tests._wait import wait_until

OPERATOR = Human("local:test", "admin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def up_command() -> list[str]:
    """`interlock up` once it is registered in the CLI; until then the command on its own."""
    from interlock.cli import app

    names = {c.name or getattr(c.callback, "__name__", "") for c in app.registered_commands}
    if "up" in names:
        return [sys.executable, "-m", "interlock.cli._supervised", "up"]
    return [sys.executable, "-c", "import typer; from interlock.cli.up import up; typer.run(up)"]


@dataclass
class Ports:
    server: int
    http: int
    pg: int


def write_config(home: Home, ports: Ports, extra: str = "") -> None:
    home.config_path.write_text(
        home.config_path.read_text()
        + f"""
[server]
listen = "127.0.0.1:{ports.server}"

[proxy.http]
listen = "127.0.0.1:{ports.http}"

[proxy.http.routes.api]
upstream = "http://127.0.0.1:9"

[proxy.pg]
statement_timeout_ms = 5000

[up]
stop_timeout = 3

[up.pg]
listen = "127.0.0.1:{ports.pg}"
allow_cleartext_on_loopback = true

[hooks]
environment = "staging"
"""
        + extra
    )


@pytest.fixture
def configured(tmp_path: Path) -> tuple[Home, Ports]:
    home, _ = init_home(tmp_path / "home")
    ResourceRegistry.for_home(home).add(
        OPERATOR,
        "api",
        kind="http",
        environment="staging",
        upstream="http://127.0.0.1:9",
        credential=None,
    )
    ports = Ports(free_port(), free_port(), free_port())
    write_config(home, ports)
    return home, ports


@dataclass
class Running:
    """`interlock up` in a real process; its output collected line by line."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    seen_pids: set[int] = field(default_factory=set)
    output_done: threading.Event = field(default_factory=threading.Event)  # stdout at EOF

    def wait_for(self, predicate: Callable[[list[str]], Any], timeout: float = 20.0) -> Any:
        def seen() -> Any:
            done = self.output_done.is_set()  # read first: lines are complete when it is set
            value = predicate(list(self.lines))
            return (value, done) if value or done else None

        try:
            value, _ = wait_until(seen, timeout, what="a line of `interlock up`")
        except AssertionError:
            raise AssertionError("timed out; output so far:\n" + "\n".join(self.lines)) from None
        if not value:
            raise AssertionError("interlock up exited:\n" + "\n".join(self.lines))
        return value

    def pids(self) -> dict[str, int]:
        """The latest pid each child was started with."""
        found: dict[str, int] = {}
        for line in self.lines:
            match = re.search(r"(\S+)\s+started \(pid (\d+)\)", line)
            if match:
                found[match[1]] = int(match[2])
        self.seen_pids.update(found.values())
        return found


@pytest.fixture
def run_up(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Running]]:
    monkeypatch.delenv("INTERLOCK_AGENT_TOKEN", raising=False)
    started: list[Running] = []

    def start(*args: str) -> Running:
        process = subprocess.Popen(
            [*up_command(), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "COLUMNS": "200"},
        )
        running = Running(process)

        def read() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                running.lines.append(line.rstrip())
            running.output_done.set()

        threading.Thread(target=read, daemon=True).start()
        started.append(running)
        return running

    yield start
    # Whatever a failed test left behind: the supervisor, then every child it reported.
    for running in started:
        running.pids()
        if running.process.poll() is None:
            running.process.kill()
            running.process.wait(10)
        for pid in running.seen_pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is not running: /proc says so on Linux.
    with contextlib.suppress(OSError):
        return " Z " not in Path(f"/proc/{pid}/stat").read_text().split(")", 1)[1][:4]
    return True
