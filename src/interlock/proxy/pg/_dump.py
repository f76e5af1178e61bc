"""PostgreSQL snapshots into the vault: `pg_dump` for the definitions, rows counted and
checksummed in the very same database snapshot, and how a dump's table of contents maps
back to tables (so a restore can put back only what is gone).

A snapshot of PostgreSQL is one vault snapshot of kind `pg` with two entries:

    dump         `pg_dump --format=custom` of the tables (definition: columns, defaults,
                 sequences and their values, identity, constraints, indexes, foreign keys,
                 triggers, grants, comments; and rows)
    prelude.sql  what `pg_dump -t` leaves out but a fresh database needs first: the tables'
                 schemas, and the functions their triggers call (created only when missing)

and, in the manifest's labels, each table with its role (`target`: the statement reaches
it; `context`: a table a target's foreign keys point at, so a fresh database can take the
target), its row count and checksum (for drills), its sequences and indexes.

The counts and checksums are taken in a REPEATABLE READ transaction whose snapshot
`pg_dump --snapshot` shares, so they describe exactly the rows in the dump.
"""

from __future__ import annotations

import asyncio
import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from interlock.proxy.pg._catalog import EQ
from interlock.proxy.pg._client import ClientError, Connection
from interlock.proxy.pg._messages import quote_literal as ql
from interlock.proxy.pg._tls import UpstreamTLS
from interlock.vault import Snapshot, Vault, VaultError

if TYPE_CHECKING:
    from interlock.proxy.pg._login import Target

KIND = "pg"
DUMP = "dump"
PRELUDE = "prelude.sql"
READ = 1024 * 1024
MAX_TABLES = 256
LOCK_WAIT_MS = 5000


class SnapshotFailed(Exception):
    """The snapshot could not be taken (too large, too slow, or an error); `bound` when a
    size or time limit was the reason."""

    def __init__(self, message: str, *, bound: bool = False) -> None:
        super().__init__(message)
        self.bound = bound


@dataclass(frozen=True, slots=True)
class Scope:
    """What a statement reaches: tables by (schema, name), whole schemas, or a whole database."""

    tables: tuple[tuple[str, str], ...] = ()
    schemas: tuple[str, ...] = ()
    database: str = ""  # DROP DATABASE: that database, whole

    def describe(self) -> str:
        parts = [f"{s}.{n}" for s, n in self.tables]
        parts += [f"schema {s}" for s in self.schemas]
        if self.database:
            parts.append(f"database {self.database}")
        return ", ".join(parts) or "nothing"


@dataclass(frozen=True, slots=True)
class Source:
    """Where to dump from and the bounds: a libpq URL without its password, the password
    (passed to pg_dump in its environment, never on its command line), the program."""

    url: str
    password: str | None = field(default=None, repr=False)
    pg_dump: str = "pg_dump"
    max_bytes: int = 512 * 1024 * 1024
    timeout: float = 120.0
    tls: UpstreamTLS | None = field(default=None, repr=False)

    def for_database(self, database: str) -> Source:
        parts = urlsplit(self.url)
        return replace(self, url=urlunsplit(parts._replace(path="/" + quote(database))))


def target_url(target: Target, database: str | None = None) -> str:
    """The libpq URL of a resource's server (no password): the target's own user, host, port
    and database, with the TLS parameters the registered URL gives."""
    keep = ("sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl")
    query = [(k, v) for k, v in parse_qsl(urlsplit(target.url).query) if k in keep]
    host = f"[{target.host}]" if ":" in target.host else target.host
    return urlunsplit(
        (
            "postgresql",
            f"{quote(target.user, safe='')}@{host}:{target.port}",
            "/" + quote(database if database is not None else target.database, safe=""),
            urlencode(query),
            "",
        )
    )


def qualified(schema: str, name: str) -> str:
    return '"' + schema.replace('"', '""') + '"."' + name.replace('"', '""') + '"'


# --- what the snapshot holds, read in the same database snapshot as the dump -----------

_TABLES_OF = {
    "schemas": "n.nspname {eq} ANY ({arr})",
    "database": "n.nspname NOT IN ('pg_catalog', 'information_schema') "
    "AND n.nspname NOT LIKE 'pg\\_%'",
}


def _tables_sql(scope: Scope) -> str:
    base = (
        "SELECT n.nspname, c.relname, c.oid::pg_catalog.text FROM pg_catalog.pg_class c "  # noqa: S608 (literals quoted)
        f"JOIN pg_catalog.pg_namespace n ON n.oid {EQ} c.relnamespace "
        "WHERE c.relkind IN ('r', 'p') AND "
    )
    if scope.database:
        return base + _TABLES_OF["database"] + " ORDER BY 1, 2"
    if scope.schemas:
        arr = "ARRAY[" + ", ".join(ql(s) for s in scope.schemas) + "]::pg_catalog.text[]"
        return base + _TABLES_OF["schemas"].format(eq=EQ, arr=arr) + " ORDER BY 1, 2"
    names = ", ".join(ql(qualified(s, n)) for s, n in scope.tables)
    return (
        "WITH RECURSIVE wanted(oid, role) AS ("  # noqa: S608 (names quoted by quote_literal)
        f"SELECT pg_catalog.to_regclass(x)::pg_catalog.oid, 'target' FROM "
        f"pg_catalog.unnest(ARRAY[{names}]::pg_catalog.text[]) x "
        "UNION SELECT k.confrelid, 'context' FROM wanted w JOIN pg_catalog.pg_constraint k "
        f"ON k.conrelid {EQ} w.oid AND k.contype {EQ} 'f') "
        "SELECT n.nspname, c.relname, c.oid::pg_catalog.text, "
        "pg_catalog.max(w.role) FROM wanted w "  # 'target' > 'context': one row per table
        f"JOIN pg_catalog.pg_class c ON c.oid {EQ} w.oid "
        f"JOIN pg_catalog.pg_namespace n ON n.oid {EQ} c.relnamespace "
        "GROUP BY 1, 2, 3 ORDER BY 1, 2"
    )


def stats_sql(schema: str, name: str) -> str:
    """Row count and an order-independent checksum of the rows (each row's text form)."""
    return (
        "SELECT pg_catalog.count(*)::pg_catalog.text, "  # noqa: S608 (names quoted)
        "COALESCE(pg_catalog.sum(('x' OPERATOR(pg_catalog.||) pg_catalog.substr("
        "pg_catalog.md5(t::pg_catalog.text), 1, 15))::bit(60)::bigint), 0)::pg_catalog.text "
        f"FROM ONLY {qualified(schema, name)} t"
    )


def _parts_sql(oid: str) -> str:
    if not oid.isdigit():
        raise SnapshotFailed(f"not an oid: {oid!r}")
    return (
        "SELECT 'sequence', s.relname FROM pg_catalog.pg_depend d "  # noqa: S608 (an oid)
        f"JOIN pg_catalog.pg_class s ON s.oid {EQ} d.objid AND s.relkind {EQ} 'S' "
        f"WHERE d.refobjid {EQ} {oid} "
        f"AND d.classid {EQ} 'pg_catalog.pg_class'::pg_catalog.regclass "
        "UNION ALL SELECT 'index', i.relname FROM pg_catalog.pg_index x "
        f"JOIN pg_catalog.pg_class i ON i.oid {EQ} x.indexrelid WHERE x.indrelid {EQ} {oid} "
        "UNION ALL SELECT DISTINCT 'references', pg_catalog.quote_ident(n.nspname) "
        "OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(r.relname) "
        f"FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class r ON r.oid {EQ} k.confrelid "
        f"JOIN pg_catalog.pg_namespace n ON n.oid {EQ} r.relnamespace "
        f"WHERE k.conrelid {EQ} {oid} AND k.contype {EQ} 'f' "
        f"AND k.confrelid OPERATOR(pg_catalog.<>) {oid}"
    )


def _trigger_functions_sql(oids: Sequence[str]) -> str:
    listed = ", ".join(oids)
    return (
        "SELECT DISTINCT t.tgfoid::pg_catalog.regprocedure::pg_catalog.text, "  # noqa: S608 (oids)
        "pg_catalog.pg_get_functiondef(t.tgfoid) FROM pg_catalog.pg_trigger t "
        f"WHERE t.tgrelid IN ({listed}) AND NOT t.tgisinternal"
    )


def prelude(schemas: Sequence[str], functions: Sequence[tuple[str, str]]) -> str:
    """SQL that makes a database ready for the dump; harmless where all of it exists."""
    lines = [f"CREATE SCHEMA IF NOT EXISTS {_pattern(s)};" for s in schemas]
    for signature, definition in functions:
        lines.append(
            "DO $interlock$ BEGIN IF pg_catalog.to_regprocedure("
            f"{ql(signature)}) IS NULL THEN EXECUTE {ql(definition)}; END IF; END $interlock$;"
        )
    return "\n".join(lines) + "\n"


async def _read(conn: Connection, sql: str) -> list[list[str | None]]:
    result = await conn.query(sql)
    if not result.ok:
        raise SnapshotFailed(f"cannot read the catalog: {result.error_text()}")
    return result.rows


# --- taking a snapshot ------------------------------------------------------------------


def take_snapshot(
    vault: Vault,
    source: Source,
    resource: str,
    scope: Scope,
    labels: dict[str, Any],
) -> Snapshot:
    """Dump what `scope` reaches into the vault; `SnapshotFailed` when it cannot."""
    if scope.database:
        source = source.for_database(scope.database)
    try:
        return asyncio.run(_take(vault, source, resource, scope, labels))
    except (ClientError, OSError) as exc:
        raise SnapshotFailed(f"cannot reach the server for the snapshot: {exc}") from None
    except VaultError as exc:
        bound = "limit" in str(exc)
        raise SnapshotFailed(f"the vault refused the snapshot: {exc}", bound=bound) from None


async def _take(
    vault: Vault, source: Source, resource: str, scope: Scope, labels: dict[str, Any]
) -> Snapshot:
    deadline = time.monotonic() + source.timeout
    parts = urlsplit(source.url)
    database = unquote(parts.path.lstrip("/")) or resource
    conn = await Connection.open(
        parts.hostname or "127.0.0.1",
        parts.port or 5432,
        database,
        unquote(parts.username or "") or "postgres",
        source.password,
        tls=source.tls,
    )
    try:
        began = await conn.query(
            "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; "
            "SET LOCAL search_path = pg_catalog, pg_temp; "
            "SET LOCAL statement_timeout = " + str(int(source.timeout * 1000)) + "; "
            f"SET LOCAL lock_timeout = {LOCK_WAIT_MS}; "
            "SELECT pg_catalog.pg_export_snapshot(), "
            "pg_catalog.current_setting('server_version_num')"
        )
        if not began.ok or not began.rows:
            raise SnapshotFailed(f"cannot start the snapshot: {began.error_text()}")
        exported, server_num = (v or "" for v in began.rows[-1])
        server_major = int(server_num) // 10000
        tables = await _read(conn, _tables_sql(scope))
        if len(tables) > MAX_TABLES:
            raise SnapshotFailed(f"the statement reaches more than {MAX_TABLES} tables", bound=True)
        described: list[dict[str, Any]] = []
        for row in tables:
            schema, name, oid = (v or "" for v in row[:3])
            if not oid.isdigit():
                continue  # named but gone (DROP … IF EXISTS of nothing)
            owned = await _read(conn, _parts_sql(oid))
            described.append(
                {
                    "schema": schema,
                    "name": name,
                    "oid": oid,
                    "role": (row[3] or "target") if len(row) > 3 else "target",
                    "sequences": sorted(v[1] or "" for v in owned if v[0] == "sequence"),
                    "indexes": sorted(v[1] or "" for v in owned if v[0] == "index"),
                    "references": sorted(v[1] or "" for v in owned if v[0] == "references"),
                }
            )
        oids = [t["oid"] for t in described]
        functions = (
            [(r[0] or "", r[1] or "") for r in await _read(conn, _trigger_functions_sql(oids))]
            if oids
            else []
        )
        schemas = sorted({t["schema"] for t in described})
        if scope.schemas or scope.database:
            schemas, functions = [], []  # a whole schema's or database's dump has its own
        writer = vault.writer(
            KIND,
            resource,
            {
                **labels,
                "database": database,
                "server_major": server_major,
                "scope": scope.describe(),
                "whole": "database" if scope.database else ("schemas" if scope.schemas else ""),
            },
        )
        # pg_dump streams into the vault on a thread while this connection counts and
        # checksums the same rows (the same exported snapshot): the two overlap.
        stop = threading.Event()
        failure: list[BaseException] = []

        def dump() -> None:
            try:
                blocks = _run_dump(
                    _dump_args(source, scope, described, exported),
                    source,
                    deadline,
                    server_major,
                    stop,
                )
                writer.add(DUMP, blocks, {"format": "custom"}, limit=source.max_bytes)
            except BaseException as exc:  # handed to the caller below
                failure.append(exc)

        dumping = threading.Thread(target=dump, name="interlock-pg-dump", daemon=True)
        dumping.start()
        try:
            for table in described:
                counted = await _read(conn, stats_sql(table["schema"], table["name"]))
                rows, checksum = (v or "0" for v in counted[0])
                table["rows"], table["checksum"] = int(rows), checksum
                if time.monotonic() > deadline:
                    raise SnapshotFailed(
                        f"the snapshot took longer than {source.timeout:g} s", bound=True
                    )
        finally:
            if sys.exc_info()[0] is not None:
                stop.set()
            dumping.join()
        if failure:
            raise failure[0]
        writer.labels["tables"] = [{k: v for k, v in t.items() if k != "oid"} for t in described]
        writer.add(PRELUDE, prelude(schemas, functions).encode())
        snapshot = writer.commit()
        await conn.query("COMMIT")
        return snapshot
    finally:
        await conn.close()


def _dump_args(
    source: Source, scope: Scope, tables: list[dict[str, Any]], exported: str
) -> list[str]:
    args = [
        source.pg_dump,
        "--format=custom",
        "--compress=0",  # the vault compresses
        f"--snapshot={exported}",
        f"--lock-wait-timeout={LOCK_WAIT_MS}",
        "--no-password",
        f"--dbname={source.url}",
    ]
    if scope.database:
        return args
    if scope.schemas:
        return args + [f"--schema={_pattern(s)}" for s in scope.schemas]
    return args + [f"--table={qualified(t['schema'], t['name'])}" for t in tables]


def _pattern(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def pg_dump_major(program: str) -> int:
    """The major version of a pg_dump (or pg_restore, psql) program; 0 when unknown. Asked
    once per program and path (a snapshot should not pay for a second process)."""
    found = shutil.which(program)
    if found is None:
        return 0
    try:
        stamp = os.stat(found).st_mtime_ns
    except OSError:
        return 0
    return _major(found, stamp)


@functools.lru_cache(maxsize=16)
def _major(found: str, stamp: int) -> int:
    try:
        out = subprocess.run(
            [found, "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    match = re.search(r"\s(\d+)(?:\.\d+)?", out)
    return int(match.group(1)) if match else 0


def client_env(password: str | None) -> dict[str, str]:
    """The environment of pg_dump, pg_restore and psql: with a password (a resource's
    credential), only that one; without, the caller's own PG* settings (PGPASSWORD,
    ~/.pgpass, PGSSLMODE…) as a human running `vault restore --into` expects."""
    if password is None:
        env = dict(os.environ)
    else:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["PGPASSWORD"] = password
    env.setdefault("PGCONNECT_TIMEOUT", "10")
    return env


def _run_dump(
    args: list[str],
    source: Source,
    deadline: float,
    server_major: int,
    stop: threading.Event | None = None,
) -> Iterator[bytes]:
    major = pg_dump_major(source.pg_dump)
    if major == 0:
        raise SnapshotFailed(
            f"{source.pg_dump} is not installed (Debian: apt-get install postgresql-client)"
        )
    if major < server_major:
        raise SnapshotFailed(
            f"{source.pg_dump} is version {major}; the server is {server_major} "
            "(pg_dump must be the server's major version or newer)"
        )
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=errors, env=client_env(source.password)
        )
        assert process.stdout is not None
        try:
            while True:
                if stop is not None and stop.is_set():
                    raise SnapshotFailed("the snapshot was abandoned")
                if time.monotonic() > deadline:
                    raise SnapshotFailed(
                        f"the snapshot took longer than {source.timeout:g} s", bound=True
                    )
                block = os.read(process.stdout.fileno(), READ)
                if not block:
                    break
                yield block
            code = process.wait(timeout=max(1.0, deadline - time.monotonic()))
        except BaseException:
            process.kill()
            process.wait()
            raise
        if code != 0:
            errors.seek(0)
            text = errors.read().decode(errors="replace").strip().splitlines()
            raise SnapshotFailed(f"pg_dump failed: {text[-1] if text else f'exit {code}'}")
