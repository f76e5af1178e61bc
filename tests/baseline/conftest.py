"""A throw-away home with a registered agent, and a tracker on it with a hand-moved clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from interlock.baseline import BaselineTracker, tracker_for_home
from interlock.home import Home, init_home
from interlock.identity import AgentRegistry
from interlock.model import Agent, Human, Verb

OPERATOR = Human("local:test", "admin")
QUIET = """
[baseline]
learning_actions = 20
learning_period = "0s"

[breaker]
destructive = 5
denials = 4
"""


@dataclass
class Setup:
    home: Home
    agent: Agent
    token: str
    clock: list[float]

    def tracker(self) -> BaselineTracker:
        tracker = tracker_for_home(self.home, audit=self.home.audit_log())
        assert tracker is not None
        tracker.clock = lambda: self.clock[0]
        return tracker


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    monkeypatch.delenv("INTERLOCK_AGENT_TOKEN", raising=False)
    home, _ = init_home(tmp_path / ".interlock")
    with home.config_path.open("a") as config:
        config.write(QUIET)
    record, minted = AgentRegistry.for_home(home).create(
        OPERATOR,
        "runner",
        environments=["staging", "production"],
        task="fix staging",
        owner="alice",
        max_verb=Verb.DESTRUCTIVE,
    )
    agent = Agent(
        "runner",
        id=record.id,
        environments=frozenset({"staging", "production"}),
        max_verb=Verb.DESTRUCTIVE,
        owner="alice",
        task="fix staging",
    )
    yield Setup(home, agent, minted.token, [1_780_000_000.0])
