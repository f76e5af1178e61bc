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

In service mode (`interlock service install`) the daemon runs as its own OS user and binds
the socket it is given, in a directory the agents' users cannot write (root-owned, group the
service's), mode 0666 so that they can connect. Each caller is identified by the kernel
(SO_PEERCRED / LOCAL_PEERCRED): its uid and pid go with the decision, and with `allowed_uids`
only those users are answered.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import socketserver
import stat
import sys
import threading
import time
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking, as the kernel saw it when the caller connected."""

    uid: int
    pid: int

    def as_context(self) -> dict[str, int]:
        return {"uid": self.uid, "pid": self.pid}


def caller_of(conn: socket.socket) -> Caller | None:
    """The connected peer's uid and pid (SO_PEERCRED on Linux, LOCAL_PEERCRED/LOCAL_PEERPID on
    macOS and FreeBSD), or None when the platform cannot tell."""
    try:
        if hasattr(socket, "SO_PEERCRED"):  # struct ucred {pid_t pid; uid_t uid; gid_t gid}
            raw = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
            pid = int.from_bytes(raw[0:4], sys.byteorder)
            return Caller(uid=int.from_bytes(raw[4:8], sys.byteorder), pid=pid)
        if sys.platform == "darwin" or sys.platform.startswith("freebsd"):
            raw = conn.getsockopt(0, 1, 76)  # SOL_LOCAL, LOCAL_PEERCRED: struct xucred
            if raw[:4] != bytes(4):
                return None
            pid = 0
            if sys.platform == "darwin":  # LOCAL_PEERPID
                pid = int.from_bytes(conn.getsockopt(0, 2, 4)[:4], sys.byteorder)
            return Caller(uid=int.from_bytes(raw[4:8], sys.byteorder), pid=pid)
    except OSError:
        return None
    return None


def check_socket_directory(directory: Path) -> None:
    """Refuse a directory where another user could replace the service's socket: it must be
    a real directory owned by root or this user, writable by no one else but this user's own
    group."""
    try:
        info = directory.lstat()
    except OSError as exc:
        raise ConfigError(
            f"{directory}: the socket directory is missing ({exc.strerror}); create it with "
            "`interlock service install`"
        ) from None
    if not stat.S_ISDIR(info.st_mode):
        raise ConfigError(f"{directory}: the socket directory is not a directory")
    if info.st_uid not in (0, os.getuid()):
        raise ConfigError(
            f"{directory}: owned by uid {info.st_uid}; the socket directory must belong to "
            "root or the service's user"
        )
    if info.st_mode & stat.S_IWOTH or (info.st_mode & stat.S_IWGRP and info.st_gid != os.getgid()):
        raise ConfigError(
            f"{directory}: writable by other users (mode {stat.S_IMODE(info.st_mode):04o}), "
            "who could replace the socket; it must be writable only by root and the service"
        )


def socket_path(home: Home) -> Path:
    return home.root / "state" / SOCKET_NAME


def pid_path(home: Home) -> Path:
    return home.root / "state" / PID_NAME


def frame(answer: HookAnswer) -> bytes:
    err = answer.stderr.encode()
    header = b"%d %d %d\n" % (answer.exit_code, len(answer.stdout), len(err))
    return header + answer.stdout + err


def ping(path: Path, timeout: float = 1.0, *, peer_uid: int | None = None) -> bool:
    """True when a daemon answers on `path` (with `peer_uid`: a daemon of that user)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        here = os.getcwd()
        os.chdir(path.parent)  # by a relative name, as the client connects (path length)
        try:
            sock.connect(path.name)
        finally:
            os.chdir(here)
        if peer_uid is not None:
            peer = caller_of(sock)
            if peer is None or peer.uid != peer_uid:
                return False
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

    def __init__(self, path: Path, owner: HookDaemon, mode: int) -> None:
        self.owner = owner
        old = os.umask(0o177)  # created 0600, then opened up to `mode` if asked
        here = os.getcwd()
        try:
            # Bound by a relative name (before any thread starts): socket paths are limited
            # to ~100 bytes, homes are not.
            os.chdir(path.parent)
            super().__init__(path.name, _Handler)
        finally:
            os.chdir(here)
            os.umask(old)
        os.chmod(path, mode)


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        conn: socket.socket = self.request
        conn.settimeout(READ_TIMEOUT)
        caller = caller_of(conn)
        try:
            data = _read_all(conn)
        except OSError:
            return
        reply = self.server.owner.reply(data, caller)
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
    """Owns the socket, the decision worker and the decider built on it.

    With `socket` (service mode) it binds that path, mode 0666, in a directory checked to be
    out of other users' reach; with `allowed_uids`, only those callers get a decision."""

    def __init__(
        self,
        home: Home,
        *,
        budget: float | None = None,
        socket: Path | None = None,
        allowed_uids: Collection[int] | None = None,
    ) -> None:
        self.home = home
        self.service = socket is not None
        self.path = socket if socket is not None else socket_path(home)
        self.allowed_uids = frozenset(allowed_uids) if allowed_uids is not None else None
        if self.service:  # before the home is opened: a refused start touches nothing
            check_socket_directory(self.path.parent)
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="interlock-hook")
        # Built on the worker thread: the audit log's SQLite connection must stay there.
        self.decider: HookDecider = self._worker.submit(HookDecider.for_home, home.root).result()
        self.budget = budget if budget is not None else self.decider.settings.budget_seconds
        self._server: _Server | None = None

    def reply(self, data: bytes, caller: Caller | None = None) -> bytes:
        header, _, event = data.partition(b"\n")
        if header == b"ping":
            return b"pong\n"
        protocol, _, agent_bytes = header.partition(b" ")
        agent = agent_bytes.decode("utf-8", "replace")
        if protocol != PROTOCOL or agent not in AGENTS:
            return frame(deny_answer(agent, "malformed request to the Interlock daemon"))
        if len(data) > MAX_REQUEST:
            return frame(deny_answer(agent, "the hook event is too large; refused (fail closed)"))
        refused = self._refused(caller)
        if refused is not None:
            return frame(deny_answer(agent, refused))
        deadline = time.monotonic() + self.budget
        who = {"caller": caller.as_context()} if caller is not None else {}
        future = self._worker.submit(self.decider.answer, agent, event, deadline=deadline, **who)
        try:
            answer = future.result(timeout=self.budget + 0.05)
        except FutureTimeout:
            answer = render(None, agent, timeout_verdict(self.budget))
        except Exception:
            answer = deny_answer(agent, "internal error in the Interlock daemon; refused")
        return frame(answer)

    def _refused(self, caller: Caller | None) -> str | None:
        """Why this caller gets no decision, if it gets none."""
        if caller is None and (self.service or self.allowed_uids is not None):
            return "the Interlock service could not identify the caller; refused (fail closed)"
        allowed = self.allowed_uids
        if allowed is not None and caller is not None and caller.uid not in allowed:
            return (
                f"the Interlock service does not answer uid {caller.uid} (not one of its "
                "allowed users); refused"
            )
        return None

    def bind(self) -> None:
        if self.service:
            check_socket_directory(self.path.parent)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists() or self.path.is_symlink():
            if ping(self.path):
                raise ConfigError(f"{self.path}: an Interlock hook daemon is already running")
            self.path.unlink()
        self._server = _Server(self.path, self, 0o666 if self.service else 0o600)
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


def serve(
    home: Home,
    *,
    budget: float | None = None,
    on_ready: Any = None,
    socket: Path | None = None,
    allowed_uids: Collection[int] | None = None,
) -> None:
    """Run the daemon in the foreground until SIGTERM or SIGINT."""
    daemon = HookDaemon(home, budget=budget, socket=socket, allowed_uids=allowed_uids)
    daemon.bind()

    def _stop(signum: int, frame: FrameType | None) -> None:
        daemon.stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    if on_ready is not None:
        on_ready(daemon)
    daemon.serve_forever()
