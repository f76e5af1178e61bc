"""The control plane's POST /v1/decide, in-process through the ASGI app (TestClient):
token check, classification, gate, audit record and JSON both ways. Also GET
/v1/approvals as a human with a queue of 50 held requests, and how soon an agent waiting
with `Prefer: wait=N` is answered once a human approves (`decide_wait_wake_p50_ms`)."""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pyotp
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from benchmarks._timing import percentiles_us
from interlock.approvals import ApprovalStore
from interlock.home import Home, init_home
from interlock.identity import AgentRegistry, HumanRegistry
from interlock.model import Human, Verb
from interlock.server import ServerSettings, create_app

ITERATIONS = 1_000
WAKE_RUNS = 10
PASSWORD = "benchmark password 1"


def run() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        home, _ = init_home(Path(tmp) / ".interlock")
        admin = Human("bench", "admin")
        hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        humans = HumanRegistry.for_home(home)
        humans.hasher = hasher
        secret = humans.add(admin, "alice", role="approver", password=PASSWORD).totp_secret
        _, minted = AgentRegistry.for_home(home).create(
            admin,
            "bench-agent",
            environments=["production", "staging"],
            task="bench",
            owner="bench",
            max_verb=Verb.DESTRUCTIVE,
        )
        app = create_app(home, ServerSettings(), hasher=hasher)
        headers = {"Authorization": f"Bearer {minted.token}"}
        with TestClient(app) as client:
            read = {
                "kind": "sql",
                "payload": "SELECT id FROM orders WHERE id = 1",
                "env": "staging",
            }
            allow = percentiles_us(
                lambda: client.post("/v1/decide", json=read, headers=headers), ITERATIONS, 50
            )
            shell = {"kind": "shell", "payload": "rm -rf /srv/data", "env": "production"}
            hold = percentiles_us(
                lambda: client.post("/v1/decide", json=shell, headers=headers), ITERATIONS, 50
            )
            for index in range(50):
                body = {"kind": "sql", "payload": f"DROP TABLE t{index}"}
                client.post("/v1/decide", json=body, headers=headers)
            login = {"name": "alice", "password": PASSWORD, "code": pyotp.TOTP(secret).now()}
            client.post("/v1/session", json=login)
            queue = percentiles_us(lambda: client.get("/v1/approvals"), 200, 10)
            wake = _wake_ms(client, headers, home)
    return {
        "decide_allow_p50_us": allow["p50"],
        "decide_allow_p99_us": allow["p99"],
        "decide_hold_p50_us": hold["p50"],
        "decide_hold_p99_us": hold["p99"],
        "approvals_list_50_p50_us": queue["p50"],
        "decide_wait_wake_p50_ms": round(statistics.median(wake), 1),
    }


def _wake_ms(client: TestClient, headers: dict[str, str], home: Home) -> list[float]:
    """Milliseconds from a human's approval to the waiting agent's answer."""
    store = ApprovalStore.for_home(home)
    approver = Human("bench-approver", "approver")
    samples = []
    for index in range(WAKE_RUNS):
        before = {r.id for r in store.requests()}
        answers: list[Any] = []
        body = {"kind": "sql", "payload": f"DROP TABLE wake{index}", "env": "production"}
        agent = threading.Thread(target=_decide, args=(client, body, headers, answers))
        agent.start()
        deadline = time.monotonic() + 30
        new: list[Any] = []
        while not new and time.monotonic() < deadline:
            new = [r for r in store.requests() if r.id not in before]
            time.sleep(0.005)
        if not new:
            raise RuntimeError("the waiting decision opened no approval request")
        store.approve(new[0].id, approver, "bench")
        start = time.perf_counter()
        agent.join(60)
        samples.append((time.perf_counter() - start) * 1000)
        if not answers or answers[0].json()["decision"] != "allow":
            raise RuntimeError("the approved decision was not allowed")
    return samples


def _decide(
    client: TestClient, body: dict[str, str], headers: dict[str, str], answers: list[Any]
) -> None:
    """POST /v1/decide waiting up to 30 s for a human; the response goes into `answers`."""
    waiting = {**headers, "Prefer": "wait=30"}
    answers.append(client.post("/v1/decide", json=body, headers=waiting))


if __name__ == "__main__":
    print(run())
