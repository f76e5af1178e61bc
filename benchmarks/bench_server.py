"""The control plane's POST /v1/decide, in-process through the ASGI app (TestClient):
token check, classification, gate, audit record and JSON both ways. Also GET
/v1/approvals as a human with a queue of 50 held requests."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyotp
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from benchmarks._timing import percentiles_us
from interlock.home import init_home
from interlock.identity import AgentRegistry, HumanRegistry
from interlock.model import Human, Verb
from interlock.server import ServerSettings, create_app

ITERATIONS = 1_000
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
    return {
        "decide_allow_p50_us": allow["p50"],
        "decide_allow_p99_us": allow["p99"],
        "decide_hold_p50_us": hold["p50"],
        "decide_hold_p99_us": hold["p99"],
        "approvals_list_50_p50_us": queue["p50"],
    }


if __name__ == "__main__":
    print(run())
