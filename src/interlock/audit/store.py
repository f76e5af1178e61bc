"""Where audit records live: a small interface, and its SQLite implementation.

The interface is what a PostgreSQL store will implement for teams: atomic append against the
current head, ordered reads, checkpoints. SQLite runs in WAL mode so readers (`audit tail
-f`) never block the writer, and appends take the write lock first (`BEGIN IMMEDIATE`) so
two processes appending at once still produce one unbroken chain.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

from interlock._sqlite import immediate_transaction
from interlock.audit.chain import GENESIS, AuditRecord, Checkpoint, canonical_json
from interlock.errors import AuditError

MakeRecord = Callable[[int, str], AuditRecord]
"""Builds the next record from (next sequence number, previous record's hash)."""


class AuditStore(Protocol):
    def append(self, make: MakeRecord) -> AuditRecord: ...
    def append_many(self, makes: list[MakeRecord]) -> list[AuditRecord]: ...
    def records(self, after_seq: int = 0) -> Iterator[AuditRecord]: ...
    def head(self) -> AuditRecord | None: ...
    def get(self, seq: int) -> AuditRecord | None: ...
    def add_checkpoint(self, checkpoint: Checkpoint) -> None: ...
    def checkpoints(self) -> list[Checkpoint]: ...
    def close(self) -> None: ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_records (
    seq  INTEGER PRIMARY KEY,
    ts   TEXT NOT NULL,
    type TEXT NOT NULL,
    body TEXT NOT NULL,
    prev TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_checkpoints (
    seq       INTEGER PRIMARY KEY,
    hash      TEXT NOT NULL,
    ts        TEXT NOT NULL,
    key_id    TEXT NOT NULL,
    signature TEXT NOT NULL
);
"""


class SQLiteAuditStore:
    """The embedded default store: one SQLite file in WAL mode."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise AuditError(f"{path}: cannot open the audit store ({exc})") from None

    def append(self, make: MakeRecord) -> AuditRecord:
        return self.append_many([make])[-1]

    def append_many(self, makes: list[MakeRecord]) -> list[AuditRecord]:
        """Append records in order, in one transaction (one lock, one commit)."""
        records: list[AuditRecord] = []

        def refused(exc: sqlite3.Error) -> Exception:
            return AuditError(f"{self.path}: cannot append to the audit store ({exc})")

        try:
            with immediate_transaction(self._db, refused) as db:
                row = db.execute(
                    "SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1"
                ).fetchone()
                seq, prev = (row[0] + 1, row[1]) if row else (1, GENESIS)
                for make in makes:
                    record = make(seq, prev)
                    records.append(record)
                    seq, prev = seq + 1, record.hash
                db.executemany(
                    "INSERT INTO audit_records (seq, ts, type, body, prev, hash) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        (r.seq, r.ts, r.type, r.body_json or canonical_json(r.body), r.prev, r.hash)
                        for r in records
                    ],
                )
        except sqlite3.Error as exc:
            raise refused(exc) from None
        return records

    def records(self, after_seq: int = 0) -> Iterator[AuditRecord]:
        try:
            cursor = self._db.execute(
                "SELECT seq, ts, type, body, prev, hash FROM audit_records "
                "WHERE seq > ? ORDER BY seq",
                (after_seq,),
            )
            for row in cursor:
                yield _row_to_record(row)
        except sqlite3.Error as exc:
            raise AuditError(f"{self.path}: cannot read the audit store ({exc})") from None

    def head(self) -> AuditRecord | None:
        row = self._db.execute(
            "SELECT seq, ts, type, body, prev, hash FROM audit_records ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        return _row_to_record(row) if row else None

    def get(self, seq: int) -> AuditRecord | None:
        row = self._db.execute(
            "SELECT seq, ts, type, body, prev, hash FROM audit_records WHERE seq = ?", (seq,)
        ).fetchone()
        return _row_to_record(row) if row else None

    def add_checkpoint(self, checkpoint: Checkpoint) -> None:
        try:
            self._db.execute(
                "INSERT OR REPLACE INTO audit_checkpoints (seq, hash, ts, key_id, signature) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    checkpoint.seq,
                    checkpoint.hash,
                    checkpoint.ts,
                    checkpoint.key_id,
                    checkpoint.signature,
                ),
            )
        except sqlite3.Error as exc:
            raise AuditError(f"{self.path}: cannot write a checkpoint ({exc})") from None

    def checkpoints(self) -> list[Checkpoint]:
        rows = self._db.execute(
            "SELECT seq, hash, ts, key_id, signature FROM audit_checkpoints ORDER BY seq"
        ).fetchall()
        return [Checkpoint(*row) for row in rows]

    def close(self) -> None:
        self._db.close()


def _row_to_record(row: tuple[int, str, str, str, str, str]) -> AuditRecord:
    seq, ts, type_, body, prev, hash_ = row
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = {"unreadable_body": body[:200]}
    return AuditRecord(seq, ts, type_, parsed, prev, hash_)
