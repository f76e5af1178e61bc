"""A throw-away home with users (password + TOTP), an agent and a resource, and the control
plane on it: in-process (TestClient) for API tests, on a loopback port (uvicorn) for the
browser and webhook tests."""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyotp
import pytest
import uvicorn
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from interlock.home import Home, init_home
from interlock.identity import AgentRegistry, HumanRegistry, ResourceRegistry
from interlock.model import Human, Verb
from interlock.server import ServerSettings, create_app
from tests._wait import wait_until

OPERATOR = Human("local:test", "admin")
# Generated at test time: the repository's own secret scan must find no credential here.
PG_CREDENTIAL = "pg-" + secrets.token_hex(12)
PASSWORD = "correct horse battery staple"
# Tests need speed, not resistance to offline guessing: the cheapest argon2 parameters.
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@dataclass
class Plane:
    home: Home
    totp: dict[str, str]
    token: str  # the agent ops-bot, owned by "bob"
    staging_token: str
    logins: dict[str, int] = field(default_factory=dict)
    # The time every app built on this plane checks TOTP codes at (see `build_app`): codes
    # made for it stay valid however long the test runs or when a 30-second step ends.
    totp_time: float = field(default_factory=time.time)

    def code(self, name: str) -> str:
        """A TOTP code for `name` not used yet: steps now-1, now, now+1 (each works once)."""
        used = self.logins.get(name, 0)
        self.logins[name] = used + 1
        if used > 2:
            raise AssertionError(f"more than three logins of {name} in one test")
        return pyotp.TOTP(self.totp[name]).at(self.totp_time + 30 * (used - 1))

    def login(self, client: TestClient, name: str) -> str:
        """Log `name` in on `client`; returns the session's CSRF token."""
        response = client.post(
            "/v1/session", json={"name": name, "password": PASSWORD, "code": self.code(name)}
        )
        assert response.status_code == 200, response.text
        csrf: str = response.json()["csrf_token"]
        client.headers["X-CSRF-Token"] = csrf
        return csrf

    def agent_headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}


def make_plane(root: Path) -> Plane:
    home, _ = init_home(root)
    humans = HumanRegistry.for_home(home)
    humans.hasher = CHEAP
    totp = {}
    for name, role in (("alice", "admin"), ("bob", "approver"), ("carol", "approver")):
        totp[name] = humans.add(OPERATOR, name, role=role, password=PASSWORD).totp_secret
    agents = AgentRegistry.for_home(home)
    _, prod = agents.create(
        OPERATOR,
        "ops-bot",
        environments=["production", "staging"],
        task="rotate logs",
        owner="bob@example.com",
        max_verb=Verb.DESTRUCTIVE,
    )
    _, staging = agents.create(
        OPERATOR,
        "staging-fixer",
        environments=["staging"],
        task="fix staging",
        owner="carol",
        max_verb=Verb.DESTRUCTIVE,
    )
    ResourceRegistry.for_home(home).add(
        OPERATOR,
        "orders-db",
        kind="postgres",
        environment="production",
        upstream="postgres://db.internal:5432/orders",
        credential=PG_CREDENTIAL,
    )
    return Plane(home, totp, prod.token, staging.token)


@pytest.fixture
def plane(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Plane:
    monkeypatch.delenv("INTERLOCK_AGENT_TOKEN", raising=False)
    return make_plane(tmp_path / ".interlock")


def build_app(plane: Plane, **settings: Any) -> FastAPI:
    app = create_app(plane.home, ServerSettings(**settings), hasher=CHEAP)
    app.state.plane.humans.clock = lambda: plane.totp_time
    return app


@pytest.fixture
def app(plane: Plane) -> FastAPI:
    return build_app(plane)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def other_client(app: FastAPI) -> TestClient:
    """A second browser on the same app (its own cookies); the first client runs the app."""
    return TestClient(app)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """The app under uvicorn on a loopback port, in a thread."""

    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        wait_until(
            lambda: self.server.started or not self.thread.is_alive(),
            what="the control plane to start",
        )
        if not self.server.started:
            raise AssertionError("the control plane did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
