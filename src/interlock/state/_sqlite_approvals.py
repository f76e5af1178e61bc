"""Approval requests and votes in the home's SQLite file.

approval_requests   one row per request (see `StoredApproval`)
approval_votes      one row per human per request: approve, deny or cancel, a comment
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path

from interlock.state._approvals import ApprovalWrites, StoredApproval, StoredVote
from interlock.state._sqlite import SQLiteFile, columns, insert, read

_SCHEMA = """
CREATE TABLE IF NOT EXISTS approval_requests (
    id               TEXT PRIMARY KEY,
    fingerprint      TEXT NOT NULL,
    status           TEXT NOT NULL,
    agent            TEXT NOT NULL,
    agent_id         TEXT NOT NULL,
    resource         TEXT NOT NULL,
    environment      TEXT NOT NULL,
    summary          TEXT NOT NULL,
    detail           TEXT NOT NULL,
    approvers_needed INTEGER NOT NULL,
    source           TEXT NOT NULL,
    decision_seq     INTEGER,
    created_at       REAL NOT NULL,
    expires_at       REAL NOT NULL,
    decided_at       REAL,
    run_at           REAL,
    used_at          REAL
);
CREATE INDEX IF NOT EXISTS approval_requests_fingerprint
    ON approval_requests (fingerprint, agent_id, status);
CREATE INDEX IF NOT EXISTS approval_requests_status ON approval_requests (status, expires_at);
CREATE TABLE IF NOT EXISTS approval_votes (
    request_id TEXT NOT NULL,
    human      TEXT NOT NULL,
    vote       TEXT NOT NULL,
    comment    TEXT NOT NULL,
    at         REAL NOT NULL,
    PRIMARY KEY (request_id, human)
);
"""

_COLUMNS = columns(StoredApproval)


def _marks(values: Collection[str]) -> str:
    return ",".join("?" * len(values))


def _plain(values: Collection[str]) -> tuple[str, ...]:
    """As plain strings: SQLite binds a `str` subclass (a StrEnum) through its slow path."""
    return tuple(str(v) for v in values)


class _ApprovalTables:
    """The approval queries over one connection (inside a write transaction or not)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def request(self, request_id: str) -> StoredApproval | None:
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM approval_requests WHERE id = ?",  # noqa: S608
            (request_id,),
        ).fetchone()
        return read(StoredApproval, row) if row is not None else None

    def votes(self, request_id: str) -> list[StoredVote]:
        rows = self._db.execute(
            "SELECT human, vote, comment, at FROM approval_votes WHERE request_id = ? ORDER BY at",
            (request_id,),
        ).fetchall()
        return [read(StoredVote, r) for r in rows]

    def find(
        self, fingerprint: str, agent_id: str, statuses: Collection[str], *, newest: bool
    ) -> StoredApproval | None:
        order = "DESC" if newest else "ASC"
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM approval_requests WHERE fingerprint = ? AND agent_id = ?"  # noqa: S608
            f" AND status IN ({_marks(statuses)}) ORDER BY created_at {order} LIMIT 1",
            (fingerprint, agent_id, *_plain(statuses)),
        ).fetchone()
        return read(StoredApproval, row) if row is not None else None

    def status(self, request_id: str) -> tuple[str, float] | None:
        row = self._db.execute(
            "SELECT status, expires_at FROM approval_requests WHERE id = ?", (request_id,)
        ).fetchone()
        return (row[0], row[1]) if row is not None else None

    def due(self, statuses: Collection[str], now: float) -> list[StoredApproval]:
        where = f"WHERE status IN ({_marks(statuses)}) AND expires_at <= ?"
        params = (*_plain(statuses), now)
        # Asked before almost every read, and almost always empty: the covering index
        # answers "none" without touching the table.
        exists = f"SELECT 1 FROM approval_requests {where} LIMIT 1"  # noqa: S608
        if self._db.execute(exists, params).fetchone() is None:
            return []
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM approval_requests {where}",  # noqa: S608
            params,
        ).fetchall()
        return [read(StoredApproval, r) for r in rows]

    def listing(self, statuses: Collection[str] | None, limit: int) -> list[StoredApproval]:
        where = "" if statuses is None else f"WHERE status IN ({_marks(statuses)})"
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM approval_requests {where}"  # noqa: S608
            " ORDER BY created_at DESC LIMIT ?",
            (*_plain(statuses or ()), limit),
        ).fetchall()
        return [read(StoredApproval, r) for r in rows]

    def ids_starting(self, prefix: str, limit: int) -> list[str]:
        # A range on the primary key, not LIKE: `_` and `%` in a prefix are literal.
        rows = self._db.execute(
            "SELECT id FROM approval_requests WHERE id >= ? AND id < ? ORDER BY id LIMIT ?",
            (prefix, prefix + "\U0010ffff", limit),
        ).fetchall()
        return [str(r[0]) for r in rows]

    def insert(self, request: StoredApproval) -> None:
        insert(self._db, "approval_requests", request)

    def update(self, request: StoredApproval) -> None:
        self._db.execute(
            "UPDATE approval_requests SET status = ?, decided_at = ?, run_at = ?, used_at = ?"
            " WHERE id = ?",
            (request.status, request.decided_at, request.run_at, request.used_at, request.id),
        )

    def put_vote(self, request_id: str, vote: StoredVote) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO approval_votes (request_id, human, vote, comment, at)"
            " VALUES (?, ?, ?, ?, ?)",
            (request_id, vote.human, vote.vote, vote.comment, vote.at),
        )


class SQLiteApprovalStorage:
    """`ApprovalStorage` in one SQLite file, shared by threads and processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = SQLiteFile(path, _SCHEMA, "the approval store")
        self._lock = self._file.lock
        self._tables = _ApprovalTables(self._file.connection)

    @contextmanager
    def writing(self) -> Iterator[ApprovalWrites]:
        with self._file.writing() as db:
            yield _ApprovalTables(db)

    # Reads outside a transaction: the same queries, under the connection's lock.

    def request(self, request_id: str) -> StoredApproval | None:
        with self._lock:
            return self._tables.request(request_id)

    def status(self, request_id: str) -> tuple[str, float] | None:
        with self._lock:
            return self._tables.status(request_id)

    def votes(self, request_id: str) -> list[StoredVote]:
        with self._lock:
            return self._tables.votes(request_id)

    def find(
        self, fingerprint: str, agent_id: str, statuses: Collection[str], *, newest: bool
    ) -> StoredApproval | None:
        with self._lock:
            return self._tables.find(fingerprint, agent_id, statuses, newest=newest)

    def due(self, statuses: Collection[str], now: float) -> list[StoredApproval]:
        with self._lock:
            return self._tables.due(statuses, now)

    def listing(self, statuses: Collection[str] | None, limit: int) -> list[StoredApproval]:
        with self._lock:
            return self._tables.listing(statuses, limit)

    def ids_starting(self, prefix: str, limit: int) -> list[str]:
        with self._lock:
            return self._tables.ids_starting(prefix, limit)

    def close(self) -> None:
        self._file.close()
