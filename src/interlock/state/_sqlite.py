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
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar

from interlock._sqlite import immediate_transaction
from interlock.errors import ConfigError
from interlock.state._errors import AlreadyStored

Record = TypeVar("Record")


class SQLiteFile:
    """A connection to `path` with `schema` applied; `what` names it in error messages.

    Reads outside a write transaction hold `lock` while they use `connection`.
    """

    def __init__(self, path: Path, schema: str, what: str) -> None:
        self.path = path
        self.what = what
        self.lock = threading.RLock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.connection = sqlite3.connect(
                path, timeout=30, isolation_level=None, check_same_thread=False
            )
            self.connection.execute("PRAGMA journal_mode=WAL")
            self.connection.execute("PRAGMA synchronous=NORMAL")
            self.connection.execute("PRAGMA secure_delete=ON")
            self.connection.executescript(schema)
        except sqlite3.Error as exc:
            raise ConfigError(f"{path}: cannot open {what} ({exc})") from None

    @contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """A write transaction holding SQLite's write lock from its first statement.

        A uniqueness conflict becomes `AlreadyStored`; any other failure rolls back.
        """

        def refused(exc: sqlite3.Error) -> Exception:
            return ConfigError(f"{self.path}: cannot write {self.what} ({exc})")

        try:
            with self.lock, immediate_transaction(self.connection, refused) as db:
                yield db
        except sqlite3.IntegrityError as exc:
            raise AlreadyStored(str(exc)) from None

    def one(self, sql: str, params: tuple[object, ...] = ()) -> tuple[Any, ...] | None:
        with self.lock:
            row: tuple[Any, ...] | None = self.connection.execute(sql, params).fetchone()
            return row

    def all(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        with self.lock:
            return list(self.connection.execute(sql, params).fetchall())

    def select(
        self, kind: Callable[..., Record], table: str, where: str = "", *params: object
    ) -> list[Record]:
        """Records of `kind` from `table`; `where` is the rest of the statement (a condition
        and an order), written by the caller."""
        rows = self.all(f"SELECT {columns(kind)} FROM {table} {where}", params)  # noqa: S608
        return [read(kind, row) for row in rows]

    def first(
        self, kind: Callable[..., Record], table: str, where: str, *params: object
    ) -> Record | None:
        """The first record `select` finds, or None."""
        found = self.select(kind, table, where, *params)
        return found[0] if found else None

    def add(self, table: str, record: object) -> None:
        """One record inserted in its own write transaction (a duplicate: `AlreadyStored`)."""
        with self.writing() as db:
            insert(db, table, record)

    def change(self, sql: str, params: tuple[object, ...] = ()) -> int:
        """One statement in its own write transaction: how many rows it changed."""
        with self.writing() as db:
            return int(db.execute(sql, params).rowcount)

    def close(self) -> None:
        with self.lock:
            self.connection.close()


# -- records as rows: one column per field, named like it; sets and mappings as JSON


def columns(kind: Any, prefix: str = "") -> str:
    """The column list of a record type, in field order (`prefix` before each, for joins)."""
    return ", ".join(prefix + f.name for f in fields(kind))


def insert(db: sqlite3.Connection, table: str, record: Any) -> None:
    """Insert a record (a dataclass from this package) as one row of `table`."""
    names = [f.name for f in fields(record)]
    db.execute(
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",  # noqa: S608
        tuple(_to_column(getattr(record, name)) for name in names),
    )


def read(kind: Callable[..., Record], row: Sequence[Any], start: int = 0) -> Record:
    """The record of type `kind` from a row selected with `columns(kind)`, from `start` on."""
    count, loaders = _loaders(kind)
    values = list(row[start : start + count])
    for index, load in loaders:
        if values[index] is not None:
            values[index] = load(values[index])
    return kind(*values)


def _to_column(value: object) -> object:
    if isinstance(value, frozenset):
        return json.dumps(sorted(value))
    if isinstance(value, Mapping):
        return json.dumps(dict(value))
    return value


@functools.cache
def _loaders(kind: Callable[..., Any]) -> tuple[int, tuple[tuple[int, Callable[[Any], Any]], ...]]:
    """How many fields a record type has, and how to read back those not stored as they are."""
    hints = typing.get_type_hints(kind)
    loaders: list[tuple[int, Callable[[Any], Any]]] = []
    every = fields(kind)  # type: ignore[arg-type]
    for index, f in enumerate(every):
        hint = hints[f.name]
        options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        origins = {typing.get_origin(o) or o for o in options}
        if frozenset in origins:
            loaders.append((index, _name_set))
        elif Mapping in origins:
            loaders.append((index, json.loads))
        elif bytes in origins:
            loaders.append((index, bytes))
    return len(every), tuple(loaders)


@functools.lru_cache(maxsize=4096)
def _name_set(text: str) -> frozenset[str]:
    """A set of names stored as a JSON list. Cached: the same few lists (an agent's
    environments) come back on every cold token verification, and a frozenset is shared
    safely."""
    return frozenset(json.loads(text))


def seal_key(database: Path) -> bytes | None:
    """The home's HMAC key for a home's database (`<home>/state/…` → `<home>/keys/…`), which
    seals approvals and grants; None where there is none (a bare file in a test) or it
    cannot be read. Every process that opens the home's database finds the same key."""
    try:
        return (database.parent.parent / "keys" / "audit-hmac.key").read_bytes()
    except OSError:
        return None
