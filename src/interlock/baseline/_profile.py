"""One agent's behavioural profile: bounded counters, updated in constant time.

Everything here is pure: `observe` folds one decision into a profile and returns the items
first seen (for storage to add); `to_state` / `from_state` are the profile as JSON. What the
agent has used (`seen`) grows with its history but each update touches a bounded number of
its entries; everything else has a fixed size (24 hour buckets, one rate window, streaks,
the last secret probe and failure, and the breaker's recent events, each list capped at its
trip count).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from interlock.baseline._signals import hosts, is_failure, secret_probe
from interlock.config import BaselineSettings, BreakerSettings
from interlock.model import LOCAL_KIND, ActionDecision, Outcome, Resource

MAX_SEEN_PER_ACTION = 8
BREAKER_EVENTS = ("deny", "hold", "incident", "destructive")


@dataclass(frozen=True, slots=True)
class Observation:
    """One recorded decision, as the baseline learns from it."""

    environment: str
    resource: str
    actions: Sequence[ActionDecision]
    outcome: Outcome
    at: float
    credential: bool = False
    incident: bool = False
    seq: int = 0


LOCAL_ENVIRONMENT_LABEL = "local"
"""What a profile calls this machine's own resources (the workspace, the home directory):
they are judged as production-grade, but using them is not a first step into production."""


def novelty_place(resource: Resource) -> tuple[str, str]:
    """The environment and resource name novelty is counted in."""
    if resource.kind == LOCAL_KIND:
        return LOCAL_ENVIRONMENT_LABEL, resource.name
    return resource.environment, resource.name


def items_of(
    environment: str, resource: str, decided: ActionDecision, credential: bool
) -> list[str]:
    """What using this action means the agent has now used: `env:`, `res:`, `proto:`, `op:`,
    `host:` and, for a host reached with a credential the input carried, `cred:`."""
    action = decided.action
    if action.target is not None:  # decided on the resource it acts on (interlock.targets)
        environment, resource = novelty_place(action.target.resource)
    found = [
        f"env:{environment}",
        f"res:{resource}",
        f"proto:{action.protocol}",
        f"op:{action.operation}",
    ]
    for host in hosts(action):
        found.append(f"host:{host}")
        if credential:
            found.append(f"cred:{host}")
    return found[:MAX_SEEN_PER_ACTION]


@dataclass(slots=True)
class Profile:
    key: str
    agent: str = ""
    parent: str = ""
    actions: int = 0
    decisions: int = 0
    first_at: float = 0.0
    last_at: float = 0.0
    seen: dict[str, int] = field(default_factory=dict)
    hours: list[int] = field(default_factory=lambda: [0] * 24)
    window_start: float = 0.0
    window_count: int = 0
    window_dangerous: int = 0
    windows: int = 0
    window_total: int = 0
    dangerous_total: int = 0
    denial_streak: int = 0
    hold_streak: int = 0
    last_probe_at: float = 0.0
    last_probe: str = ""
    last_failure_at: float = 0.0
    last_failure: str = ""
    recent: dict[str, list[list[float]]] = field(default_factory=dict)  # event → [[at, seq]]
    version: int = 0

    def learning(self, settings: BaselineSettings, now: float) -> bool:
        """Still too young for novelty to count."""
        return self.actions < settings.learning_actions or (
            now - self.first_at < settings.learning_period
        )

    def has(self, item: str) -> bool:
        return item in self.seen

    # -- JSON (everything but `seen`, which storage keeps one row per item)

    def to_state(self) -> dict[str, object]:
        return {
            "parent": self.parent,
            "actions": self.actions,
            "decisions": self.decisions,
            "first_at": self.first_at,
            "last_at": self.last_at,
            "hours": list(self.hours),
            "window_start": self.window_start,
            "window_count": self.window_count,
            "window_dangerous": self.window_dangerous,
            "windows": self.windows,
            "window_total": self.window_total,
            "dangerous_total": self.dangerous_total,
            "denial_streak": self.denial_streak,
            "hold_streak": self.hold_streak,
            "last_probe_at": self.last_probe_at,
            "last_probe": self.last_probe,
            "last_failure_at": self.last_failure_at,
            "last_failure": self.last_failure,
            "recent": {k: [list(e) for e in v] for k, v in self.recent.items()},
        }

    @classmethod
    def from_state(
        cls,
        key: str,
        agent: str,
        state: Mapping[str, object],
        seen: Mapping[str, int],
        version: int,
    ) -> Profile:
        def num(name: str) -> float:
            value = state.get(name, 0)
            return float(value) if isinstance(value, int | float) else 0.0

        hours = state.get("hours")
        recent = state.get("recent")
        return cls(
            key=key,
            agent=agent,
            parent=str(state.get("parent", "")),
            actions=int(num("actions")),
            decisions=int(num("decisions")),
            first_at=num("first_at"),
            last_at=num("last_at"),
            seen=dict(seen),
            hours=[int(h) for h in hours][:24]
            if isinstance(hours, list) and len(hours) == 24
            else [0] * 24,
            window_start=num("window_start"),
            window_count=int(num("window_count")),
            window_dangerous=int(num("window_dangerous")),
            windows=int(num("windows")),
            window_total=int(num("window_total")),
            dangerous_total=int(num("dangerous_total")),
            denial_streak=int(num("denial_streak")),
            hold_streak=int(num("hold_streak")),
            last_probe_at=num("last_probe_at"),
            last_probe=str(state.get("last_probe", "")),
            last_failure_at=num("last_failure_at"),
            last_failure=str(state.get("last_failure", "")),
            recent={
                str(k): [[float(x) for x in e][:2] for e in v if isinstance(e, list)]
                for k, v in recent.items()
                if isinstance(v, list)
            }
            if isinstance(recent, dict)
            else {},
            version=version,
        )


def observe(
    profile: Profile,
    observation: Observation,
    settings: BaselineSettings,
    breaker: BreakerSettings,
) -> dict[str, int]:
    """Fold one recorded decision into `profile`; returns the items it used (to add to the
    stored counts). Constant time: a bounded number of items per action, actions per input
    capped, every list capped at its trip count."""
    now = observation.at
    if profile.actions == 0 and profile.decisions == 0:
        profile.first_at = now
    profile.last_at = max(profile.last_at, now)
    profile.decisions += 1
    used: dict[str, int] = {}
    dangerous = 0
    for decided in observation.actions[:MAX_SEEN_PER_ACTION]:
        profile.actions += 1
        profile.hours[int(now // 3600) % 24] += 1
        for item in items_of(
            observation.environment, observation.resource, decided, observation.credential
        ):
            used[item] = used.get(item, 0) + 1
        if decided.action.verb.is_dangerous:
            dangerous += 1
        probe = secret_probe(decided)
        if probe:
            profile.last_probe_at, profile.last_probe = now, probe
    for item, count in used.items():
        profile.seen[item] = profile.seen.get(item, 0) + count
    _count_window(profile, now, len(observation.actions[:MAX_SEEN_PER_ACTION]), dangerous, settings)
    if observation.outcome is Outcome.DENY:
        profile.denial_streak += 1
        profile.hold_streak = 0
        profile.last_failure_at = now
        profile.last_failure = "a refusal"
    elif observation.outcome is Outcome.HOLD:
        profile.hold_streak += 1
        profile.denial_streak = 0
    else:
        profile.denial_streak = profile.hold_streak = 0
    if breaker.enabled:
        event = {Outcome.DENY: "deny", Outcome.HOLD: "hold"}.get(observation.outcome)
        if event:
            _remember(profile, event, now, observation.seq, trip_limit(breaker, event))
        if observation.incident:
            _remember(profile, "incident", now, observation.seq, trip_limit(breaker, "incident"))
        # Harm in progress: destructive actions that run (held or refused ones count above).
        running = dangerous if observation.outcome is Outcome.ALLOW else 0
        for _ in range(min(running, breaker.destructive or 0)):
            _remember(profile, "destructive", now, observation.seq, breaker.destructive)
    return used


def note_failure(profile: Profile, outcome: str, status: object, at: float) -> bool:
    """An action that ran and failed (a credential error upstream): remembered for sequences."""
    if not is_failure(outcome, status):
        return False
    profile.last_failure_at = at
    profile.last_failure = f"a failure ({outcome}{f' {status}' if status else ''})"
    return True


def learn(profile: Profile, items: Sequence[str]) -> dict[str, int]:
    """A human said "this is expected": the items count as used from now on."""
    added = {item: 1 for item in items}
    for item in items:
        profile.seen[item] = profile.seen.get(item, 0) + 1
    profile.denial_streak = profile.hold_streak = 0
    return added


def _count_window(
    profile: Profile, now: float, count: int, dangerous: int, settings: BaselineSettings
) -> None:
    start = now - (now % settings.window)
    if start != profile.window_start:
        if profile.window_count:
            profile.windows += 1
            profile.window_total += profile.window_count
            profile.dangerous_total += profile.window_dangerous
        profile.window_start, profile.window_count, profile.window_dangerous = start, 0, 0
    profile.window_count += count
    profile.window_dangerous += dangerous


def trip_limit(breaker: BreakerSettings, event: str) -> int:
    return {
        "deny": breaker.denials,
        "hold": breaker.holds,
        "incident": breaker.incidents,
        "destructive": breaker.destructive,
    }[event]


def _remember(profile: Profile, event: str, at: float, seq: int, limit: int) -> None:
    if limit <= 0:
        return
    events = profile.recent.setdefault(event, [])
    events.append([at, float(seq)])
    if len(events) > limit:
        del events[: len(events) - limit]
