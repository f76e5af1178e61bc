"""Tuning costs: rules on the gate's path, the shadowed-permit analysis, a backtest replay."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime

from benchmarks._timing import percentiles_us
from interlock.gate import Gate
from interlock.model import Action, Agent, Resource, Verb
from interlock.policy import RuleSet, load_policies, make_rule, shadowed_permits, with_rules
from interlock.tuning import RecordedAction, RecordedDecision, backtest

ITERATIONS = 5000
RULES = 200


def _rules() -> RuleSet:
    made = [make_rule(f"r{i}", f"tool{i} sub *", "shell", "read") for i in range(RULES - 1)]
    made.append(make_rule("nm", "rm -rf node_modules", "shell", "write"))
    return RuleSet(tuple(made))


def run() -> dict[str, float]:
    rules = _rules()
    agent = Agent("bench-agent")
    prod = Resource("app", "production")
    counter = itertools.count()
    gate = Gate(with_rules(load_policies(), rules))

    def ruled() -> None:  # a memo miss each time (new target); the rule applies
        gate.decide(agent, prod, (_rm("node_modules", next(counter)),))

    hit = percentiles_us(lambda: rules.match(_rm("node_modules", 0)), ITERATIONS)
    other = _action("git status", "shell:git")
    miss = percentiles_us(lambda: rules.match(other), ITERATIONS)
    decided = percentiles_us(ruled, ITERATIONS)

    bundle = load_policies()
    started = time.perf_counter()
    shadowed_permits(bundle)
    analysis_ms = (time.perf_counter() - started) * 1000

    records = [_record(i) for i in range(2000)]
    started = time.perf_counter()
    backtest(records, bundle, with_rules(bundle, rules))
    replay_us = (time.perf_counter() - started) * 1e6 / len(records) / 2

    return {
        "rules_match_hit_p50_us": hit["p50"],
        "rules_match_miss_p50_us": miss["p50"],
        "gate_with_200_rules_miss_p50_us": decided["p50"],
        "policy_shadow_analysis_default_ms": round(analysis_ms, 1),
        "backtest_replay_per_decision_us": round(replay_us, 1),
    }


def _action(detail: str, operation: str, target: str = "") -> Action:
    targets = (target,) if target else ()
    return Action("shell", operation, Verb.DESTRUCTIVE, targets, detail=detail)


def _rm(target: str, n: int) -> Action:
    # Distinct targets defeat the evaluator's memo: every call is a Cedar evaluation.
    return Action(
        "shell", "shell:rm", Verb.DESTRUCTIVE, (f"{target}#{n}",), detail=f"rm -rf {target}"
    )


def _record(i: int) -> RecordedDecision:
    action = _rm("node_modules" if i % 2 else "src", i)
    return RecordedDecision(
        seq=i,
        ts=datetime.now(UTC),
        source="bench",
        kind="shell",
        agent="bench-agent",
        agent_id="",
        resource="app",
        environment="production",
        outcome="hold",
        enforced="hold",
        shadow=False,
        risk="destructive",
        policies=("hold-destructive-production",),
        reasons=(),
        actions=(RecordedAction(action, "hold", ("hold-destructive-production",)),),
        payload_hmac="",
    )
