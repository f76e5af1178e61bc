"""The behavioural baseline: what it adds to a gate decision, what learning costs after a
record, and how often it makes the everyday corpus stricter (docs/baselines.md)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.baseline.everyday import replay

from benchmarks._timing import percentiles_us
from interlock.baseline import BaselineTracker
from interlock.classify import classify
from interlock.config import BaselineSettings
from interlock.gate import Gate
from interlock.model import Agent, Resource
from interlock.state import SQLiteBaselineStorage

ITERATIONS = 5000


def run() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        storage = SQLiteBaselineStorage(Path(tmp) / "state.db")
        clock = [1_780_000_000.0]
        settings = BaselineSettings(learning_actions=50, learning_period=60)
        tracker = BaselineTracker(storage, settings, clock=lambda: clock[0])
        agent = Agent("bench-agent", id="0123456789ab", environments=frozenset({"staging"}))
        staging = Resource("orders-db", "staging", "postgres")
        actions = classify("sql", "UPDATE orders SET note = 'x' WHERE id = 42")
        plain, watched = Gate(), Gate(baseline=tracker)
        for _ in range(200):  # a mature profile that knows this work
            clock[0] += 20
            tracker.observe(agent, staging, watched.decide(agent, staging, actions))

        without = percentiles_us(lambda: plain.decide(agent, staging, actions), ITERATIONS)
        with_baseline = percentiles_us(lambda: watched.decide(agent, staging, actions), ITERATIONS)
        assess = percentiles_us(lambda: tracker.assess(agent, staging, actions[0]), ITERATIONS)
        decision = watched.decide(agent, staging, actions)

        def learn() -> None:
            clock[0] += 20
            tracker.observe(agent, staging, decision)

        observe = percentiles_us(learn, 2000, warmup=50)
        storage.close()
    everyday = replay("production")
    return {
        "baseline_p50_us": round(max(0.0, with_baseline["p50"] - without["p50"]), 2),
        "baseline_gate_p50_us": with_baseline["p50"],
        "baseline_assess_p50_us": assess["p50"],
        "baseline_assess_p99_us": assess["p99"],
        "baseline_observe_p50_us": observe["p50"],
        "baseline_observe_p99_us": observe["p99"],
        "baseline_everyday_stricter_pct": round(100 * everyday.share, 3),
    }
