"""How unusual one action is for the agent doing it: pure, from the profile in memory.

Each feature adds points (`WEIGHTS`); the sum, capped at 100, is the score, and the
configured thresholds turn it into a level. Novelty (first use of an environment, resource,
protocol, operation, host or credential) counts only once the profile is past its learning
period; sequences and streaks count from the start, because they are about what the agent
just did, not about what it usually does.
"""

from __future__ import annotations

from interlock.baseline._profile import Profile, items_of, novelty_place
from interlock.baseline._signals import hosts, is_network
from interlock.config import BaselineSettings
from interlock.model import Action, ActionDecision, Outcome, Resource, Risk, RiskLevel

WEIGHTS = {
    "first_seen_environment": 40,
    "first_seen_resource": 15,
    "first_seen_protocol": 10,
    "first_seen_operation": 5,
    "first_seen_target": 20,
    "foreign_credential": 25,
    "after_secret_search": 30,
    "after_failure": 25,
    "rate_burst": 20,
    "destructive_burst": 30,
    "denial_streak": 15,
    "hold_streak": 10,
    "off_hours": 10,
    "beyond_parent": 15,
}
"""Points per feature (docs/baselines.md explains each)."""

STREAK = 3  # denials or holds in a row before a streak counts
MIN_WINDOWS = 5  # windows of history before a rate can be unusual


def level_of(score: int, settings: BaselineSettings) -> RiskLevel:
    if score >= settings.critical:
        return RiskLevel.CRITICAL
    if score >= settings.high:
        return RiskLevel.HIGH
    if score >= settings.medium:
        return RiskLevel.MEDIUM
    return RiskLevel.LOW if score > 0 else RiskLevel.NONE


def assess(
    profile: Profile | None,
    parent: Profile | None,
    resource: Resource,
    action: Action,
    settings: BaselineSettings,
    now: float,
    *,
    credential: bool = False,
) -> Risk:
    """The risk of `action` on `resource` for the agent whose profile this is."""
    if profile is None:
        profile = Profile("")
    learning = profile.learning(settings, now)
    fired: dict[str, str] = {}
    env, name = novelty_place(resource)
    new_env = not profile.has(f"env:{env}")
    new_resource = not profile.has(f"res:{name}")
    new_hosts = [h for h in hosts(action) if not profile.has(f"host:{h}")]
    if not learning:
        if new_env:
            fired["first_seen_environment"] = f"first use of the {env} environment"
        if new_resource:
            fired["first_seen_resource"] = f"first use of the resource {resource.name}"
        if not profile.has(f"proto:{action.protocol}"):
            fired["first_seen_protocol"] = f"first {action.protocol} action"
        if not profile.has(f"op:{action.operation}"):
            fired["first_seen_operation"] = f"first {action.operation}"
        if new_hosts:
            fired["first_seen_target"] = f"first call to {', '.join(new_hosts[:3])}"
        _rates(profile, action, settings, now, fired)
        _off_hours(profile, settings, now, fired)
        if parent is not None and not parent.learning(settings, now):
            _beyond(parent, env, resource.name, action, fired)
    if credential and (
        any(not profile.has(f"cred:{h}") for h in hosts(action))
        or (is_network(action) and not hosts(action))
    ):
        fired["foreign_credential"] = (
            "the input carries a credential Interlock did not issue to this agent"
        )
    new_target = new_env or new_resource or bool(new_hosts)
    if (
        profile.last_probe
        and now - profile.last_probe_at <= settings.sequence_window
        and (is_network(action) or new_target)
    ):
        fired["after_secret_search"] = f"shortly after {profile.last_probe}"
    if (
        profile.last_failure
        and now - profile.last_failure_at <= settings.sequence_window
        and (new_env or bool(new_hosts))
        and profile.actions > 0
    ):
        where = f"the {env} environment" if new_env else ", ".join(new_hosts[:3])
        fired["after_failure"] = f"a new target ({where}) right after {profile.last_failure}"
    if profile.denial_streak >= STREAK:
        fired["denial_streak"] = f"after {profile.denial_streak} denials in a row"
    if profile.hold_streak >= STREAK:
        fired["hold_streak"] = f"after {profile.hold_streak} holds in a row"
    score = min(100, sum(WEIGHTS[name] for name in fired))
    features = frozenset(n for n in fired if n not in ("denial_streak", "hold_streak"))
    return Risk(
        level=level_of(score, settings),
        score=score,
        reasons=tuple(fired.values()),
        features=features,
        learning=learning,
        denial_streak=profile.denial_streak,
        hold_streak=profile.hold_streak,
    )


def _rates(
    profile: Profile, action: Action, settings: BaselineSettings, now: float, fired: dict[str, str]
) -> None:
    if profile.windows < MIN_WINDOWS:
        return
    same = now - (now % settings.window) == profile.window_start
    count = (profile.window_count if same else 0) + 1
    mean = profile.window_total / profile.windows
    if count > max(settings.rate_minimum, settings.rate_factor * mean):
        fired["rate_burst"] = (
            f"{count} actions this {settings.window} s window (usually about {mean:.0f})"
        )
    if action.verb.is_dangerous:
        dangerous = (profile.window_dangerous if same else 0) + 1
        usual = profile.dangerous_total / profile.windows
        if dangerous > max(settings.destructive_minimum, settings.rate_factor * usual):
            fired["destructive_burst"] = (
                f"{dangerous} destructive or unknown actions this window (usually about "
                f"{usual:.0f})"
            )


def _off_hours(
    profile: Profile, settings: BaselineSettings, now: float, fired: dict[str, str]
) -> None:
    hour = int(now // 3600) % 24
    if profile.actions and profile.hours[hour] < settings.off_hours_share * profile.actions:
        fired["off_hours"] = f"active at {hour:02d}:00 UTC, an hour this agent is rarely active"


def _beyond(
    parent: Profile, environment: str, resource: str, action: Action, fired: dict[str, str]
) -> None:
    decided = ActionDecision(action, Outcome.ALLOW)
    never = [i for i in items_of(environment, resource, decided, False) if not parent.has(i)]
    if never:
        fired["beyond_parent"] = "its parent agent never used " + ", ".join(
            i.split(":", 1)[1] for i in never[:3]
        )
