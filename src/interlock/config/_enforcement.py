"""`[enforcement]`: enforce decisions, or only record them (shadow mode).

Shadow mode is how a team tries Interlock on live work before it enforces: every action is
classified, decided and recorded as usual, with `shadow: true` and the decision that would
have applied, and then allowed. Interlock's protection of itself is the exception: an attempt
on Interlock is refused in shadow mode too (see docs/classifiers/tuning.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from interlock.config._values import Shape, Table

MODES = ("enforce", "shadow")
POINTS = ("hooks", "proxy_http", "proxy_pg", "decide")

ENFORCEMENT = Shape(
    "enforcement",
    {"mode": "enforce", "hooks": None, "proxy_http": None, "proxy_pg": None, "decide": None},
)


@dataclass(frozen=True, slots=True)
class EnforcementSettings:
    """`[enforcement]`: the global mode and each enforcement point's own, when set."""

    mode: str = "enforce"
    points: tuple[tuple[str, str], ...] = ()

    def mode_for(self, point: str) -> str:
        """The mode of one enforcement point (`hooks`, `proxy_http`, `proxy_pg`, `decide`)."""
        return dict(self.points).get(point, self.mode)

    def shadow(self, point: str) -> bool:
        return self.mode_for(point) == "shadow"


def enforcement_from(value: Any, prefix: str) -> EnforcementSettings:
    table = Table.named(value, ENFORCEMENT, prefix)

    def mode(key: str) -> str:
        chosen = table.string(key)
        if chosen not in MODES:
            raise table.bad(key, f"must be one of {', '.join(MODES)}")
        return chosen

    points = tuple((p, mode(p)) for p in POINTS if table.has(p))
    return EnforcementSettings(mode("mode"), points)
