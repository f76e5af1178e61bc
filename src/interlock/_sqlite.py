"""The one way Interlock writes to its SQLite state.

Every store (audit, identity, approvals) writes inside a transaction that takes SQLite's
write lock at the start (`BEGIN IMMEDIATE`), so several processes sharing the file
serialise instead of failing half-way; any exception rolls the transaction back.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def immediate_transaction(
    db: sqlite3.Connection, on_error: Callable[[sqlite3.Error], Exception]
) -> Iterator[sqlite3.Connection]:
    """Commit on success, roll back on any exception; a failure to begin is `on_error(exc)`."""
    try:
        db.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        raise on_error(exc) from None
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
