"""Requests per second and added latency through the HTTP proxy, against the same upstream.

One run starts, on 127.0.0.1: an upstream (aiohttp's low-level server answering a small
JSON body, in its own process) and `interlock proxy http` (its own process, a throw-away
home with one registered resource, an agent token and a sealed credential). The load
generator is wrk (installed with apt-get when missing; a Python client otherwise):

- `http_direct_rps`, `http_proxy_rps`: 8 connections, 5 s each, keep-alive, an allowed GET.
- `http_direct_p50_ms`, `http_proxy_p50_ms`, `http_added_p50_ms`: one connection, 3 s each
  (latency without queueing), p50 through the proxy minus p50 direct.
- `http_approval_to_forward_ms`: a held request waiting with `Prefer: wait=30`, from the
  moment a human approves it to its response (median of 5; the proxy polls every 0.1 s).

Every proxied request is a full decision: token check, classification, Cedar, an audit
record before forwarding and an outcome record after.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
LOAD_SECONDS = 5
LATENCY_SECONDS = 3

UPSTREAM = textwrap.dedent(
    """
    import asyncio, sys
    from aiohttp import web
    BODY = b'{"items": [1, 2, 3], "ok": true}'
    async def handle(request):
        await request.read()
        return web.Response(body=BODY, content_type="application/json")
    async def main():
        server = web.Server(handle, access_log=None)
        loop = asyncio.get_running_loop()
        listener = await loop.create_server(server, "127.0.0.1", int(sys.argv[1]))
        print("ready", flush=True)
        await asyncio.Event().wait()
    asyncio.run(main())
    """
)

PROXY = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from interlock.home import Home
    from interlock.proxy.http import load_proxy_config, serve
    home = Home(Path(sys.argv[1]))
    serve(home, load_proxy_config(home.config_path))
    """
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port}")


def _ensure_wrk() -> str | None:
    found = shutil.which("wrk")
    if found is None and shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "wrk"], capture_output=True, timeout=180, check=False
        )
        found = shutil.which("wrk")
    return found


def _home(tmp: Path, upstream_port: int, proxy_port: int) -> tuple[str, str]:
    sys.path.insert(0, str(ROOT / "src"))
    from interlock.home import init_home
    from interlock.identity import AgentRegistry, ResourceRegistry
    from interlock.model import Human, Verb

    home, _ = init_home(tmp / "home")
    operator = Human("local:bench", "admin")
    ResourceRegistry.for_home(home).add(
        operator,
        "api",
        kind="http",
        environment="staging",
        upstream=f"http://127.0.0.1:{upstream_port}",
        credential="bench-upstream-secret-0123456789",
    )
    _, minted = AgentRegistry.for_home(home).create(
        operator,
        "bench-agent",
        environments=["staging"],
        task="bench",
        owner="bench",
        max_verb=Verb.DESTRUCTIVE,  # a DELETE is held (no snapshot hook), not refused
    )
    with home.config_path.open("a") as config:
        config.write(
            f'\n[proxy.http]\nlisten = "127.0.0.1:{proxy_port}"\n\n[proxy.http.routes.api]\n'
        )
    return str(home.root), minted.token


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _wrk(wrk: str, url: str, token: str, connections: int, seconds: int) -> tuple[float, float]:
    out = subprocess.run(
        [
            wrk,
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-H",
            f"Authorization: Bearer {token}",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"\s50%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    if "Non-2xx" in out:
        raise RuntimeError(f"non-2xx answers under load:\n{out}")
    return rps, float(value) * _UNITS[unit]


def _python_load(url: str, token: str, connections: int, seconds: int) -> tuple[float, float]:
    import http.client
    import statistics
    import threading
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    latencies: list[float] = []
    count = [0]
    stop = time.monotonic() + seconds

    def worker() -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        while time.monotonic() < stop:
            began = time.perf_counter()
            conn.request("GET", parts.path, headers={"Authorization": f"Bearer {token}"})
            conn.getresponse().read()
            latencies.append((time.perf_counter() - began) * 1000)
            count[0] += 1

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return count[0] / seconds, statistics.median(latencies)


def run() -> dict[str, float]:
    wrk = _ensure_wrk()
    load = (lambda *a: _wrk(wrk, *a)) if wrk else _python_load
    upstream_port, proxy_port = _free_port(), _free_port()
    processes: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="interlock-bench-http-") as tmp:
        home, token = _home(Path(tmp), upstream_port, proxy_port)
        try:
            processes.append(subprocess.Popen([PY, "-c", UPSTREAM, str(upstream_port)]))
            env = {**os.environ, "INTERLOCK_HOME": home}
            env.pop("INTERLOCK_AGENT_TOKEN", None)
            processes.append(
                subprocess.Popen(
                    [PY, "-c", PROXY, home],
                    env=env,
                    stdout=subprocess.DEVNULL,
                )
            )
            _wait_port(upstream_port)
            _wait_port(proxy_port)
            direct = f"http://127.0.0.1:{upstream_port}/api/items?page=1"
            proxied = f"http://127.0.0.1:{proxy_port}/api/api/items?page=1"
            load(proxied, token, 2, 1)  # warm-up: token cache, Cedar memo, connection pool
            direct_rps, _ = load(direct, token, 8, LOAD_SECONDS)
            proxy_rps, _ = load(proxied, token, 8, LOAD_SECONDS)
            _, direct_p50 = load(direct, token, 1, LATENCY_SECONDS)
            _, proxy_p50 = load(proxied, token, 1, LATENCY_SECONDS)
            approval_ms = _approval_to_forward(home, proxy_port, token)
        finally:
            for process in processes:
                process.send_signal(signal.SIGINT)
            for process in processes:
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
        records = _count_records(home)
    return {
        "http_direct_rps": round(direct_rps, 1),
        "http_proxy_rps": round(proxy_rps, 1),
        "http_direct_p50_ms": round(direct_p50, 3),
        "http_proxy_p50_ms": round(proxy_p50, 3),
        "http_added_p50_ms": round(proxy_p50 - direct_p50, 3),
        "http_approval_to_forward_ms": round(approval_ms, 1),
        "http_proxy_audit_records": float(records),
        "http_load_generator_wrk": 1.0 if wrk else 0.0,
    }


def _approval_to_forward(home: str, port: int, token: str, rounds: int = 5) -> float:
    """Median ms from a human's approval to the response of the request waiting for it."""
    import statistics
    import threading

    from interlock.approvals import ApprovalStore, Status
    from interlock.home import Home
    from interlock.model import Human

    store = ApprovalStore.for_home(Home(Path(home)))
    human = Human("local:approver", "admin")
    latencies = []
    for i in range(rounds):
        done = threading.Event()
        statuses: list[int] = []
        threading.Thread(
            target=_send_waiting,
            args=(port, token, f"/api/api/items/{i}", statuses, done),
            daemon=True,
        ).start()
        deadline = time.monotonic() + 20
        while not (pending := store.requests([Status.PENDING])):
            if time.monotonic() > deadline:
                raise RuntimeError("the held request never reached the approval queue")
            time.sleep(0.01)
        approved = time.perf_counter()
        store.approve(pending[0].id, human)
        if not done.wait(30) or statuses != [200]:
            raise RuntimeError(f"the approved request did not run: {statuses}")
        latencies.append((time.perf_counter() - approved) * 1000)
    store.close()
    return statistics.median(latencies)


def _send_waiting(port: int, token: str, path: str, statuses: list[int], done: Any) -> None:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("DELETE", path, headers={"Authorization": f"Bearer {token}", "Prefer": "wait=30"})
    statuses.append(conn.getresponse().status)
    conn.close()
    done.set()


def _count_records(home: str) -> int:
    import sqlite3

    with sqlite3.connect(Path(home) / "state" / "interlock.db") as db:
        return int(db.execute("SELECT COUNT(*) FROM audit_records").fetchone()[0])


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
