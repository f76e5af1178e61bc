"""The resident process hook clients ask: `interlock hooks serve`.

It listens on a Unix socket in the home (`<home>/state/hooks.sock`, mode 0600, nothing on the
network), keeps the policies, classifiers and audit log loaded, and answers each event in the
agent's exact protocol. The wire format is deliberately trivial, so that the client needs no
JSON of its own:

    request:  b"interlock-hook/1 AGENT\\n" + the event bytes, then end of stream
    answer:   b"<exit status> <stdout length> <stderr length>\\n" + stdout + stderr
    b"ping\\n" is answered with b"pong\\n" (`interlock hooks status`).

Decisions run on one worker thread (the audit log's SQLite connection belongs to it); each
connection waits for its decision at most the configured budget and is answered with a deny
when the budget runs out. The decision recorded for a late answer is that deny too.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import socketserver
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from types import FrameType
from typing import Any

from interlock.errors import ConfigError
from interlock.home import Home
from interlock.hooks._decide import HookDecider, timeout_verdict
from interlock.hooks._protocols import AGENTS, HookAnswer, deny_answer, render

PROTOCOL = b"interlock-hook/1"
SOCKET_NAME = "hooks.sock"
PID_NAME = "hooks.pid"
MAX_REQUEST = 8 * 1024 * 1024 + 256
READ_TIMEOUT = 5.0


def socket_path(home: Home) -> Path:
    return home.root / "state" / SOCKET_NAME


def pid_path(home: Home) -> Path:
    return home.root / "state" / PID_NAME


def frame(answer: HookAnswer) -> bytes:
    err = answer.stderr.encode()
    header = b"%d %d %d\n" % (answer.exit_code, len(answer.stdout), len(err))
    return header + answer.stdout + err


def ping(path: Path, timeout: float = 1.0) -> bool:
    """True when a daemon answers on `path`."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        here = os.getcwd()
        os.chdir(path.parent)  # by a relative name, as the client connects (path length)
        try:
            sock.connect(path.name)
        finally:
            os.chdir(here)
        sock.sendall(b"ping\n")
        sock.shutdown(socket.SHUT_WR)
        return sock.recv(16) == b"pong\n"
    except OSError:
        return False
    finally:
        sock.close()


class _Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, path: Path, owner: HookDaemon) -> None:
        self.owner = owner
        old = os.umask(0o177)  # the socket is created 0600: only its owner may connect
        here = os.getcwd()
        try:
            # Bound by a relative name (before any thread starts): socket paths are limited
            # to ~100 bytes, homes are not.
            os.chdir(path.parent)
            super().__init__(path.name, _Handler)
        finally:
            os.chdir(here)
            os.umask(old)
        os.chmod(path, 0o600)


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        conn: socket.socket = self.request
        conn.settimeout(READ_TIMEOUT)
        try:
            data = _read_all(conn)
        except OSError:
            return
        reply = self.server.owner.reply(data)
        with contextlib.suppress(OSError):
            conn.sendall(reply)


def _read_all(conn: socket.socket) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_REQUEST:
        chunk = conn.recv(1 << 16)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


class HookDaemon:
    """Owns the socket, the decision worker and the decider built on it."""

    def __init__(self, home: Home, *, budget: float | None = None) -> None:
        self.home = home
        self.path = socket_path(home)
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="interlock-hook")
        # Built on the worker thread: the audit log's SQLite connection must stay there.
        self.decider: HookDecider = self._worker.submit(HookDecider.for_home, home.root).result()
        self.budget = budget if budget is not None else self.decider.settings.budget_seconds
        self._server: _Server | None = None

    def reply(self, data: bytes) -> bytes:
        header, _, event = data.partition(b"\n")
        if header == b"ping":
            return b"pong\n"
        protocol, _, agent_bytes = header.partition(b" ")
        agent = agent_bytes.decode("utf-8", "replace")
        if protocol != PROTOCOL or agent not in AGENTS:
            return frame(deny_answer(agent, "malformed request to the Interlock daemon"))
        if len(data) > MAX_REQUEST:
            return frame(deny_answer(agent, "the hook event is too large; refused (fail closed)"))
        deadline = time.monotonic() + self.budget
        future = self._worker.submit(self.decider.answer, agent, event, deadline=deadline)
        try:
            answer = future.result(timeout=self.budget + 0.05)
        except FutureTimeout:
            answer = render(None, agent, timeout_verdict(self.budget))
        except Exception:
            answer = deny_answer(agent, "internal error in the Interlock daemon; refused")
        return frame(answer)

    def bind(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists() or self.path.is_symlink():
            if ping(self.path):
                raise ConfigError(f"{self.path}: an Interlock hook daemon is already running")
            self.path.unlink()
        self._server = _Server(self.path, self)
        pid_path(self.home).write_text(f"{os.getpid()}\n")

    def serve_forever(self) -> None:
        assert self._server is not None, "bind() first"
        try:
            self._server.serve_forever(poll_interval=0.2)
        finally:
            self.close()

    def stop(self) -> None:
        """Ask serve_forever to return (safe from a signal handler: it does not block)."""
        if self._server is not None:
            threading.Thread(target=self._server.shutdown, daemon=True).start()

    def close(self) -> None:
        if self._server is not None:
            self._server.server_close()
            self._server = None
        for path in (self.path, pid_path(self.home)):
            with contextlib.suppress(OSError):
                path.unlink()
        audit = self.decider.audit
        if audit is not None:
            with contextlib.suppress(Exception):
                self._worker.submit(audit.checkpoint).result(timeout=2)
        self._worker.shutdown(wait=False, cancel_futures=True)


def serve(home: Home, *, budget: float | None = None, on_ready: Any = None) -> None:
    """Run the daemon in the foreground until SIGTERM or SIGINT."""
    daemon = HookDaemon(home, budget=budget)
    daemon.bind()

    def _stop(signum: int, frame: FrameType | None) -> None:
        daemon.stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    if on_ready is not None:
        on_ready(daemon)
    daemon.serve_forever()
