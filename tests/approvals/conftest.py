from __future__ import annotations

from pathlib import Path

import pytest

from interlock.approvals import ApprovalStore
from interlock.home import Home, init_home
from interlock.model import Action, ActionDecision, Agent, Decision, Outcome, Resource, Verb


class FakeClock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


AGENT = Agent("ops-bot", id="a1b2c3d4e5f6", environments=frozenset({"production"}))
PROD = Resource("railway", "production", "http")


def held(approvers: int = 1) -> Decision:
    action = Action("graphql", "graphql:volumeDelete", Verb.DESTRUCTIVE, ("vol-prod",))
    return Decision(
        Outcome.HOLD,
        Verb.DESTRUCTIVE,
        (ActionDecision(action, Outcome.HOLD, ("volumeDelete is destructive",), ("hold",)),),
        ("hold-destructive-production: needs a human",),
        ("hold-destructive-production",),
        ("snapshot",),
        approvers,
    )


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    monkeypatch.delenv("INTERLOCK_AGENT_TOKEN", raising=False)
    created, _ = init_home(tmp_path / ".interlock")
    return created


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(home: Home, clock: FakeClock) -> ApprovalStore:
    return ApprovalStore.for_home(home, clock=clock)
