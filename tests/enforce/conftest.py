from __future__ import annotations

from pathlib import Path

import pytest

from interlock.approvals import ApprovalStore
from interlock.enforce import ActionRequest, EnforcementPoint
from interlock.gate import Gate
from interlock.home import Home, init_home
from interlock.model import Agent, Human, Resource

AGENT = Agent("ops-bot", id="a1b2c3d4e5f6", environments=frozenset({"production", "staging"}))
PROD = Resource("orders-db", "production", "postgres")
STAGING = Resource("orders-staging", "staging", "postgres")
ALICE = Human("alice", "approver")
BOB = Human("bob", "approver")


class FakeClock:
    """Monotonic time that only moves when a test (or the fake sleep) moves it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    monkeypatch.delenv("INTERLOCK_AGENT_TOKEN", raising=False)
    created, _ = init_home(tmp_path / ".interlock")
    return created


@pytest.fixture
def point(home: Home) -> EnforcementPoint:
    audit = home.audit_log()
    return EnforcementPoint(
        gate=Gate(home.load_policies()),
        audit=audit,
        approvals=ApprovalStore(home.database, audit=audit),
        hmac_key=home.hmac_key.read_bytes(),
        wait_hint="or wait on the connection",
    )


def sql(text: str, resource: Resource = PROD, **extra: object) -> ActionRequest:
    return ActionRequest("proxy:pg", AGENT, resource, "sql", text, **extra)  # type: ignore[arg-type]
