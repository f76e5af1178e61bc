"""The catalog queries a safeguard runs on the agent's connection, written so the agent
cannot steer them.

The agent's session chooses its search_path, and can create functions and operators in any
schema it owns: `to_regclass` shadowed by a function that returns NULL made a snapshot find
"nothing to snapshot" while the DROP ran. So every function, table and operator here is
qualified with `pg_catalog` (operators as `OPERATOR(pg_catalog.=)`), names reach the server
as quoted literals, and the plans run their copying with search_path fixed to `pg_catalog,
pg_temp` (`FIX_SEARCH_PATH`), restoring the agent's afterwards. Only the name of the target
itself is resolved with the agent's search_path — on purpose: that is the table the
statement will reach.
"""

from __future__ import annotations

from interlock.proxy.pg._messages import quote_literal as ql

__all__ = [
    "EQ",
    "FIX_SEARCH_PATH",
    "existing_sql",
    "quoted",
    "reach_sql",
    "resolve_sql",
    "restore_search_path",
]

EQ = "OPERATOR(pg_catalog.=)"
FIX_SEARCH_PATH = (
    "SELECT pg_catalog.current_setting('search_path'); "
    "SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', false)"
)
"""Two statements: the first row is the agent's search_path, to restore afterwards."""

# Which foreign keys carry an operation on to other tables' rows (ON DELETE/UPDATE CASCADE,
# SET NULL, SET DEFAULT; for TRUNCATE … CASCADE, every one).
_CARRIES = {
    "sql:TRUNCATE": "true",
    "sql:DELETE": "k.confdeltype",
    "sql:UPDATE": "k.confupdtype",
    "sql:MERGE": "k.confdeltype k.confupdtype",
}
_MAX_DEPTH = 16


def _split(target: str) -> tuple[str | None, str]:
    schema, dot, name = target.partition(".")
    return (schema, name) if dot else (None, target)


def quoted(name: str) -> str:
    """A name as a quoted identifier, for text that `to_regclass` parses."""
    return '"' + name.replace('"', '""') + '"'


def resolve_sql(target: str) -> str:
    """(schema, name, relkind, oid) of a target as the statement will reach it: through the
    agent's search_path, by `pg_catalog.to_regclass`."""
    schema, name = _split(target)
    qualified = quoted(name) if schema is None else f"{quoted(schema)}.{quoted(name)}"
    return (
        "SELECT n.nspname, c.relname, c.relkind, c.oid::pg_catalog.text "  # noqa: S608 (names are quoted literals)
        "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
        f"ON n.oid {EQ} c.relnamespace "
        f"WHERE c.oid {EQ} pg_catalog.to_regclass({ql(qualified)})"
    )


def existing_sql(target: str) -> str:
    """Any relation of that name the statement could reach (in its schema, or in a schema of
    the search path): a second, independent look before "nothing to save" is believed."""
    schema, name = _split(target)
    where = (
        f"n.nspname {EQ} {ql(schema)}"
        if schema is not None
        else f"n.nspname {EQ} ANY (pg_catalog.current_schemas(true))"
    )
    return (
        "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c "  # noqa: S608 (names are quoted literals)
        f"JOIN pg_catalog.pg_namespace n ON n.oid {EQ} c.relnamespace "
        f"WHERE c.relname {EQ} {ql(name)} AND {where}"
    )


def _carried(operation: str) -> str:
    columns = _CARRIES.get(operation)
    if columns is None:
        return "false"
    if columns == "true":
        return "true"
    return " OR ".join(
        f"{column} {EQ} {ql(kind)}" for column in columns.split() for kind in ("c", "n", "d")
    )


def reach_sql(oid: str, operation: str) -> str:
    """Every table an operation on table `oid` reaches besides it: inheritance children and
    partitions (which share its rows), and tables whose foreign keys carry the operation on
    (`TRUNCATE … CASCADE`, `ON DELETE CASCADE`), recursively; nearest first."""
    if not oid.isdigit():
        raise ValueError(f"not an oid: {oid!r}")
    children = (
        "SELECT i.inhparent AS parent, i.inhrelid AS child FROM pg_catalog.pg_inherits i"
        if operation != "sql:INSERT"
        else "SELECT 0::pg_catalog.oid AS parent, 0::pg_catalog.oid AS child WHERE false"
    )
    return (
        "WITH RECURSIVE reach(oid, depth) AS ("  # noqa: S608 (an integer and fixed text)
        f"SELECT {oid}::pg_catalog.oid, 0 UNION "
        f"SELECT e.child, r.depth OPERATOR(pg_catalog.+) 1 FROM reach r JOIN ("
        f"{children} UNION ALL "
        "SELECT k.confrelid, k.conrelid FROM pg_catalog.pg_constraint k "
        f"WHERE k.contype {EQ} 'f' AND ({_carried(operation)})"
        f") e ON e.parent {EQ} r.oid WHERE r.depth OPERATOR(pg_catalog.<) {_MAX_DEPTH}) "
        "SELECT n.nspname, c.relname, c.relkind, c.oid::pg_catalog.text "
        f"FROM reach r JOIN pg_catalog.pg_class c ON c.oid {EQ} r.oid "
        f"JOIN pg_catalog.pg_namespace n ON n.oid {EQ} c.relnamespace "
        "WHERE r.depth OPERATOR(pg_catalog.>) 0 "
        "GROUP BY n.nspname, c.relname, c.relkind, c.oid "
        "ORDER BY pg_catalog.min(r.depth), n.nspname, c.relname"
    )


def restore_search_path(path: str) -> str:
    return f"SELECT pg_catalog.set_config('search_path', {ql(path)}, false)"
