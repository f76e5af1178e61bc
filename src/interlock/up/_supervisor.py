"""The process supervisor behind `interlock up`: one child process per component.

Each child runs in its own session (process group), so a Ctrl-C in the terminal reaches the
supervisor alone and the supervisor decides the order of shutdown. On Linux each child also
asks the kernel for SIGTERM when the supervisor dies (PR_SET_PDEATHSIG), so even a
supervisor killed with SIGKILL leaves no orphan listening on a port.

    start    every child at once; "ready" when its probe answers (HTTP 200, TCP, Unix socket)
    crash    restart after a back-off (0.5 s, 1 s, 2 s … up to 10 s); a child that stays up
             for `STABLE_SECONDS` has its count reset; past `max_restarts` the supervisor
             reports it, stops every other child and returns 1
    stop     SIGTERM (or SIGINT) → every child gets SIGTERM; whatever is still running after
             `stop_timeout` gets SIGKILL, and every child is reaped before `run()` returns
"""

from __future__ import annotations

import contextlib
import ctypes
import http.client
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import IO, Any

from interlock.up._plan import ChildSpec, Probe

TICK_SECONDS = 0.05
STABLE_SECONDS = 30.0
MAX_BACKOFF_SECONDS = 10.0
CHILD_COMMAND = (sys.executable, "-m", "interlock.cli._supervised")

Report = Callable[[str, str, str], None]
"""report(child name, kind, text): kind is "status" (the supervisor's own line about the
child) or "output" (a line the child printed)."""


@dataclass
class _Child:
    spec: ChildSpec
    process: subprocess.Popen[bytes] | None = None
    reader: threading.Thread | None = None
    started_at: float = 0.0
    restarts: int = 0
    ready: bool = False
    next_start: float | None = 0.0
    exits: list[int] = field(default_factory=list)


def backoff(attempt: int) -> float:
    """Seconds before restart number `attempt` (0-based)."""
    return float(min(0.5 * 2**attempt, MAX_BACKOFF_SECONDS))


def probe(spec: Probe, timeout: float = 0.25) -> bool:
    """True when the child answers where it should be listening."""
    if spec.kind == "none":
        return True
    try:
        if spec.kind == "http":
            conn = http.client.HTTPConnection(spec.host, spec.port, timeout=timeout)
            try:
                conn.request("GET", spec.path or "/")
                return conn.getresponse().status == 200
            finally:
                conn.close()
        if spec.kind == "tcp":
            with socket.create_connection((spec.host, spec.port), timeout=timeout):
                return True
        if len(spec.path.encode()) > 100:  # too long for sun_path: the socket file will do
            return stat.S_ISSOCK(os.stat(spec.path).st_mode)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(spec.path)
            return True
    except (OSError, http.client.HTTPException):
        return False


class Supervisor:
    """Runs `children` until asked to stop (SIGINT/SIGTERM or `request_stop`) or until one
    of them crashes more than `max_restarts` times. `run()` returns the exit status."""

    def __init__(
        self,
        children: Sequence[ChildSpec],
        *,
        report: Report,
        max_restarts: int = 5,
        stop_timeout: float = 5.0,
        command: Sequence[str] = CHILD_COMMAND,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._children = [_Child(spec) for spec in children]
        self._report = report
        self._max_restarts = max_restarts
        self._stop_timeout = stop_timeout
        self._command = tuple(command)
        base = dict(os.environ if env is None else env)
        base.setdefault("PYTHONUNBUFFERED", "1")  # a child's lines arrive as it prints them
        base.setdefault("COLUMNS", "160")  # Rich wraps at 80 columns on a pipe otherwise
        self._env = base
        self._stopping = False
        self.failed: str | None = None

    def request_stop(self) -> None:
        """Ask `run()` to stop every child and return (safe from a signal handler)."""
        self._stopping = True

    def pids(self) -> dict[str, int]:
        """The running children's process ids, by name."""
        return {c.spec.name: c.process.pid for c in self._children if c.process is not None}

    def run(self) -> int:
        previous = self._install_signals()
        try:
            while not self._stopping:
                self._tick(time.monotonic())
                time.sleep(TICK_SECONDS)
        finally:
            self._stop_all()
            self._restore_signals(previous)
        return 1 if self.failed else 0

    # -- one look at every child

    def _tick(self, now: float) -> None:
        for child in self._children:
            if self._stopping:
                return
            if child.process is None:
                if child.next_start is not None and now >= child.next_start:
                    self._spawn(child)
                continue
            code = child.process.poll()
            if code is None:
                if not child.ready and probe(child.spec.probe):
                    child.ready = True
                    took = time.monotonic() - child.started_at
                    self._status(child, f"ready on {child.spec.listen} ({took:.1f} s)")
                if child.restarts and now - child.started_at > STABLE_SECONDS:
                    child.restarts = 0
                continue
            self._reap(child)
            child.exits.append(code)
            if child.restarts >= self._max_restarts:
                why = f"exited with {_describe(code)} after {child.restarts} restart(s): giving up"
                self.failed = f"{child.spec.name} {why}"
                self._status(child, why)
                self._stopping = True
                return
            delay = backoff(child.restarts)
            child.restarts += 1
            child.next_start = now + delay
            self._status(
                child,
                f"exited with {_describe(code)}; restarting in {delay:.1f} s "
                f"({child.restarts}/{self._max_restarts})",
            )

    def _spawn(self, child: _Child) -> None:
        child.next_start = None
        child.ready = False
        child.started_at = time.monotonic()
        try:
            process = subprocess.Popen(
                [*self._command, *child.spec.args],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=self._env,
                start_new_session=True,  # Ctrl-C reaches the supervisor only
                preexec_fn=_die_with_parent(),
            )
        except OSError as exc:
            self.failed = f"{child.spec.name}: cannot start ({exc})"
            self._status(child, self.failed)
            self._stopping = True
            return
        child.process = process
        child.reader = threading.Thread(
            target=self._relay,
            args=(child.spec.name, process.stdout),
            name=f"interlock-up-{child.spec.name}",
            daemon=True,
        )
        child.reader.start()
        self._status(child, f"started (pid {process.pid})")

    def _relay(self, name: str, stream: IO[bytes] | None) -> None:
        if stream is None:
            return
        with contextlib.suppress(OSError, ValueError):
            for raw in iter(stream.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip()
                if line:
                    self._report(name, "output", line)

    def _reap(self, child: _Child) -> None:
        if child.process is not None:
            child.process.wait()
            if child.reader is not None:
                child.reader.join(1.0)
            if child.process.stdout is not None:
                child.process.stdout.close()
        child.process = None
        child.reader = None
        child.ready = False

    # -- shutdown

    def _stop_all(self) -> None:
        running = [c for c in self._children if c.process is not None]
        for child in running:
            self._signal(child, signal.SIGTERM)
        deadline = time.monotonic() + self._stop_timeout
        while time.monotonic() < deadline and any(
            c.process is not None and c.process.poll() is None for c in running
        ):
            time.sleep(TICK_SECONDS)
        for child in running:
            assert child.process is not None
            if child.process.poll() is None:
                self._signal(child, signal.SIGKILL)
                self._status(child, f"did not stop within {self._stop_timeout:g} s: killed")
            code = child.process.wait()
            self._reap(child)
            if code in (0, -signal.SIGTERM, -signal.SIGINT, 130):
                self._status(child, "stopped")
            elif code != -signal.SIGKILL:
                self._status(child, f"stopped ({_describe(code)})")

    def _signal(self, child: _Child, signum: int) -> None:
        """Signal the child's own process group (start_new_session), while it is unreaped."""
        assert child.process is not None
        if child.process.returncode is not None:
            return
        try:
            os.killpg(child.process.pid, signum)
        except (ProcessLookupError, PermissionError):
            with contextlib.suppress(ProcessLookupError):
                child.process.send_signal(signum)

    def _status(self, child: _Child, text: str) -> None:
        self._report(child.spec.name, "status", text)

    # -- signals

    def _install_signals(self) -> dict[int, Any]:
        if threading.current_thread() is not threading.main_thread():
            return {}

        def handler(signum: int, frame: FrameType | None) -> None:
            self.request_stop()

        previous: dict[int, Any] = {}
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            previous[signum] = signal.signal(signum, handler)
        return previous

    def _restore_signals(self, previous: dict[int, Any]) -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _describe(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"signal {signal.Signals(-code).name}"
        return f"signal {-code}"
    return f"status {code}"


def _die_with_parent() -> Callable[[], None] | None:
    """A pre-exec hook asking Linux to SIGTERM the child when the supervisor dies."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()
    pr_set_pdeathsig = 1

    def hook() -> None:
        prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent:  # the supervisor died before prctl took effect
            os._exit(1)

    return hook
