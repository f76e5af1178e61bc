"""An audit store the server's threads can share.

`SQLiteAuditStore` keeps one SQLite connection, usable only by the thread that opened it.
The server answers requests on a pool of threads (and follows the log on another), so
this store opens one connection per thread, lazily, and closes them all at shutdown. The
`AuditLog` above it (signer, HMAC key) is shared: it has no state of its own to race on.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

from interlock.audit import AuditLog, SQLiteAuditStore
from interlock.audit.chain import AuditRecord, Checkpoint
from interlock.audit.store import MakeRecord
from interlock.home import Home


class ThreadLocalAuditStore:
    """The `AuditStore` interface over one SQLite connection per calling thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._opened: list[SQLiteAuditStore] = []
        self._lock = threading.Lock()
        self._here()  # fail now, not on the first request, when the file cannot be opened

    def _here(self) -> SQLiteAuditStore:
        store: SQLiteAuditStore | None = getattr(self._local, "store", None)
        if store is None:
            store = SQLiteAuditStore(self.path)
            self._local.store = store
            with self._lock:
                self._opened.append(store)
        return store

    def append(self, make: MakeRecord) -> AuditRecord:
        return self._here().append(make)

    def append_many(self, makes: list[MakeRecord]) -> list[AuditRecord]:
        return self._here().append_many(makes)

    def records(self, after_seq: int = 0) -> Iterator[AuditRecord]:
        return self._here().records(after_seq)

    def head(self) -> AuditRecord | None:
        return self._here().head()

    def get(self, seq: int) -> AuditRecord | None:
        return self._here().get(seq)

    def add_checkpoint(self, checkpoint: Checkpoint) -> None:
        self._here().add_checkpoint(checkpoint)

    def checkpoints(self) -> list[Checkpoint]:
        return self._here().checkpoints()

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for store in opened:
            store.close()


def shared_audit_log(home: Home) -> AuditLog:
    """The home's audit log, safe to append to from any of the server's threads."""
    return home.audit_log(ThreadLocalAuditStore(home.database))
