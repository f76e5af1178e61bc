"""Blast radius: how much a held statement would reach, measured from the catalogue before
the human is asked.

For the tables a held DROP TABLE, TRUNCATE, DELETE or UPDATE names, one catalogue query each
gives the planner's row estimate (`pg_class.reltuples`) and the size on disk
(`pg_total_relation_size`); a table never analysed (no estimate) that is small is counted
exactly. The queries run on the agent's own connection, only when it is idle outside a
transaction (an error can then abort nothing of the agent's), with every function and
operator qualified with `pg_catalog` (see `_catalog`). A measurement that fails is simply
absent: the page then says the blast radius is unknown.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from interlock.model import Action
from interlock.proxy.pg._catalog import EQ, quoted
from interlock.proxy.pg._messages import quote_ident
from interlock.proxy.pg._messages import quote_literal as ql
from interlock.proxy.pg._results import Plan

MEASURED_OPERATIONS = frozenset({"sql:DROP TABLE", "sql:TRUNCATE", "sql:DELETE", "sql:UPDATE"})
MAX_TABLES = 16
COUNT_BELOW_BYTES = 8 * 1024 * 1024  # count rows exactly only in a table this small


def blast_targets(actions: Sequence[Action]) -> tuple[str, ...]:
    """The tables worth measuring: those the measured operations name, at most 16."""
    found = [t for a in actions if a.operation in MEASURED_OPERATIONS for t in a.targets]
    return tuple(dict.fromkeys(found))[:MAX_TABLES]


def size_sql(target: str) -> str:
    """(schema, name, reltuples, total bytes, heap bytes) of the table `target` reaches."""
    schema, dot, name = target.partition(".")
    qualified = f"{quoted(schema)}.{quoted(name)}" if dot else quoted(target)
    return (
        "SELECT n.nspname, c.relname, c.reltuples::pg_catalog.int8::pg_catalog.text, "  # noqa: S608 (names are quoted literals)
        "pg_catalog.pg_total_relation_size(c.oid)::pg_catalog.text, "
        "pg_catalog.pg_relation_size(c.oid)::pg_catalog.text "
        "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
        f"ON n.oid {EQ} c.relnamespace "
        f"WHERE c.oid {EQ} pg_catalog.to_regclass({ql(qualified)}) "
        "AND c.relkind IN ('r', 'p', 'm')"
    )


def blast_plan(targets: Sequence[str]) -> Plan:
    """Measure each target; returns the measurements as JSON (a list of objects)."""
    measured: list[dict[str, object]] = []
    for target in targets:
        if "\x00" in target:
            continue
        result = yield size_sql(target)
        if not result.ok or not result.rows:
            continue
        schema, name, tuples, total, heap = (v or "" for v in result.rows[0])
        rows: int | None = int(tuples) if tuples.lstrip("-").isdigit() else None
        exact = False
        if (rows is None or rows < 0) and heap.isdigit() and int(heap) <= COUNT_BELOW_BYTES:
            counted = yield (
                f"SELECT pg_catalog.count(*) FROM {quote_ident(schema)}.{quote_ident(name)}"  # noqa: S608 (quoted identifiers)
            )
            rows, exact = None, False
            if counted.ok and counted.rows and (counted.rows[0][0] or "").isdigit():
                rows, exact = int(counted.rows[0][0] or 0), True
        measured.append(
            {
                "table": f"{schema}.{name}",
                "rows": rows if rows is not None and rows >= 0 else None,
                "exact": exact,
                "bytes": int(total) if total.isdigit() else None,
            }
        )
    return json.dumps(measured)
