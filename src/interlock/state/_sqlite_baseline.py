"""Baseline profiles and breaker trips in the home's SQLite file.

baseline_profiles   one row per agent: bounded counters as JSON, a version for
                    compare-and-set
baseline_seen       one row per (agent, thing used): `env:production`, `op:sql:SELECT`, …
baseline_trips      circuit-breaker trips, with their evidence; open until resumed
baseline_meta       breaker_epoch, bumped by every trip and resume
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from interlock.state._baseline import StoredProfile, StoredTrip
from interlock.state._sqlite import SQLiteFile, columns, insert, read

_SCHEMA = """
CREATE TABLE IF NOT EXISTS baseline_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO baseline_meta (key, value) VALUES ('breaker_epoch', 0);
CREATE TABLE IF NOT EXISTS baseline_profiles (
    key        TEXT PRIMARY KEY,
    agent      TEXT NOT NULL,
    state      TEXT NOT NULL,
    version    INTEGER NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS baseline_seen (
    key   TEXT NOT NULL,
    item  TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (key, item)
);
CREATE TABLE IF NOT EXISTS baseline_trips (
    id         TEXT PRIMARY KEY,
    agent_key  TEXT NOT NULL,
    agent      TEXT NOT NULL,
    reason     TEXT NOT NULL,
    evidence   TEXT NOT NULL,
    tripped_at REAL NOT NULL,
    resumed_at REAL,
    resumed_by TEXT
);
CREATE INDEX IF NOT EXISTS baseline_trips_open ON baseline_trips (agent_key, resumed_at);
"""
_BUMP = "UPDATE baseline_meta SET value = value + 1 WHERE key = 'breaker_epoch'"


class SQLiteBaselineStorage:
    """`BaselineStorage` in one SQLite file, shared by threads and processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = SQLiteFile(path, _SCHEMA, "the baseline state")

    def close(self) -> None:
        self._file.close()

    # -- profiles

    def profile(self, key: str) -> StoredProfile | None:
        return self._file.first(StoredProfile, "baseline_profiles", "WHERE key = ?", key)

    def profile_version(self, key: str) -> int:
        row = self._file.one("SELECT version FROM baseline_profiles WHERE key = ?", (key,))
        return int(row[0]) if row else 0

    def seen(self, key: str) -> dict[str, int]:
        rows = self._file.all("SELECT item, count FROM baseline_seen WHERE key = ?", (key,))
        return {str(item): int(count) for item, count in rows}

    def save_profile(
        self, profile: StoredProfile, expected_version: int, seen: Mapping[str, int]
    ) -> bool:
        state = json.dumps(dict(profile.state), separators=(",", ":"))
        with self._file.writing() as db:
            if expected_version == 0:
                changed = db.execute(
                    "INSERT OR IGNORE INTO baseline_profiles (key, agent, state, version, "
                    "updated_at) VALUES (?, ?, ?, ?, ?)",
                    (profile.key, profile.agent, state, profile.version, profile.updated_at),
                ).rowcount
            else:
                changed = db.execute(
                    "UPDATE baseline_profiles SET agent = ?, state = ?, version = ?, "
                    "updated_at = ? WHERE key = ? AND version = ?",
                    (
                        profile.agent,
                        state,
                        profile.version,
                        profile.updated_at,
                        profile.key,
                        expected_version,
                    ),
                ).rowcount
            if not changed:
                return False
            db.executemany(
                "INSERT INTO baseline_seen (key, item, count) VALUES (?, ?, ?) "
                "ON CONFLICT (key, item) DO UPDATE SET count = count + excluded.count",
                [(profile.key, item, count) for item, count in seen.items()],
            )
        return True

    def profiles(self) -> list[StoredProfile]:
        return self._file.select(StoredProfile, "baseline_profiles", "ORDER BY agent")

    def forget_profile(self, key: str) -> None:
        with self._file.writing() as db:
            db.execute("DELETE FROM baseline_profiles WHERE key = ?", (key,))
            db.execute("DELETE FROM baseline_seen WHERE key = ?", (key,))

    # -- the breaker

    def add_trip(self, trip: StoredTrip) -> None:
        with self._file.writing() as db:
            insert(db, "baseline_trips", trip)
            db.execute(_BUMP)

    def open_trip(self, agent_key: str) -> StoredTrip | None:
        row = self._file.one(
            f"SELECT {columns(StoredTrip)} FROM baseline_trips "  # noqa: S608
            "WHERE agent_key = ? AND resumed_at IS NULL ORDER BY tripped_at DESC LIMIT 1",
            (agent_key,),
        )
        return read(StoredTrip, row) if row is not None else None

    def trips(self, agent_key: str) -> list[StoredTrip]:
        return self._file.select(
            StoredTrip, "baseline_trips", "WHERE agent_key = ? ORDER BY tripped_at DESC", agent_key
        )

    def resume_trips(self, agent_key: str, by: str, at: float) -> int:
        with self._file.writing() as db:
            count = int(
                db.execute(
                    "UPDATE baseline_trips SET resumed_at = ?, resumed_by = ? "
                    "WHERE agent_key = ? AND resumed_at IS NULL",
                    (at, by, agent_key),
                ).rowcount
            )
            if count:
                db.execute(_BUMP)
        return count

    def tripped_keys(self) -> frozenset[str]:
        rows = self._file.all(
            "SELECT DISTINCT agent_key FROM baseline_trips WHERE resumed_at IS NULL"
        )
        return frozenset(str(r[0]) for r in rows)

    def breaker_epoch(self) -> int:
        row = self._file.one("SELECT value FROM baseline_meta WHERE key = 'breaker_epoch'")
        return int(row[0]) if row else 0
