"""The labelled set of real providers' calls (`cases/providers/*.jsonl`) and its score.

Each line is `{provider, kind, payload, expect, note}`: a concrete call built from a real
published definition (see `cases/providers/README.md`), and what the provider's own semantics
make it: `destructive` and `privilege` calls must be stopped (held or denied on production),
`harmless` ones allowed. Shared by the test (`test_providers.py`) and the benchmark
(`benchmarks/bench_providers.py`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interlock.classify import classify
from interlock.gate import Gate
from interlock.model import Agent, Outcome, Resource, most_severe

CASES_DIR = Path(__file__).parent / "cases" / "providers"
_GATE = Gate()
_PRODUCTION = Resource("prod", "production")


def load() -> list[dict[str, Any]]:
    cases = []
    for path in sorted(CASES_DIR.glob("*.jsonl")):
        cases += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return cases


def serverless(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The MCP calls as `interlock check mcp` most often gets them: `{"tool", "arguments"}`,
    with no `server` (nor `annotations`) for a pack to go by."""
    stripped = []
    for case in cases:
        if case["kind"] != "mcp":
            continue
        payload = {k: v for k, v in case["payload"].items() if k not in ("server", "annotations")}
        stripped.append({**case, "payload": payload})
    return stripped


def stopped(case: dict[str, Any]) -> tuple[bool, str]:
    """Whether the gate stops this call on production, and the verb read."""
    actions = classify(case["kind"], case["payload"])
    verb = most_severe(a.verb for a in actions).value
    return _GATE.decide(Agent("providers"), _PRODUCTION, actions).outcome is not Outcome.ALLOW, verb


@dataclass
class Score:
    dangerous: int = 0
    stopped: int = 0
    harmless: int = 0
    passed: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def stopped_pct(self) -> float:
        return round(100 * self.stopped / max(self.dangerous, 1), 1)

    @property
    def passed_pct(self) -> float:
        return round(100 * self.passed / max(self.harmless, 1), 1)


def score(cases: list[dict[str, Any]]) -> dict[str, Score]:
    """Per provider, and `all`."""
    result: dict[str, Score] = {"all": Score()}
    for case in cases:
        was_stopped, verb = stopped(case)
        for key in ("all", case["provider"]):
            s = result.setdefault(key, Score())
            if case["expect"] == "harmless":
                s.harmless += 1
                s.passed += not was_stopped
            else:
                s.dangerous += 1
                s.stopped += was_stopped
            if was_stopped != (case["expect"] != "harmless") and key == "all":
                s.misses.append(f"{case['provider']} {case['expect']} got {verb}: {case['note']}")
    return result
