"""A home's baseline: the tracker every enforcement point of the home shares (through the
state), suspension through the identity layer, and a human's resume."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping

from interlock.audit import AuditLog
from interlock.baseline._profile import items_of
from interlock.baseline._tracker import BaselineTracker
from interlock.config import read_config
from interlock.errors import InputError
from interlock.home import Home
from interlock.identity import BREAKER_ACTOR, AgentRegistry, IdentityError
from interlock.model import Action, ActionDecision, Agent, Human, Outcome, Verb
from interlock.state import baseline_storage, identity_storage

__all__ = [
    "BREAKER_ACTOR",
    "learn_expected",
    "mark_incident",
    "profile_items",
    "resume_agent",
    "tracker_for_home",
]


def tracker_for_home(
    home: Home, *, audit: AuditLog | None = None, learning: bool = True
) -> BaselineTracker | None:
    """The home's tracker, or None when `[baseline]` and `[breaker]` are both switched off.
    `learning=False` only reads profiles (`interlock check`)."""
    config = read_config(home.config_path)
    settings, breaker = config.baseline, config.breaker
    if not settings.enabled and not breaker.enabled:
        return None
    identity = identity_storage(home)
    registry = AgentRegistry(identity, audit=audit)

    def parent_of(key: str) -> str | None:
        stored = identity.agent(key)
        return stored.parent_id if stored is not None else None

    return BaselineTracker(
        baseline_storage(home),
        settings,
        breaker,
        audit=audit,
        suspend=registry.trip if learning else None,
        parent_of=parent_of,
        learning=learning,
    )


def resume_agent(home: Home, human: Human, name: str) -> str:
    """A human resumes an agent: a registered one through the identity layer (which closes
    its breaker trips), an unregistered one (a coding agent's hook name) by closing its
    trips. Returns what happened, for people."""
    if not isinstance(human, Human):
        raise IdentityError("only a human can resume an agent")
    registry = AgentRegistry.for_home(home)
    try:
        record = registry.get(name)
    except IdentityError:
        record = None
    if record is not None:
        registry.resume(human, name)
        return f"resumed agent {record.name} ({record.id})"
    storage = baseline_storage(home)
    try:
        closed = storage.resume_trips(name, human.name, time.time())
    finally:
        storage.close()
    if not closed:
        raise InputError(f"no agent named {name!r} is suspended (see `interlock agent list`)")
    home.audit_log().append(
        "breaker", {"event": "resumed", "agent": name, "agent_id": "", "by": human.name}
    )
    return f"resumed agent {name} (its circuit breaker is closed again)"


def profile_items(
    environment: str, resource: str, actions: Iterable[Mapping[str, object]]
) -> list[str]:
    """The items a recorded decision's actions use (for "learn this")."""
    found: list[str] = []
    for item in actions:
        targets = item.get("targets")
        action = Action(
            str(item.get("protocol", "")),
            str(item.get("operation", "")),
            Verb.READ,
            tuple(str(t) for t in targets) if isinstance(targets, list) else (),
        )
        for used in items_of(environment, resource, ActionDecision(action, Outcome.ALLOW), True):
            if used not in found:
                found.append(used)
    return found


def learn_expected(
    home: Home,
    human: Human,
    agent: Agent,
    items: list[str],
    *,
    source: str,
) -> list[str]:
    """A human marked behaviour as expected ("learn this"): the agent's profile counts these
    items as used from now on, and the audit log says who taught it what."""
    if not isinstance(human, Human):
        raise IdentityError("only a human can teach an agent's baseline")
    if not items:
        raise InputError("nothing to learn: name an --env, --resource, --operation or --host")
    audit = home.audit_log()
    tracker = tracker_for_home(home, audit=audit)
    if tracker is None:
        raise InputError("the baseline is switched off ([baseline] enabled = false)")
    try:
        tracker.learn(agent, items)
    finally:
        tracker.storage.close()
    audit.append(
        "baseline",
        {
            "event": "learned",
            "agent": agent.name,
            "agent_id": agent.id,
            "items": items,
            "by": human.name,
            "from": source,
        },
    )
    return items


def mark_incident(home: Home, human: Human, agent: Agent, note: str, *, source: str) -> int:
    """A human marked behaviour as an incident: an `incident` record, nothing learned."""
    if not isinstance(human, Human):
        raise IdentityError("only a human can mark an incident")
    record = home.audit_log().append(
        "incident",
        {
            "incident": "marked_by_human",
            "agent": {"name": agent.name, "id": agent.id},
            "by": human.name,
            "note": note,
            "from": source,
        },
    )
    return record.seq
