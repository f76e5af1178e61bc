"""One SQLite file opened the way every Interlock store opens it.

WAL mode, so readers never block the writer; one connection shared by the threads of a
process behind a lock; writes inside `BEGIN IMMEDIATE` (see `interlock._sqlite`), so several
processes sharing the file serialise instead of failing half-way. `secure_delete` overwrites
deleted rows, which held sealed secrets and digests.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from interlock._sqlite import immediate_transaction
from interlock.errors import ConfigError
from interlock.state._errors import AlreadyStored


class SQLiteFile:
    """A connection to `path` with `schema` applied; `what` names it in error messages."""

    def __init__(self, path: Path, schema: str, what: str) -> None:
        self.path = path
        self.what = what
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
            self._db.executescript(schema)
        except sqlite3.Error as exc:
            raise ConfigError(f"{path}: cannot open {what} ({exc})") from None

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """The connection, for reads outside a write transaction."""
        with self._lock:
            yield self._db

    @contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """A write transaction holding SQLite's write lock from its first statement.

        A uniqueness conflict becomes `AlreadyStored`; any other failure rolls back.
        """

        def refused(exc: sqlite3.Error) -> Exception:
            return ConfigError(f"{self.path}: cannot write {self.what} ({exc})")

        try:
            with self._lock, immediate_transaction(self._db, refused) as db:
                yield db
        except sqlite3.IntegrityError as exc:
            raise AlreadyStored(str(exc)) from None

    def close(self) -> None:
        with self._lock:
            self._db.close()
