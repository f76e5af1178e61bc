"""The baseline of one process: profiles in memory, kept behind `BaselineStorage`.

The gate asks `assess` (pure scoring from the profile in memory; a profile is read from
storage once, the first time its agent is seen). After a decision is recorded, the
enforcement pipeline calls `observe`: the profile is updated in constant time and saved with
compare-and-set, so processes sharing the state add up instead of overwriting each other.
The breaker is checked on the same update; a trip is stored, recorded in the audit log with
its evidence, and suspends a registered agent through the identity layer (its tokens are
refused by every enforcement point within a second). `refusal` is what every enforcement
point asks first, for agents without a token (a coding agent's hooks) and for sessions that
logged in before the trip (the PostgreSQL proxy).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from interlock.audit import AuditLog
from interlock.baseline._breaker import Trip, reset, tripped
from interlock.baseline._profile import Observation, Profile, learn, note_failure, observe
from interlock.baseline._score import assess
from interlock.baseline._signals import is_failure
from interlock.config import BaselineSettings, BreakerSettings
from interlock.errors import InterlockError
from interlock.model import NO_RISK, Action, Agent, Decision, Principal, Resource, Risk
from interlock.state import BaselineStorage, StoredProfile, StoredTrip

log = logging.getLogger("interlock.baseline")
Clock = Callable[[], float]
Suspend = Callable[[str, str], None]  # (agent id, reason): the identity layer's suspension
ParentOf = Callable[[str], str | None]  # agent id → its parent's id
_SAVE_ATTEMPTS = 4
_MAX_PROFILES = 4096


def agent_key(agent: Agent) -> str:
    """A profile's key: the registered agent's id, else its name (a hook's agent)."""
    return agent.id or agent.name


class BaselineTracker:
    """Scores actions against agents' profiles and learns from what was recorded."""

    def __init__(
        self,
        storage: BaselineStorage,
        settings: BaselineSettings | None = None,
        breaker: BreakerSettings | None = None,
        *,
        audit: AuditLog | None = None,
        suspend: Suspend | None = None,
        parent_of: ParentOf | None = None,
        clock: Clock = time.time,
        poll_interval: float = 0.25,
        learning: bool = True,
    ) -> None:
        """`learning=False` reads profiles without ever changing them (`interlock check`)."""
        self.storage = storage
        self.settings = settings if settings is not None else BaselineSettings()
        self.breaker = breaker if breaker is not None else BreakerSettings()
        self.audit = audit
        self._suspend = suspend
        self._parent_of = parent_of
        self.clock = clock
        self._learning = learning
        self._poll = poll_interval
        self._profiles: dict[str, Profile] = {}
        self._lock = threading.RLock()
        self._epoch = -1
        self._next_poll = 0.0
        self._tripped: dict[str, str] = {}
        self._checked: dict[str, float] = {}  # key → when its stored version was last read

    # -- the gate's side (the `Baseline` protocol)

    def assess(
        self,
        principal: Principal,
        resource: Resource,
        action: Action,
        *,
        session: str = "",
        credential: bool = False,
    ) -> Risk:
        if not self.settings.enabled or not isinstance(principal, Agent):
            return NO_RISK
        profile = self.profile(principal)
        parent = self._profiles.get(profile.parent) if profile.parent else None
        if profile.parent and parent is None:
            parent = self._load(profile.parent, "")
        return assess(
            profile, parent, resource, action, self.settings, self.clock(), credential=credential
        )

    # -- the pipeline's side

    def observe(
        self,
        agent: Agent,
        resource: Resource,
        decision: Decision,
        *,
        seq: int = 0,
        credential: bool = False,
        incident: bool = False,
        enforce: bool = True,
    ) -> Trip | None:
        """Learn from a recorded decision; returns the breaker's trip, if this tripped it.
        `enforce=False` (shadow mode): a trip is recorded as one that would have been, and
        suspends nobody."""
        if not self._learning or not (self.settings.enabled or self.breaker.enabled):
            return None
        now = self.clock()
        observation = Observation(
            resource.environment,
            resource.name,
            decision.actions,
            decision.outcome,
            now,
            credential,
            incident,
            seq,
        )
        trip: list[Trip] = []

        def update(profile: Profile) -> dict[str, int]:
            trip.clear()
            used = observe(profile, observation, self.settings, self.breaker)
            found = tripped(profile, self.breaker, now)
            if found is not None:
                trip.append(found)
                reset(profile)
            return used

        self._update(agent, update)
        if trip:
            self._trip(agent, trip[0], now, enforce)
            return trip[0]
        return None

    def note_outcome(self, agent: Agent, outcome: str, status: object = None) -> None:
        """What happened to an allowed action (a credential error upstream is a failure)."""
        if not self._learning or not self.settings.enabled:
            return
        if not is_failure(outcome, status):
            return
        now = self.clock()

        def failed(profile: Profile) -> dict[str, int]:
            note_failure(profile, outcome, status, now)
            return {}

        self._update(agent, failed)

    def learn(self, agent: Agent, items: Sequence[str]) -> None:
        """A human marked behaviour as expected: these items count as used."""
        self._update(agent, lambda p: learn(p, items))

    def refusal(self, agent: Agent) -> str | None:
        """Why the agent is refused right now (an open breaker trip), or None."""
        if not self.breaker.enabled and not self._tripped:
            return None
        self._refresh()
        return self._tripped.get(agent_key(agent))

    # -- profiles

    def profile(self, agent: Agent) -> Profile:
        """The agent's profile in memory; re-read when another process saved a newer one
        (its version is looked at every `poll_interval` at most)."""
        key = agent_key(agent)
        found = self._profiles.get(key)
        if found is None:
            return self._load(key, agent.name)
        now = time.monotonic()
        if now >= self._checked.get(key, 0.0):
            self._checked[key] = now + self._poll
            try:
                if self.storage.profile_version(key) != found.version:
                    return self._load(key, agent.name)
            except InterlockError as exc:
                log.error("baseline of %s not re-read: %s", agent.name, exc)
        return found

    def _load(self, key: str, name: str) -> Profile:
        stored = self.storage.profile(key)
        if stored is None:
            profile = Profile(key, name, parent=self._find_parent(key))
        else:
            profile = Profile.from_state(
                key, stored.agent, stored.state, self.storage.seen(key), stored.version
            )
        with self._lock:
            if len(self._profiles) >= _MAX_PROFILES:
                self._profiles.clear()
                self._checked.clear()
            self._profiles[key] = profile
            self._checked[key] = time.monotonic() + self._poll
        return profile

    def _find_parent(self, key: str) -> str:
        if self._parent_of is None:
            return ""
        try:
            return self._parent_of(key) or ""
        except InterlockError:
            return ""

    def _update(self, agent: Agent, change: Callable[[Profile], dict[str, int]]) -> None:
        """Apply `change` and save it; on a concurrent writer, reload and apply again."""
        key = agent_key(agent)
        with self._lock:
            profile = self.profile(agent)
            for _ in range(_SAVE_ATTEMPTS):
                expected = profile.version
                used = change(profile)
                stored = StoredProfile(
                    key, profile.agent or agent.name, profile.to_state(), expected + 1, self.clock()
                )
                try:
                    saved = self.storage.save_profile(stored, expected, used)
                except InterlockError as exc:
                    log.error("baseline of %s not saved: %s", agent.name, exc)
                    profile.version = expected
                    return
                if saved:
                    profile.version = expected + 1
                    return
                profile = self._load(key, agent.name)
            log.error("baseline of %s not saved: too many concurrent writers", agent.name)

    # -- the breaker

    def _trip(self, agent: Agent, trip: Trip, now: float, enforce: bool = True) -> None:
        key = agent_key(agent)
        evidence = trip.evidence()
        stored = StoredTrip(
            "trp_" + secrets.token_hex(6), key, agent.name, trip.reason, evidence, now, None, None
        )
        if not enforce:
            self._record({"event": "would_trip", "shadow": True, "trip_id": stored.id}, agent, trip)
            return
        try:
            self.storage.add_trip(stored)
        except InterlockError as exc:
            log.error("breaker trip of %s not stored: %s", agent.name, exc)
        with self._lock:
            self._tripped[key] = trip.reason
        self._record({"event": "tripped", "trip_id": stored.id}, agent, trip)
        if agent.id and self._suspend is not None:
            try:
                self._suspend(agent.id, trip.reason)
            except InterlockError as exc:
                log.error("agent %s not suspended by its breaker: %s", agent.name, exc)

    def _record(self, body: dict[str, Any], agent: Agent, trip: Trip) -> None:
        """The trip's audit record, with its evidence."""
        if self.audit is None:
            return
        body.update(
            agent=agent.name, agent_id=agent.id, reason=trip.reason, evidence=trip.evidence()
        )
        try:
            self.audit.append("breaker", body)
        except InterlockError as exc:
            log.error("breaker trip of %s not recorded: %s", agent.name, exc)

    def _refresh(self) -> None:
        now = time.monotonic()
        if now < self._next_poll:
            return
        with self._lock:
            self._next_poll = now + self._poll
            try:
                epoch = self.storage.breaker_epoch()
                if epoch == self._epoch:
                    return
                keys = self.storage.tripped_keys()
                tripped_now: dict[str, str] = {}
                for key in keys:
                    trip = self.storage.open_trip(key)
                    if trip is not None:
                        tripped_now[key] = trip.reason
            except InterlockError as exc:
                log.error("breaker state not read: %s", exc)
                return
            self._epoch = epoch
            self._tripped = tripped_now
