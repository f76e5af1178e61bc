"""Safeguards taken before an allowed destructive statement runs, and how they are undone.

    snapshot   every affected table (definition and rows) leaves the database for the
               vault (`interlock.vault`, through `_dump`: pg_dump) before it runs; the
               plan here only finds, on the agent's connection, what the statement reaches;
               `interlock undo` and `interlock vault restore` put it back (`_restore`)
    soft drop  `DROP TABLE t` is not run: the table is renamed and moved into the trash
               schema `interlock_trash`, whole (indexes, constraints, grants, dependent views
               still pointing at it); `interlock undo` moves it back, `interlock trash purge`
               drops it for good after its retention. The trash is the fast path, in the
               same database and blast radius: not a backup. A soft drop is preceded by a
               snapshot into the vault like any other destructive statement.

Snapshots taken by earlier versions are tables in the schema `interlock_vault`; undo still
reads them. Both schemas belong to the resource's own role (Interlock's credential, never
the agent's), and the enforcement point refuses every statement that names them, so an
agent cannot read, write or drop what protects it. Each object carries a COMMENT with its
origin as JSON, so the database itself says what is in the vault and the trash.

Plans are generators over `QueryResult`s (see `_results`): the session runs them over the
agent's own connection, `interlock undo` over a connection of its own.
"""

from __future__ import annotations

import json
import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass

from interlock.proxy.pg._catalog import (
    EQ,
    existing_sql,
    quoted,
    reach_sql,
    resolve_sql,
)
from interlock.proxy.pg._messages import quote_ident as qi
from interlock.proxy.pg._messages import quote_literal as ql
from interlock.proxy.pg._results import Plan, PlanFailed, QueryResult

VAULT_SCHEMA = "interlock_vault"
TRASH_SCHEMA = "interlock_trash"
PROTECTED_SCHEMAS = (VAULT_SCHEMA, TRASH_SCHEMA)
SNAPSHOT = "snapshot"
SOFT_DROP = "soft_drop"
SOFT_DROP_NAMES = frozenset({"soft_drop", "soft-drop", "soft_delete", "soft-delete"})
SNAPSHOT_OPERATIONS = frozenset(
    {"sql:DROP TABLE", "sql:TRUNCATE", "sql:DELETE", "sql:UPDATE", "sql:MERGE", "sql:INSERT"}
)
MAX_IDENT = 63
NOTHING = "Interlock: nothing to snapshot (no such table)"


@dataclass(frozen=True, slots=True)
class Saved:
    """One table a safeguard kept: where it was and where its copy (or itself) is now."""

    mode: str  # snapshot | soft_drop
    schema: str
    name: str
    kept_as: str  # the table's name inside the vault or trash schema

    def to_json(self) -> dict[str, str]:
        return {
            "mode": self.mode,
            "schema": self.schema,
            "name": self.name,
            "kept_as": self.kept_as,
        }


def _kept_name(label: str, name: str, index: int) -> str:
    return f"{label}_{index}_{name}"[:MAX_IDENT]


def _comment(saved: Saved, audit_seq: int, operation: str) -> str:
    return json.dumps(
        {
            "interlock": saved.mode,
            "schema": saved.schema,
            "name": saved.name,
            "audit_seq": audit_seq,
            "operation": operation,
            "at": int(time.time()),
        },
        sort_keys=True,
    )


MAX_TABLES = 64


def _resolved(result: QueryResult, target: str) -> tuple[str, str, str, str] | None:
    if not result.ok:
        raise PlanFailed(f"cannot resolve {target}: {result.error_text()}")
    if not result.rows:
        return None
    schema, name, kind, oid = (v or "" for v in result.rows[0])
    return schema, name, kind, oid


def _keepable(schema: str, name: str, kind: str) -> None:
    if schema in PROTECTED_SCHEMAS:
        raise PlanFailed(f"{schema}.{name} is Interlock's own")
    if kind not in ("r", "p"):
        raise PlanFailed(f"{schema}.{name} is not a table (relkind {kind})")


def _nothing_there(target: str) -> Plan:
    """Believe "no such table" only if a second, independent look agrees; a table the
    resolution missed (a shadowed function, a search_path trick) refuses the statement."""
    result = yield existing_sql(target)
    if not result.ok:
        raise PlanFailed(f"cannot look for {target}: {result.error_text()}")
    if result.rows:
        schema, name = (v or "" for v in result.rows[0])
        raise PlanFailed(
            f"{schema}.{name} exists but the safeguard could not resolve {target!r}: "
            "nothing would be saved for a statement that destroys it"
        )
    return ""


def _resolve_table(target: str) -> Generator[str, QueryResult, tuple[str, str, str] | None]:
    """(schema, name, oid) of the table a target names, never Interlock's own; None when
    nothing by that name is anywhere the statement could reach (`_nothing_there`)."""
    found = _resolved((yield resolve_sql(target)), target)
    if found is None:
        yield from _nothing_there(target)
        return None
    schema, name, kind, oid = found
    _keepable(schema, name, kind)
    return schema, name, oid


def snapshot_plan(
    targets: Sequence[tuple[str, str]], audit_seq: int, operation: str, saved: list[Saved]
) -> Plan:
    """Find, on the agent's own connection (its search path, its transaction), each existing
    target table and every table the statement reaches through it (inheritance children,
    partitions, foreign keys that carry it on); fills `saved` with them. The snapshot
    itself is taken out of the database into the vault (`_dump`) once this plan is done."""
    tables: dict[str, tuple[str, str]] = {}  # oid -> (schema, name), in order
    for target, target_operation in dict.fromkeys(targets):
        found = yield from _resolve_table(target)
        if found is None:
            continue  # nothing by that name anywhere it could be (DROP … IF EXISTS)
        schema, name, oid = found
        tables.setdefault(oid, (schema, name))
        reached = yield reach_sql(oid, target_operation)
        if not reached.ok:
            raise PlanFailed(f"cannot find what {schema}.{name} reaches: {reached.error_text()}")
        for row in reached.rows:
            other_schema, other_name, other_kind, other_oid = (v or "" for v in row)
            _keepable(other_schema, other_name, other_kind)
            tables.setdefault(other_oid, (other_schema, other_name))
        if len(tables) > MAX_TABLES:
            raise PlanFailed(f"the statement reaches more than {MAX_TABLES} tables")
    if not tables:
        return NOTHING
    saved.extend(Saved(SNAPSHOT, schema, name, "") for schema, name in tables.values())
    return ", ".join(f"{s.schema}.{s.name}" for s in saved)


def nothing_to_resolve(summary: str) -> Plan:
    """A plan that runs no query (a schema or a database is snapshotted by name)."""
    return summary
    yield ""  # a generator all the same


def soft_drop_plan(targets: Sequence[str], audit_seq: int, saved: list[Saved]) -> Plan:
    """Move each target table into the trash instead of dropping it."""
    tables: list[tuple[str, str]] = []
    for target in dict.fromkeys(targets):
        found = yield from _resolve_table(target)
        if found is None:
            raise PlanFailed(f'table "{target}" does not exist')
        tables.append(found[:2])
    statements = [
        f"CREATE SCHEMA IF NOT EXISTS {TRASH_SCHEMA}",
        f"REVOKE ALL ON SCHEMA {TRASH_SCHEMA} FROM PUBLIC",
    ]
    pending: list[Saved] = []
    for index, (schema, name) in enumerate(tables):
        kept = Saved(SOFT_DROP, schema, name, _kept_name(f"d{audit_seq}", name, index))
        statements += [
            f"ALTER TABLE {qi(schema)}.{qi(name)} RENAME TO {qi(kept.kept_as)}",
            f"ALTER TABLE {qi(schema)}.{qi(kept.kept_as)} SET SCHEMA {TRASH_SCHEMA}",
            f"COMMENT ON TABLE {TRASH_SCHEMA}.{qi(kept.kept_as)} IS "
            f"{ql(_comment(kept, audit_seq, 'sql:DROP TABLE'))}",
        ]
        pending.append(kept)
    result = yield "; ".join(statements)
    if not result.ok:
        raise PlanFailed(f"moving to the trash failed: {result.error_text()}")
    saved.extend(pending)
    shown = ", ".join(f"{s.schema}.{s.name}" for s in saved)
    return (
        f"Interlock moved {shown} to the trash instead of dropping it "
        f"(restore: interlock undo {audit_seq}; purge: interlock trash purge)"
    )


# --- undo -------------------------------------------------------------------------------


def undo_plan(saved: Sequence[Saved]) -> Plan:
    """Put every kept table back as it was when the safeguard was taken."""
    restored: list[str] = []
    for item in saved:
        original = f"{qi(item.schema)}.{qi(item.name)}"
        if item.mode == SOFT_DROP:
            result = yield (
                f"ALTER TABLE {TRASH_SCHEMA}.{qi(item.kept_as)} SET SCHEMA {qi(item.schema)}; "
                f"ALTER TABLE {qi(item.schema)}.{qi(item.kept_as)} RENAME TO {qi(item.name)}; "
                f"COMMENT ON TABLE {original} IS NULL"
            )
            if not result.ok:
                raise PlanFailed(
                    f"cannot move {item.schema}.{item.name} back: {result.error_text()}"
                )
            restored.append(f"{item.schema}.{item.name} (from the trash)")
            continue
        copy = f"{VAULT_SCHEMA}.{qi(item.kept_as)}"
        exists = yield resolve_sql(f"{item.schema}.{item.name}")
        if not exists.ok:
            raise PlanFailed(f"cannot look up {item.schema}.{item.name}: {exists.error_text()}")
        create = f"CREATE TABLE {original} (LIKE {copy} INCLUDING ALL); " if not exists.rows else ""
        columns = yield (
            "SELECT pg_catalog.string_agg(pg_catalog.quote_ident(attname), ', ' ORDER BY attnum) "  # noqa: S608 (names quoted by quote_ident/quote_literal)
            f"FROM pg_catalog.pg_attribute WHERE attrelid {EQ} "
            f"pg_catalog.to_regclass({ql(VAULT_SCHEMA + '.' + quoted(item.kept_as))}) "
            f"AND attnum OPERATOR(pg_catalog.>) 0 AND NOT attisdropped"
        )
        if not columns.ok or not columns.rows or columns.rows[0][0] is None:
            raise PlanFailed(f"the snapshot {copy} is missing: {columns.error_text()}")
        cols = columns.rows[0][0]
        result = yield (
            f"BEGIN; {create}DELETE FROM {original}; "  # noqa: S608 (names quoted by quote_ident/quote_literal)
            f"INSERT INTO {original} ({cols}) OVERRIDING SYSTEM VALUE SELECT {cols} FROM {copy}; "
            "COMMIT"
        )
        if not result.ok:
            yield "ROLLBACK"
            raise PlanFailed(f"cannot restore {item.schema}.{item.name}: {result.error_text()}")
        restored.append(f"{item.schema}.{item.name} (from the vault, {result.tags[-2]})")
    return "restored " + ", ".join(restored)


# --- trash ------------------------------------------------------------------------------

LIST_SQL = (
    "SELECT n.nspname, c.relname, pg_catalog.obj_description(c.oid, 'pg_class'), "  # noqa: S608 (names quoted by quote_ident/quote_literal)
    "pg_catalog.pg_total_relation_size(c.oid)::pg_catalog.text FROM pg_catalog.pg_class c "
    f"JOIN pg_catalog.pg_namespace n ON n.oid {EQ} c.relnamespace "
    f"WHERE (n.nspname {EQ} {ql(VAULT_SCHEMA)} OR n.nspname {EQ} {ql(TRASH_SCHEMA)}) "
    f"AND (c.relkind {EQ} 'r' OR c.relkind {EQ} 'p') "
    "ORDER BY n.nspname, c.relname"
)


@dataclass(frozen=True, slots=True)
class KeptObject:
    """A table in the vault or the trash, with what its comment says about it."""

    schema: str
    name: str
    origin: dict[str, object]
    size: int

    @property
    def kept_at(self) -> int:
        at = self.origin.get("at")
        return at if isinstance(at, int) else 0

    def to_json(self) -> dict[str, object]:
        return {
            "where": self.schema,
            "name": self.name,
            "kind": self.origin.get("interlock", "unknown"),
            "original": f"{self.origin.get('schema', '?')}.{self.origin.get('name', '?')}",
            "audit_seq": self.origin.get("audit_seq"),
            "kept_at": self.kept_at,
            "bytes": self.size,
        }


def parse_kept(rows: list[list[str | None]]) -> list[KeptObject]:
    out = []
    for schema, name, comment, size in rows:
        try:
            origin = json.loads(comment or "{}")
        except ValueError:
            origin = {}
        out.append(
            KeptObject(
                schema or "",
                name or "",
                origin if isinstance(origin, dict) else {},
                int(size or 0),
            )
        )
    return out


def purge_plan(objects: Sequence[KeptObject]) -> Plan:
    dropped = []
    for obj in objects:
        if obj.schema not in PROTECTED_SCHEMAS:
            raise PlanFailed(f"{obj.schema}.{obj.name} is not in the vault or the trash")
        result = yield f"DROP TABLE {qi(obj.schema)}.{qi(obj.name)}"
        if not result.ok:
            raise PlanFailed(f"cannot purge {obj.schema}.{obj.name}: {result.error_text()}")
        dropped.append(f"{obj.schema}.{obj.name}")
    return f"purged {len(dropped)} object(s)"
