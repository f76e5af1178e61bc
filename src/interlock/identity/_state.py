"""The identity tables in the home's SQLite state (`state/interlock.db`, WAL mode).

    identity_meta       revocation_epoch: bumped by every revoke, suspend, resume, rotate,
                        so every process's token cache notices within its poll interval
    identity_agents     one row per agent (children point at their parent)
    identity_tokens     one row per token: its id, SHA-256 digest (never the token), scope,
                        expiry, parent token, revocation time
    identity_humans     users: argon2id hash, TOTP secret sealed with the master key
    identity_resources  registered resources; the credential sealed with the master key

Writes take SQLite's write lock first (`BEGIN IMMEDIATE`) so concurrent processes serialise.
This module is the only one that speaks SQL; a PostgreSQL state for teams replaces it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from interlock._sqlite import immediate_transaction
from interlock.errors import ConfigError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS identity_meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT OR IGNORE INTO identity_meta (key, value) VALUES ('revocation_epoch', 0);
CREATE TABLE IF NOT EXISTS identity_agents (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    parent_id    TEXT,
    owner        TEXT NOT NULL,
    task         TEXT NOT NULL,
    environments TEXT NOT NULL,
    resources    TEXT,
    max_verb     TEXT NOT NULL,
    status       TEXT NOT NULL,
    created_at   REAL NOT NULL,
    created_by   TEXT NOT NULL,
    changed_at   REAL NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS identity_agents_live_name
    ON identity_agents (name) WHERE status != 'revoked';
CREATE TABLE IF NOT EXISTS identity_tokens (
    id              TEXT PRIMARY KEY,
    agent_id        TEXT NOT NULL,
    parent_token_id TEXT,
    digest          BLOB NOT NULL,
    environments    TEXT NOT NULL,
    resources       TEXT,
    max_verb        TEXT NOT NULL,
    issued_at       REAL NOT NULL,
    expires_at      REAL NOT NULL,
    revoked_at      REAL
);
CREATE INDEX IF NOT EXISTS identity_tokens_agent ON identity_tokens (agent_id);
CREATE INDEX IF NOT EXISTS identity_tokens_parent ON identity_tokens (parent_token_id);
CREATE TABLE IF NOT EXISTS identity_humans (
    name           TEXT PRIMARY KEY,
    role           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    totp_sealed    BLOB NOT NULL,
    totp_last_step INTEGER NOT NULL DEFAULT 0,
    created_at     REAL NOT NULL,
    created_by     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS identity_resources (
    name              TEXT PRIMARY KEY,
    kind              TEXT NOT NULL,
    environment       TEXT NOT NULL,
    tags              TEXT NOT NULL,
    owner             TEXT NOT NULL,
    upstream          TEXT NOT NULL,
    credential_sealed BLOB,
    credential_set_at REAL,
    created_at        REAL NOT NULL,
    created_by        TEXT NOT NULL
);
"""

Row = sqlite3.Row


class IdentityState:
    """One connection to the identity tables, safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                path, timeout=30, isolation_level=None, check_same_thread=False
            )
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA secure_delete=ON")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise ConfigError(f"{path}: cannot open the identity state ({exc})") from None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction holding SQLite's write lock from the start."""

        def refused(exc: sqlite3.Error) -> Exception:
            return ConfigError(f"{self.path}: cannot write the identity state ({exc})")

        with self._lock, immediate_transaction(self._db, refused) as db:
            yield db

    def one(self, sql: str, params: tuple[Any, ...] = ()) -> Row | None:
        with self._lock:
            row: Row | None = self._db.execute(sql, params).fetchone()
            return row

    def all(self, sql: str, params: tuple[Any, ...] = ()) -> list[Row]:
        with self._lock:
            return list(self._db.execute(sql, params).fetchall())

    def revocation_epoch(self) -> int:
        row = self.one("SELECT value FROM identity_meta WHERE key = 'revocation_epoch'")
        return int(row[0]) if row else 0


def bump_epoch(db: sqlite3.Connection) -> None:
    """Inside a write transaction: tell every verifier its cache is stale."""
    db.execute("UPDATE identity_meta SET value = value + 1 WHERE key = 'revocation_epoch'")
