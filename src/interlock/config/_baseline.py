"""`[baseline]` and `[breaker]`: how quiet the behavioural baseline is, and when the circuit
breaker suspends an agent (docs/baselines.md says how the defaults were measured)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from interlock.config._values import Shape, Table

BASELINE = Shape(
    "baseline",
    {
        "enabled": True,
        "learning_actions": 200,
        "learning_period": "1h",
        "window": "1m",
        "rate_factor": 5.0,
        "rate_minimum": 60,
        "destructive_minimum": 10,
        "sequence_window": "10m",
        "off_hours_share": 0.01,
        "medium": 25,
        "high": 50,
        "critical": 80,
    },
)
BREAKER = Shape(
    "breaker",
    {
        "enabled": True,
        "window": "1m",
        "denials": 10,
        "holds": 0,
        "incidents": 5,
        "destructive": 30,
    },
)


@dataclass(frozen=True, slots=True)
class BaselineSettings:
    """`[baseline]`: durations in seconds.

    Novelty counts only once a profile has `learning_actions` actions *and* is
    `learning_period` old ("0s": no minimum age). A window's rate is unusual above
    `rate_factor` times the agent's own mean (and at least `rate_minimum`, or
    `destructive_minimum` for destructive and unknown actions). A secret read or a failure
    is remembered for `sequence_window`. An hour of the day with less than
    `off_hours_share` of the agent's history is off hours.
    Scores of `medium`, `high` and `critical` (0-100) reach those levels; any lower score
    above zero is low.
    """

    enabled: bool = True
    learning_actions: int = 200
    learning_period: int = 3600
    window: int = 60
    rate_factor: float = 5.0
    rate_minimum: int = 60
    destructive_minimum: int = 10
    sequence_window: int = 600
    off_hours_share: float = 0.01
    medium: int = 25
    high: int = 50
    critical: int = 80


@dataclass(frozen=True, slots=True)
class BreakerSettings:
    """`[breaker]`: the agent is suspended when, within `window` seconds, it collects
    `denials` denials, `holds` holds, `incidents` self-protection incidents or `destructive`
    destructive/unknown actions that were allowed to run (0 switches that trip off). Holds
    are off by default: a held action already waits for a human who is looking."""

    enabled: bool = True
    window: int = 60
    denials: int = 10
    holds: int = 0
    incidents: int = 5
    destructive: int = 30


def baseline_from(value: Any, prefix: str) -> BaselineSettings:
    table = Table.named(value, BASELINE, prefix)
    medium = table.integer("medium", minimum=1, maximum=100)
    high = table.integer("high", minimum=1, maximum=100)
    critical = table.integer("critical", minimum=1, maximum=100)
    if not medium < high < critical:
        raise table.fail("the levels must rise: medium < high < critical")
    return BaselineSettings(
        enabled=table.flag("enabled"),
        learning_actions=table.integer("learning_actions", minimum=0, unit="actions"),
        learning_period=0
        if table.raw("learning_period") in ("0", "0s")  # no minimum age: a count only
        else table.duration("learning_period", example="1h"),
        window=max(1, table.duration("window", example="1m")),
        rate_factor=table.number("rate_factor", minimum=1.0),
        rate_minimum=table.integer("rate_minimum", minimum=1, unit="actions"),
        destructive_minimum=table.integer("destructive_minimum", minimum=1, unit="actions"),
        sequence_window=table.duration("sequence_window", example="10m"),
        off_hours_share=table.number("off_hours_share", minimum=0.0, maximum=1.0),
        medium=medium,
        high=high,
        critical=critical,
    )


def breaker_from(value: Any, prefix: str) -> BreakerSettings:
    table = Table.named(value, BREAKER, prefix)
    return BreakerSettings(
        enabled=table.flag("enabled"),
        window=max(1, table.duration("window", example="1m")),
        denials=table.integer("denials", minimum=0),
        holds=table.integer("holds", minimum=0),
        incidents=table.integer("incidents", minimum=0),
        destructive=table.integer("destructive", minimum=0),
    )
