"""What the behavioural baseline needs from storage: agents' profiles and breaker trips.

A profile is one row of bounded counters (JSON) with a version, plus the set of things the
agent has used (environments, resources, operations, hosts) as one row each, so an update
writes a constant amount whatever the agent's history. Saving is compare-and-set on the
version: processes sharing the state (hooks daemon, proxies, control plane) never lose each
other's updates; the loser reloads and applies its update again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class StoredProfile:
    key: str  # the agent's id, or its name when it is not registered (a hook's agent)
    agent: str  # the name, for people
    state: Mapping[str, object]  # bounded counters, windows and streaks
    version: int
    updated_at: float


@dataclass(frozen=True, slots=True)
class StoredTrip:
    """One trip of the circuit breaker; open (the agent suspended) until `resumed_at`."""

    id: str
    agent_key: str
    agent: str
    reason: str
    evidence: Mapping[str, object]
    tripped_at: float
    resumed_at: float | None
    resumed_by: str | None


class BaselineStorage(Protocol):
    """Where profiles and trips live (SQLite today; PostgreSQL for teams)."""

    def profile(self, key: str) -> StoredProfile | None: ...

    def profile_version(self, key: str) -> int:
        """The stored version (0: none): a cheap "did another process learn something?"."""
        ...

    def seen(self, key: str) -> dict[str, int]:
        """What the profile `key` has used, with how often (`env:production` → 12)."""
        ...

    def save_profile(
        self, profile: StoredProfile, expected_version: int, seen: Mapping[str, int]
    ) -> bool:
        """Write `profile` if the stored version is still `expected_version` (0: none yet),
        adding `seen` to the counts, in one transaction; False when another writer won."""
        ...

    def profiles(self) -> list[StoredProfile]: ...

    def forget_profile(self, key: str) -> None:
        """Drop a profile and what it has seen (before rebuilding it from the audit log)."""
        ...

    def add_trip(self, trip: StoredTrip) -> None: ...

    def open_trip(self, agent_key: str) -> StoredTrip | None: ...

    def trips(self, agent_key: str) -> list[StoredTrip]:
        """Newest first."""
        ...

    def resume_trips(self, agent_key: str, by: str, at: float) -> int:
        """Close the agent's open trips; how many were open."""
        ...

    def tripped_keys(self) -> frozenset[str]:
        """Agents with an open trip."""
        ...

    def breaker_epoch(self) -> int:
        """Bumped by every trip and resume: a cheap "did anything change?" for pollers."""
        ...

    def close(self) -> None: ...
