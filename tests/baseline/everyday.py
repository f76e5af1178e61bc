"""The everyday corpus replayed as ordered sessions through the gate, with and without the
baseline: how often does the baseline make a decision stricter? (docs/baselines.md; the
test and `benchmarks/bench_baseline.py` share this.)"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from interlock.baseline import BaselineTracker
from interlock.classify import classify
from interlock.config import BaselineSettings, BreakerSettings
from interlock.gate import Gate
from interlock.model import Agent, Resource
from interlock.state import SQLiteBaselineStorage
from tests.classify.corpus import workspace

DAY = 86_400.0
START = 1_780_000_000.0 - (1_780_000_000.0 % DAY) + 9 * 3600  # 09:00 UTC
GAP = 20.0  # seconds between an agent's commands


@dataclass(frozen=True, slots=True)
class Replay:
    actions: int  # actions decided after the learning period
    stricter: int  # of those, how many the baseline held or denied where the policy alone did not
    learning: int  # actions decided during the learning period
    examples: tuple[str, ...]
    levels: tuple[tuple[str, int], ...] = ()  # inputs per risk level, after learning

    @property
    def share(self) -> float:
        return self.stricter / self.actions if self.actions else 0.0


def replay(
    environment: str = "production",
    days: int = 3,
    settings: BaselineSettings | None = None,
    breaker: BreakerSettings | None = None,
) -> Replay:
    """The corpus as `days` working sessions (one a day, commands `GAP` apart)."""
    settings = settings if settings is not None else BaselineSettings()
    with tempfile.TemporaryDirectory() as tmp:
        root = workspace.build(Path(tmp) / "work")
        storage = SQLiteBaselineStorage(Path(tmp) / "state.db")
        clock = [START]
        tracker = BaselineTracker(
            storage,
            settings,
            breaker if breaker is not None else BreakerSettings(),
            clock=lambda: clock[0],
        )
        plain, watched = Gate(), Gate(baseline=tracker)
        agent = Agent("everyday", id="0123456789ab", environments=frozenset({environment}))
        resource = Resource("everyday-shell", environment)
        commands = workspace.commands()
        counted = stricter = learning = 0
        examples: list[str] = []
        levels: dict[str, int] = {}
        for day in range(days):
            for index, command in enumerate(commands):
                clock[0] = START + day * DAY + index * GAP
                actions = classify("shell", command, cwd=str(root))
                before = plain.decide(agent, resource, actions)
                after = watched.decide(agent, resource, actions)
                tracker.observe(agent, resource, after)
                if after.baseline.learning:
                    learning += len(actions)
                    continue
                counted += len(actions)
                level = after.baseline.level.value
                levels[level] = levels.get(level, 0) + 1
                if after.outcome.severity > before.outcome.severity:
                    stricter += len(actions)
                    examples.append(f"{command}: {'; '.join(after.baseline.reasons)}")
        storage.close()
    return Replay(counted, stricter, learning, tuple(examples), tuple(sorted(levels.items())))
