"""Safeguards taken before an allowed destructive statement runs, and how they are undone.

    snapshot   every affected table is copied into the vault schema `interlock_vault`
               (structure with defaults, constraints and indexes, and every row) before the
               statement runs; `interlock undo` puts the rows back (re-creating the table
               if it was dropped)
    soft drop  `DROP TABLE t` is not run: the table is renamed and moved into the trash
               schema `interlock_trash`, whole (indexes, constraints, grants, dependent views
               still pointing at it); `interlock undo` moves it back, `interlock trash purge`
               drops it for good after its retention

Both schemas belong to the resource's own role (Interlock's credential, never the agent's),
and the enforcement point refuses every statement that names them, so an agent cannot read,
write or drop what protects it. Each object carries a COMMENT with its origin as JSON, so the
database itself says what is in the vault and the trash.

Plans are generators over `QueryResult`s (see `_results`): the session runs them over the
agent's own connection, `interlock undo` over a connection of its own.
"""

from __future__ import annotations

import json
import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass

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


def _split(target: str) -> tuple[str | None, str]:
    schema, dot, name = target.partition(".")
    return (schema, name) if dot else (None, target)


def resolve_sql(target: str) -> str:
    """The (schema, name, kind) of a target as the server resolves it (search_path too)."""
    schema, name = _split(target)
    qualified = f"quote_ident({ql(name)})"
    if schema is not None:
        qualified = f"quote_ident({ql(schema)}) || '.' || {qualified}"
    return (
        "SELECT n.nspname, c.relname, c.relkind FROM pg_class c "  # noqa: S608 (names quoted by quote_ident/quote_literal)
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE c.oid = to_regclass({qualified})"
    )


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


def _resolve_tables(
    targets: Sequence[str], *, missing_ok: bool
) -> Generator[str, QueryResult, list[tuple[str, str]]]:
    """(schema, name) of each distinct target: a table of the user's, never Interlock's own;
    a target that does not exist is skipped when `missing_ok`, else the plan fails."""
    tables: list[tuple[str, str]] = []
    for target in dict.fromkeys(targets):
        result = yield resolve_sql(target)
        if not result.ok:
            raise PlanFailed(f"cannot resolve {target}: {result.error_text()}")
        if not result.rows:
            if missing_ok:
                continue
            raise PlanFailed(f'table "{target}" does not exist')
        schema, name, kind = (v or "" for v in result.rows[0])
        if schema in PROTECTED_SCHEMAS:
            raise PlanFailed(f"{schema}.{name} is Interlock's own")
        if kind not in ("r", "p"):
            raise PlanFailed(f"{schema}.{name} is not a table (relkind {kind})")
        tables.append((schema, name))
    return tables


def snapshot_plan(
    targets: Sequence[str], audit_seq: int, operation: str, saved: list[Saved]
) -> Plan:
    """Copy each existing target table into the vault; fills `saved` as it goes."""
    # a name that is not there (DROP … IF EXISTS) has nothing to keep
    tables = yield from _resolve_tables(targets, missing_ok=True)
    if not tables:
        return "Interlock: nothing to snapshot (no such table)"
    result = yield (
        f"CREATE SCHEMA IF NOT EXISTS {VAULT_SCHEMA}; "
        f"REVOKE ALL ON SCHEMA {VAULT_SCHEMA} FROM PUBLIC"
    )
    if not result.ok:
        raise PlanFailed(f"cannot create the vault schema: {result.error_text()}")
    for index, (schema, name) in enumerate(tables):
        kept = Saved(SNAPSHOT, schema, name, _kept_name(f"s{audit_seq}", name, index))
        copy = f"{VAULT_SCHEMA}.{qi(kept.kept_as)}"
        result = yield (
            f"CREATE TABLE {copy} (LIKE {qi(schema)}.{qi(name)} INCLUDING DEFAULTS "  # noqa: S608 (names quoted by quote_ident/quote_literal)
            "INCLUDING CONSTRAINTS INCLUDING INDEXES INCLUDING COMMENTS); "
            f"INSERT INTO {copy} SELECT * FROM {qi(schema)}.{qi(name)}; "
            f"COMMENT ON TABLE {copy} IS {ql(_comment(kept, audit_seq, operation))}"
        )
        if not result.ok:
            raise PlanFailed(f"snapshot of {schema}.{name} failed: {result.error_text()}")
        saved.append(kept)
    shown = ", ".join(f"{s.schema}.{s.name}" for s in saved)
    return (
        f"Interlock took a snapshot of {shown} before running this statement "
        f"(restore: interlock undo {audit_seq})"
    )


def soft_drop_plan(targets: Sequence[str], audit_seq: int, saved: list[Saved]) -> Plan:
    """Move each target table into the trash instead of dropping it."""
    tables = yield from _resolve_tables(targets, missing_ok=False)
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
            "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute "  # noqa: S608 (names quoted by quote_ident/quote_literal)
            f"WHERE attrelid = {ql(copy)}::regclass AND attnum > 0 AND NOT attisdropped"
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
    "SELECT n.nspname, c.relname, obj_description(c.oid, 'pg_class'), "  # noqa: S608 (names quoted by quote_ident/quote_literal)
    "pg_total_relation_size(c.oid)::text FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    f"WHERE n.nspname IN ({ql(VAULT_SCHEMA)}, {ql(TRASH_SCHEMA)}) AND c.relkind IN ('r', 'p') "
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
