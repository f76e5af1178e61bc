from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from interlock.audit import AuditLog
from interlock.home import Home, init_home
from interlock.identity import (
    MASTER_KEY_ENV,
    AgentRegistry,
    AgentVerifier,
    HumanRegistry,
    IdentityState,
    ResourceRegistry,
    Sealer,
    ensure_identity_keys,
)
from interlock.model import Human

ALICE = Human("alice@example.com", "admin")
START = 1_800_000_000.0


class FakeClock:
    """An injectable clock: seconds since the epoch, moved by hand."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    monkeypatch.delenv(MASTER_KEY_ENV, raising=False)
    monkeypatch.delenv("INTERLOCK_AGENT_TOKEN", raising=False)
    created, _ = init_home(tmp_path / ".interlock")
    ensure_identity_keys(created)
    return created


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def audit(home: Home) -> AuditLog:
    return home.audit_log()


@pytest.fixture
def state(home: Home) -> Iterator[IdentityState]:
    opened = IdentityState(home.database)
    yield opened
    opened.close()


@pytest.fixture
def registry(state: IdentityState, audit: AuditLog, clock: FakeClock) -> AgentRegistry:
    return AgentRegistry(state, audit=audit, clock=clock)


@pytest.fixture
def verifier(state: IdentityState, audit: AuditLog, clock: FakeClock) -> AgentVerifier:
    return AgentVerifier(state, audit=audit, clock=clock)


@pytest.fixture
def humans(state: IdentityState, home: Home, audit: AuditLog, clock: FakeClock) -> HumanRegistry:
    # Cheap argon2 parameters: the tests check behaviour, not the work factor.
    fast = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    return HumanRegistry(state, Sealer.for_home(home), audit=audit, clock=clock, hasher=fast)


@pytest.fixture
def resources(state: IdentityState, home: Home, audit: AuditLog) -> ResourceRegistry:
    return ResourceRegistry(state, Sealer.for_home(home), audit=audit)


def records(audit: AuditLog, type_: str) -> list[dict[str, Any]]:
    return [dict(r.body) for r in audit.records() if r.type == type_]


def refusal_reasons(audit: AuditLog) -> list[str]:
    return [
        str(body["reason"])
        for body in records(audit, "auth")
        if body.get("event") == "agent_token_refused"
    ]
