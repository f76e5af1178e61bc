"""Whole-process hook latency: from starting the hook command to its answer.

The hook command is exactly what `interlock hooks install` writes:
`<venv>/bin/python -I -S src/interlock/hooks/client.py claude-code --home HOME`. With the
resident process (`hook_daemon_*`) the client relays the event over the Unix socket; without
it (`hook_cold_*`) the client falls back to evaluating in its own process. `hook_service_*` is
the service-mode command (`--socket S --peer-uid U`): the daemon binds a socket of its own
(0666, in a directory only its user writes) and the client checks the peer's uid with
SO_PEERCRED before it trusts the answer; here both run as the same user, which times the
same code a two-user installation runs. Each figure covers a benign command (`ls -la`) and
the incident's destructive `curl … volumeDelete`, alternated.

`hook_launcher_*` is the portable command a project's committed settings name,
`interlock-hook claude-code`, as `interlock hooks install` leaves it on this machine: a
`#!/bin/sh` launcher running `<python> -I -S <client.py>`, with the resident process running
and the home found from the working directory, as a teammate's hook finds it.
`hook_console_script_*` is the same command as pip's console script (before any install
refreshed it): an ordinary Python start with `site`, every `.pth` processed. The daemon,
launcher and console-script figures are taken interleaved, so load falls on each alike.

`hook_budget_overrun_p50_ms` is how late the daemon's deny comes when a decision is stuck:
the time `HookDaemon.reply` takes beyond its budget (0.2 s here) to answer on its own.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CLIENT = ROOT / "src" / "interlock" / "hooks" / "client.py"
RUNS = 40
BUDGET = 0.2
BUDGET_RUNS = 10
# What pip writes for the `interlock-hook` entry point (the `site`-ful slow form).
PIP_CONSOLE_SCRIPT = """#!{python}
# -*- coding: utf-8 -*-
import re
import sys
from interlock_hook import main
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit(main())
"""
INCIDENT = (
    "curl -X POST https://backboard.railway.app/graphql/v2 "
    '-H "Authorization: Bearer $RAILWAY_TOKEN" -H "Content-Type: application/json" '
    '-d \'{"query":"mutation { volumeDelete(volumeId: \\"vol-prod-123\\") }"}\''
)


def _event(command: str, cwd: Path) -> bytes:
    return json.dumps(
        {
            "session_id": "bench",
            "cwd": str(cwd),
            "hook_event_name": "PreToolUse",
            "tool_name": "Bash",
            "tool_input": {"command": command},
        }
    ).encode()


def _hook_command(home: Path, service: Path | None = None) -> list[str]:
    where = ["--home", str(home)]
    if service is not None:
        where = ["--socket", str(service), "--peer-uid", str(os.getuid())]
    return [sys.executable, "-I", "-S", str(CLIENT), "claude-code", *where]


def _time_hook(
    home: Path, events: list[bytes], runs: int, *, service: Path | None = None
) -> list[float]:
    return _time_commands(home, events, runs, {"hook": _hook_command(home, service)})["hook"]


def _time_commands(
    home: Path, events: list[bytes], runs: int, commands: dict[str, list[str]]
) -> dict[str, list[float]]:
    """Each command `runs` times, interleaved (A, B, C, A, B, C, …) so that the machine's
    load falls on all of them alike."""
    env = {k: v for k, v in os.environ.items() if k != "INTERLOCK_HOME"}
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for i in range(runs):
        event = events[i % len(events)]
        for name, command in commands.items():
            start = time.perf_counter()
            result = subprocess.run(
                command,
                input=event,
                capture_output=True,
                check=False,
                cwd=home.parent,
                env=env,
            )
            samples[name].append((time.perf_counter() - start) * 1000)
            if not result.stdout.startswith(b'{"hookSpecificOutput"'):
                raise RuntimeError(f"{name} gave no decision: {result.stdout!r} {result.stderr!r}")
    return samples


def _launchers(directory: Path) -> dict[str, list[str]]:
    """The portable command `interlock-hook claude-code` (no path, the home found from the
    cwd) in its two forms: pip's console script as `pip install` leaves it, and the launcher
    `interlock hooks install` writes over it."""
    from interlock.hooks import refresh_launcher

    forms = {}
    for name in ("console_script", "launcher"):
        bin_dir = directory / name
        bin_dir.mkdir()
        script = bin_dir / "interlock-hook"
        script.write_text(PIP_CONSOLE_SCRIPT.format(python=sys.executable))
        script.chmod(0o755)
        if name == "launcher" and not refresh_launcher(bin_dir).fast:
            raise RuntimeError("the launcher was not written")
        forms[name] = [str(script), "claude-code"]
    return forms


def _figures(name: str, samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    return {
        f"hook_{name}_p50_ms": round(statistics.median(samples), 1),
        f"hook_{name}_p95_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.95))], 1),
    }


def run() -> dict[str, float]:
    sys.path.insert(0, str(ROOT / "src"))
    from interlock.home import init_home

    with tempfile.TemporaryDirectory(prefix="ilhb-") as tmp:
        home, _ = init_home(Path(tmp) / ".interlock")
        events = [_event("ls -la", Path(tmp)), _event(INCIDENT, Path(tmp))]
        results = _figures("cold", _time_hook(home.root, events, RUNS // 2))
        with _daemon(home.root, None):
            _time_hook(home.root, events, 4)  # warm up the daemon's caches
            commands = {"daemon": _hook_command(home.root), **_launchers(Path(tmp))}
            for name, samples in _time_commands(home.root, events, RUNS, commands).items():
                results.update(_figures(name, samples))
        run_dir = Path(tmp) / "run"
        run_dir.mkdir(mode=0o755)
        socket = run_dir / "hooks.sock"
        with _daemon(home.root, socket):
            _time_hook(home.root, events, 4, service=socket)
            results.update(_figures("service", _time_hook(home.root, events, RUNS, service=socket)))
        overrun = [ms - BUDGET * 1000 for ms in _time_stuck_decisions(home, events[0])]
        results["hook_budget_overrun_p50_ms"] = round(statistics.median(overrun), 1)
    return results


@contextlib.contextmanager
def _daemon(home: Path, socket: Path | None) -> Iterator[None]:
    """`interlock hooks serve` on `home` (on `socket` in service mode) until the block ends."""
    from interlock.hooks import ping

    code = (
        "import sys; from pathlib import Path; from interlock.home import Home; "
        "from interlock.hooks import serve; "
        "serve(Home(Path(sys.argv[1])), socket=Path(sys.argv[2]) if sys.argv[2] else None)"
    )
    path = socket or home / "state" / "hooks.sock"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(home), str(socket or "")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not ping(path, timeout=0.2, peer_uid=os.getuid()):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the hook daemon did not start")
            time.sleep(0.05)
        yield
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _time_stuck_decisions(home: Any, event: bytes) -> list[float]:
    """Milliseconds for the daemon to answer while its decision is stuck (never released
    until the answer is in)."""
    from interlock.hooks._daemon import HookDaemon

    daemon = HookDaemon(home, budget=BUDGET)
    real = daemon.decider
    release, finished = threading.Event(), threading.Event()

    class Stuck:
        audit = real.audit
        settings = real.settings

        def answer(
            self, agent: str, raw: bytes, *, deadline: float | None = None, **_: object
        ) -> object:
            try:
                release.wait(30)
                return real.answer(agent, raw, deadline=deadline)
            finally:
                finished.set()

    daemon.decider = Stuck()  # type: ignore[assignment]
    samples = []
    try:
        for _ in range(BUDGET_RUNS):
            release.clear()
            finished.clear()
            start = time.perf_counter()
            reply = daemon.reply(b"interlock-hook/1 claude-code\n" + event)
            samples.append((time.perf_counter() - start) * 1000)
            release.set()
            finished.wait(30)  # the late decision is recorded before the next one starts
            if not reply.startswith(b"2 "):
                raise RuntimeError(f"a stuck decision was not denied: {reply[:80]!r}")
    finally:
        release.set()
        daemon.close()
    return samples


if __name__ == "__main__":
    print(run())
