"""One SQLite file opened the way every Interlock store opens it.

WAL mode, so readers never block the writer; one connection shared by the threads of a
process behind a lock; writes inside `BEGIN IMMEDIATE` (see `interlock._sqlite`), so several
processes sharing the file serialise instead of failing half-way. `secure_delete` overwrites
deleted rows, which held sealed secrets and digests.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar

from interlock._sqlite import immediate_transaction
from interlock.errors import ConfigError
from interlock.state._errors import AlreadyStored

Record = TypeVar("Record")


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

    def one(self, sql: str, params: tuple[object, ...] = ()) -> sqlite3.Row | None:
        with self.reading() as db:
            row: sqlite3.Row | None = db.execute(sql, params).fetchone()
            return row

    def all(self, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        with self.reading() as db:
            return list(db.execute(sql, params).fetchall())

    def change(self, sql: str, params: tuple[object, ...] = ()) -> int:
        """One statement in its own write transaction: how many rows it changed."""
        with self.writing() as db:
            return int(db.execute(sql, params).rowcount)

    def close(self) -> None:
        with self._lock:
            self._db.close()


# -- records as rows: one column per field, named like it; sets and mappings as JSON


def columns(kind: type[Any], prefix: str = "") -> str:
    """The column list of a record type (`prefix.` before each name, for joins)."""
    return ", ".join(prefix + f.name for f in fields(kind))


def insert(db: sqlite3.Connection, table: str, record: Any) -> None:
    """Insert a record (a dataclass from this package) as one row of `table`."""
    names = [f.name for f in fields(record)]
    db.execute(
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",  # noqa: S608
        tuple(_to_column(getattr(record, name)) for name in names),
    )


def read(kind: Callable[..., Record], row: sqlite3.Row, prefix: str = "") -> Record:
    """The record of type `kind` that `insert` wrote as `row` (columns named `prefix` + field)."""
    return kind(
        **{
            name: row[prefix + name] if row[prefix + name] is None else load(row[prefix + name])
            for name, load in _loaders(kind).items()
        }
    )


def _to_column(value: object) -> object:
    if isinstance(value, frozenset):
        return json.dumps(sorted(value))
    if isinstance(value, Mapping):
        return json.dumps(dict(value))
    return value


@functools.cache
def _loaders(kind: Callable[..., Any]) -> dict[str, Callable[[Any], Any]]:
    """How to read each field of a record type back from its column."""
    hints = typing.get_type_hints(kind)
    loaders: dict[str, Callable[[Any], Any]] = {}
    for f in fields(kind):  # type: ignore[arg-type]
        hint = hints[f.name]
        options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        origins = {typing.get_origin(o) or o for o in options}
        if frozenset in origins:
            loaders[f.name] = lambda text: frozenset(json.loads(text))
        elif Mapping in origins:
            loaders[f.name] = json.loads
        elif bytes in origins:
            loaders[f.name] = bytes
        else:
            loaders[f.name] = _same
    return loaders


def _same(value: Any) -> Any:
    return value
