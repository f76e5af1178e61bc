"""When the circuit breaker trips: pure, from the recent events a profile keeps.

Each trip counts one kind of event in a sliding window: denials, holds, self-protection
incidents, destructive or unknown actions. The profile keeps, per kind, only the last N
events (N the trip count), so the check is constant time: the trip fires when there are N
and the oldest is inside the window.
"""

from __future__ import annotations

from dataclasses import dataclass

from interlock.baseline._profile import BREAKER_EVENTS, Profile, trip_limit
from interlock.config import BreakerSettings

_NOUNS = {
    "deny": "denials",
    "hold": "holds",
    "incident": "attempts on Interlock itself",
    "destructive": "destructive or unknown actions",
}


@dataclass(frozen=True, slots=True)
class Trip:
    """Why the breaker tripped, with the evidence (the audit records that made it)."""

    event: str
    count: int
    window: int
    decision_seqs: tuple[int, ...]

    @property
    def reason(self) -> str:
        return f"circuit breaker: {self.count} {_NOUNS[self.event]} within {self.window} s"

    def evidence(self) -> dict[str, object]:
        return {
            "trip": self.event,
            "count": self.count,
            "window_seconds": self.window,
            "decision_seqs": [s for s in self.decision_seqs if s],
        }


def tripped(profile: Profile, settings: BreakerSettings, now: float) -> Trip | None:
    """The first trip whose count is reached inside the window, or None."""
    if not settings.enabled:
        return None
    for event in BREAKER_EVENTS:
        limit = trip_limit(settings, event)
        events = profile.recent.get(event, [])
        if limit <= 0 or len(events) < limit:
            continue
        if now - events[-limit][0] <= settings.window:
            return Trip(event, limit, settings.window, tuple(int(e[1]) for e in events[-limit:]))
    return None


def reset(profile: Profile) -> None:
    """After a trip (or a human's resume): the counts start again."""
    profile.recent.clear()
    profile.denial_streak = profile.hold_streak = 0
