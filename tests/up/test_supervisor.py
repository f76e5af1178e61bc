"""The supervisor on its own, with small stand-in children: giving up on a child that keeps
crashing, and SIGKILL for one that ignores SIGTERM."""

from __future__ import annotations

import sys
import threading

from interlock.up import ChildSpec, Probe, Supervisor, backoff

from .conftest import alive, free_port

CRASH = "import sys; sys.exit(3)"
STUBBORN = (  # listens, and ignores SIGTERM
    "import signal, socket, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "s = socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(); "
    "print('up', flush=True); time.sleep(60)"
)


def _spec(name: str, code: str, port: int = 1) -> ChildSpec:
    return ChildSpec(name, (code, str(port)), f"tcp:{port}", Probe("tcp", "127.0.0.1", port))


def test_backoff_doubles_up_to_ten_seconds() -> None:
    assert [backoff(n) for n in range(7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_a_child_that_keeps_crashing_is_given_up_on_and_the_others_stopped() -> None:
    port = free_port()
    lines: list[tuple[str, str, str]] = []
    supervisor = Supervisor(
        [_spec("crasher", CRASH), _spec("steady", STUBBORN.replace("SIG_IGN", "SIG_DFL"), port)],
        report=lambda *line: lines.append(line),
        max_restarts=1,
        stop_timeout=5,
        command=(sys.executable, "-c"),
    )
    timer = threading.Timer(20, supervisor.request_stop)  # a safety net, never needed
    timer.start()
    try:
        assert supervisor.run() == 1
    finally:
        timer.cancel()
    assert supervisor.failed == "crasher exited with status 3 after 1 restart(s): giving up"
    statuses = [text for name, kind, text in lines if name == "crasher" and kind == "status"]
    assert any("restarting in 0.5 s (1/1)" in text for text in statuses)
    assert ("steady", "status", "stopped") in lines
    assert supervisor.pids() == {}


def test_a_child_ignoring_sigterm_is_killed_after_the_timeout() -> None:
    port = free_port()
    lines: list[tuple[str, str, str]] = []
    ready = threading.Event()

    def report(name: str, kind: str, text: str) -> None:
        lines.append((name, kind, text))
        if text.startswith("ready on"):
            ready.set()

    supervisor = Supervisor(
        [_spec("stubborn", STUBBORN, port)],
        report=report,
        stop_timeout=0.3,
        command=(sys.executable, "-c"),
    )
    pids: list[int] = []

    def stop_once_ready() -> None:
        if ready.wait(30):
            pids.extend(supervisor.pids().values())
        supervisor.request_stop()

    helper = threading.Thread(target=stop_once_ready, daemon=True)
    helper.start()
    assert supervisor.run() == 0
    helper.join(30)
    assert ready.is_set(), f"the child was never reported ready: {lines}"
    assert ("stubborn", "output", "up") in lines
    assert ("stubborn", "status", "did not stop within 0.3 s: killed") in lines
    assert pids and not any(alive(pid) for pid in pids)
