"""The table of statement types: for each parse-tree node type, what the statement itself
does. What is nested inside it (sub-queries, WITH queries, function calls, rule actions) is
found by the analyser's walk and combined afterwards; a handler only looks at its own node,
except for the few statements whose inner statement does *not* simply run (EXPLAIN without
ANALYZE, PREPARE, DO and function bodies), which say so with `scan=False`.

A node type missing from the table is `unknown`: fail closed rather than guess.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from interlock.classify import classify_nested
from interlock.classify.sql import _privileges as priv
from interlock.classify.sql._alter import alter_database, alter_domain, alter_sequence, alter_table
from interlock.classify.sql._common import (
    Entry,
    Handler,
    R,
    W,
    destroy,
    generic,
    listing,
    names_of,
    object_name,
    object_words,
    option_value,
    privilege,
    read,
    write,
)
from interlock.classify.sql._finding import Finding, combine, unknown
from interlock.classify.sql._fold import UNKNOWN, Env, as_bool, fold
from interlock.classify.sql._settings import Setting, judge_setting
from interlock.classify.sql._tree import (
    Node,
    iter_nodes,
    node_type,
    relation_name,
    string_list,
    substitute_params,
)
from interlock.classify.sql._triggers import create_trigger, rule
from interlock.classify.sql._where import Scope, row_scope
from interlock.model import most_severe

if TYPE_CHECKING:
    from interlock.classify.sql._analyser import Analyser

__all__ = ["STATEMENTS", "STATEMENT_TYPES", "Entry"]

_READ_ONLY = frozenset({"default_transaction_read_only", "transaction_read_only"})


# --- queries ----------------------------------------------------------------------------


def relations(root: Any) -> tuple[str, ...]:
    """Tables a statement reads, without descending into nested statements."""
    found: dict[str, None] = {}
    for kind, fields in iter_nodes(root, STATEMENT_TYPES):
        if kind == "RangeVar":
            name = relation_name(fields)
            if name:
                found.setdefault(name, None)
    return tuple(found)


def _cte_names(fields: Node) -> frozenset[str]:
    with_clause = fields.get("withClause") or {}
    names = set()
    for cte in with_clause.get("ctes") or []:
        typed = node_type(cte)
        if typed is not None:
            names.add(str(typed[1].get("ctename", "")))
    return frozenset(names)


def _select(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    ctes = _cte_names(fields)
    targets = tuple(
        t
        for t in relations({k: v for k, v in fields.items() if k != "withClause"})
        if t not in ctes
    )
    op = "VALUES" if fields.get("valuesLists") and not fields.get("targetList") else "SELECT"
    into = fields.get("intoClause")
    if into:
        table = relation_name(into.get("rel"))
        return write(op + " INTO", f"SELECT INTO creates table {table}", (table, *targets))
    if fields.get("lockingClause"):
        return write(
            op + " FOR UPDATE",
            f"SELECT … FOR UPDATE/SHARE locks the rows it reads of {listing(targets)}",
            targets,
        )
    what = f"reads {', '.join(targets)}" if targets else "reads no table"
    return read(op, f"{op} {what}", targets)


def _table_names(rel: Node | None, alias_holder: Node | None = None) -> frozenset[str]:
    rel = rel or {}
    names = {str(rel.get("relname", ""))}
    alias = (rel.get("alias") or {}).get("aliasname")
    if alias:
        names.add(str(alias))
    return frozenset(n for n in names if n)


def _copies_of(rel: Node, sources: Any, copies: frozenset[str]) -> frozenset[str]:
    """Names under which FROM/USING joins the changed table again (`USING orders o2`, or a
    WITH query that is all of it)."""
    out = set()
    for source in sources or []:
        typed = node_type(source)
        if typed is None or typed[0] != "RangeVar":
            continue
        name = typed[1].get("relname")
        if name == rel.get("relname") or name in copies:
            alias = (typed[1].get("alias") or {}).get("aliasname")
            out.add(str(alias or name))
    return frozenset(out)


def _whole_copies(rel: Node, with_clause: Any) -> frozenset[str]:
    """WITH queries that read every row of the changed table as it is (`WITH a AS (SELECT id
    FROM orders)`): a subquery over them is a subquery over the table."""
    out = set()
    for cte in (with_clause or {}).get("ctes") or []:
        typed = node_type(cte)
        query = node_type(typed[1].get("ctequery")) if typed else None
        if typed is None or query is None or query[0] != "SelectStmt":
            continue
        select = query[1]
        sources = select.get("fromClause") or []
        source = node_type(sources[0]) if len(sources) == 1 else None
        narrowing = ("limitCount", "limitOffset", "havingClause", "groupClause", "withClause")
        if source is None or source[0] != "RangeVar" or any(select.get(k) for k in narrowing):
            continue
        if select.get("op", "SETOP_NONE") != "SETOP_NONE":
            continue
        where = select.get("whereClause")
        if source[1].get("relname") == rel.get("relname") and (
            where is None or row_scope(where, frozenset()) is Scope.ALWAYS_TRUE
        ):
            out.add(str(typed[1].get("ctename", "")))
    return frozenset(out)


def _system_catalog(rel: Node) -> bool:
    """`pg_class`, `pg_catalog.pg_authid`, `information_schema.…`: PostgreSQL's own tables
    (an unqualified `pg_…` name resolves to pg_catalog first)."""
    schema = str(rel.get("schemaname") or "")
    name = str(rel.get("relname") or "")
    if schema in ("pg_catalog", "information_schema"):
        return True
    return not schema and name.startswith("pg_")


def _catalog_change(op: str, table: str) -> Finding:
    also = privilege(op, f"{op} on {table} can change roles and privileges directly", (table,))
    return destroy(
        op,
        f"{op} changes {table}, one of PostgreSQL's system catalogs, directly: roles, "
        "privileges and every object's definition live there",
        (table,),
        also=also,
    )


def _bounded_change(op: str, verb_phrase: str, fields: Node, an: Analyser) -> Finding:
    rel = fields.get("relation") or {}
    table = relation_name(rel)
    if _system_catalog(rel):
        return _catalog_change(op, table)
    copies = _whole_copies(rel, fields.get("withClause"))
    itself = _copies_of(rel, fields.get("usingClause") or fields.get("fromClause"), copies)
    scope = row_scope(fields.get("whereClause"), _table_names(rel), itself, copies)
    if an.in_firing and not scope.unbounded:
        return destroy(
            op,
            f"{op} {verb_phrase} rows of {table} each time it fires, chosen by the rows that "
            "fire it: a statement touching every row of those empties or rewrites "
            f"{table} as well",
            (table,),
        )
    if scope.unbounded:
        suffix = " (every row, or none)" if scope is Scope.ROW_INDEPENDENT else ""
        return destroy(
            op, f"{op} {scope.value} {verb_phrase} every row of {table}{suffix}", (table,)
        )
    if scope is Scope.NO_ROW:
        return write(op, f"{op} {scope.value} {verb_phrase} no row of {table}", (table,))
    return write(
        op, f"{op} {verb_phrase} the rows of {table} its WHERE clause selects", (table,), False
    )


def _update(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    return _bounded_change("UPDATE", "changes", fields, an)


def _delete(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    return _bounded_change("DELETE", "removes", fields, an)


def _insert(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    table = relation_name(fields.get("relation"))
    if _system_catalog(fields.get("relation") or {}):
        return _catalog_change("INSERT", table)
    conflict = fields.get("onConflictClause") or {}
    if conflict.get("action") == "ONCONFLICT_UPDATE":
        return write(
            "INSERT",
            f"INSERT … ON CONFLICT DO UPDATE adds or changes rows of {table}",
            (table,),
            False,
        )
    return write("INSERT", f"INSERT adds rows to {table}", (table,))


def _merge(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    table = relation_name(fields.get("relation"))
    if _system_catalog(fields.get("relation") or {}):
        return _catalog_change("MERGE", table)
    commands = {
        (node_type(c) or ("", {}))[1].get("commandType", "")
        for c in fields.get("mergeWhenClauses") or []
    }
    if "CMD_DELETE" in commands:
        return destroy("MERGE", f"MERGE … THEN DELETE removes matched rows of {table}", (table,))
    if "CMD_UPDATE" in commands and an.in_firing:
        return destroy(
            "MERGE",
            f"MERGE … THEN UPDATE rewrites the rows of {table} that the rows firing it match",
            (table,),
        )
    return write("MERGE", f"MERGE inserts or changes rows of {table}", (table,), False)


def _truncate(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    targets = names_of(fields.get("relations"))
    return destroy("TRUNCATE", f"TRUNCATE removes every row of {listing(targets)}", targets)


# --- DDL ------------------------------------------------------------------------------------


def _drop(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    words = object_words(str(fields.get("removeType", "")))
    targets = names_of(fields.get("objects"))
    cascade = (
        " and everything that depends on it" if fields.get("behavior") == "DROP_CASCADE" else ""
    )
    op = f"DROP {words}"
    also = None
    if words == "POLICY":
        also = privilege(op, f"{op} changes which rows each role may see or change", targets)
    return destroy(op, f"{op} removes {listing(targets)}{cascade}", targets, also=also)


def _drop_simple(op: str, key: str, many: bool = False) -> Handler:
    def handler(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
        targets = (
            names_of(fields.get(key)) if many else tuple(filter(None, [str(fields.get(key) or "")]))
        )
        if op in ("DROP ROLE", "DROP OWNED BY"):
            return priv.drop_role_like(op, targets)
        return destroy(op, f"{op} removes {listing(targets)}", targets)

    return handler


def _rename(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    words = object_words(str(fields.get("renameType", "")))
    target = relation_name(fields.get("relation")) or object_name(fields.get("object"))
    if not target and fields.get("subname"):
        target = str(fields.get("subname"))
    new = str(fields.get("newname", ""))
    if words == "ROLE":
        return priv.rename_role(target, new)
    return write(
        f"ALTER {words}",
        f"renames {words.lower()} {target} to {new}",
        tuple(filter(None, [target])),
    )


def _create_schema(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    name = str(fields.get("schemaname", ""))
    owner = priv.schema_owner(fields)
    if owner is not None:
        return owner
    return write("CREATE SCHEMA", f"CREATE SCHEMA creates {name}", tuple(filter(None, [name])))


def _create_table(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    table = relation_name(fields.get("relation"))
    return write("CREATE TABLE", f"CREATE TABLE creates {table}", (table,))


def _create_table_as(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    into = fields.get("into") or {}
    table = relation_name(into.get("rel"))
    op = (
        "CREATE MATERIALIZED VIEW"
        if fields.get("objtype") == "OBJECT_MATVIEW"
        else "CREATE TABLE AS"
    )
    return write(op, f"{op} creates {table} from a query", (table,))


def _create_function(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    from interlock.classify.sql._plpgsql import analyse_function

    kind = "PROCEDURE" if fields.get("is_procedure") else "FUNCTION"
    op = f"CREATE {kind}"
    names = string_list(fields.get("funcname"))
    name = ".".join(names)
    language, body = "sql", None
    for option in fields.get("options") or []:
        typed = node_type(option)
        if typed is None:
            continue
        opt = typed[1]
        if opt.get("defname") == "language":
            language = object_name(opt.get("arg")).lower()
        elif opt.get("defname") == "as":
            parts = string_list((node_type(opt.get("arg")) or ("", {}))[1].get("items"))
            body = parts[0] if parts else None
    own = write(op, f"{op} defines {kind.lower()} {name}", (name,))
    if priv.security_definer(fields.get("options")):
        own = privilege(
            op,
            f"{op} {name} is SECURITY DEFINER: whoever calls it acts with its owner's privileges",
            (name,),
        )
    returns = string_list((fields.get("returnType") or {}).get("names"))
    # A trigger function runs once per event; a function being replaced may already be
    # called by triggers in place (PL/pgSQL calls functions by name when it runs): both are
    # judged as firing, so a bounded UPDATE or DELETE in them has no bound.
    fires = bool(fields.get("replace")) or (
        bool(returns) and returns[-1] in ("trigger", "event_trigger")
    )
    with an.firing(fires):
        if fields.get("sql_body") is not None:
            inner = an.scan(fields.get("sql_body"), depth)
        elif language == "sql" and body is not None:
            inner = [an.nested_sql(body, depth)]
        elif language == "plpgsql" and body is not None:
            inner = analyse_function(text, body, an, depth)
        else:
            inner = [
                unknown(
                    op,
                    f"{op} {name} has a body in language {language}, which Interlock cannot "
                    "analyse",
                )
            ]
    body_finding = combine(Finding(R, op, "", (), True), inner)
    if names:
        an.functions[names[-1]] = body_finding
    if body_finding.verb.severity > own.verb.severity:
        return combine(
            own,
            [
                Finding(
                    body_finding.verb,
                    op,
                    f"the body of {name}: {body_finding.reason}",
                    (name, *body_finding.targets),
                    privilege=body_finding.privilege,
                )
            ],
        )
    return own


# --- settings, sessions, transactions ------------------------------------------------------


def _set(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    kind = str(fields.get("kind", ""))
    name = str(fields.get("name", ""))
    reset = kind in ("VAR_RESET", "VAR_RESET_ALL", "VAR_SET_DEFAULT")
    op = "RESET" if kind in ("VAR_RESET", "VAR_RESET_ALL") else "SET"
    if kind == "VAR_SET_MULTI":
        return _options_finding(op, fields.get("args"), f"{op} {name}", an)
    args = fields.get("args") or []
    value = fold(args[0], Env()) if len(args) == 1 else UNKNOWN
    if len(args) > 1:  # a list (search_path = a, b): its elements as text
        items = [fold(a, Env()) for a in args]
        value = UNKNOWN if UNKNOWN in items else ", ".join(str(i) for i in items)
    if kind == "VAR_RESET_ALL":
        name = "all"
    an.settings.append(Setting(name.lower(), value, reset))
    judged = judge_setting(name, value, reset=reset) if name != "all" else None
    if judged:
        return Finding(judged[0], op, f"{op} {name}: {judged[1]}", (name,))
    return read(op, f"{op} {name} only changes this session")


def _options_finding(op: str, options: Any, label: str, an: Analyser) -> Finding:
    found = None
    for option in options or []:
        typed = node_type(option)
        if typed is None:
            continue
        name = str(typed[1].get("defname", ""))
        value = fold(typed[1].get("arg"), Env())
        an.settings.append(Setting(name.lower(), value))
        judged = judge_setting(name, value)
        if judged and found is None:
            found = Finding(judged[0], op, f"{label}: {judged[1]}")
    return found if found is not None else read(op, f"{label} only changes this session")


_TRANSACTION_OPS = {
    "TRANS_STMT_BEGIN": "BEGIN",
    "TRANS_STMT_START": "START TRANSACTION",
    "TRANS_STMT_COMMIT": "COMMIT",
    "TRANS_STMT_ROLLBACK": "ROLLBACK",
    "TRANS_STMT_SAVEPOINT": "SAVEPOINT",
    "TRANS_STMT_RELEASE": "RELEASE SAVEPOINT",
    "TRANS_STMT_ROLLBACK_TO": "ROLLBACK TO SAVEPOINT",
    "TRANS_STMT_PREPARE": "PREPARE TRANSACTION",
    "TRANS_STMT_COMMIT_PREPARED": "COMMIT PREPARED",
    "TRANS_STMT_ROLLBACK_PREPARED": "ROLLBACK PREPARED",
}


def _transaction(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    op = _TRANSACTION_OPS.get(str(fields.get("kind", "")), "TRANSACTION")
    if op in ("PREPARE TRANSACTION", "COMMIT PREPARED", "ROLLBACK PREPARED"):
        return write(
            op, f"{op} ends a two-phase transaction whose statements Interlock did not see here"
        )
    return _options_finding(op, fields.get("options"), op, an)


def _alter_setting(op: str) -> Handler:
    def handler(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
        target = str(fields.get("dbname", "")) or object_name(
            {"RoleSpec": fields.get("role") or {}}
        )
        setstmt = fields.get("setstmt") or {}
        name = str(setstmt.get("name", ""))
        args = setstmt.get("args") or []
        value = fold(args[0], Env()) if len(args) == 1 else UNKNOWN
        reset = str(setstmt.get("kind", "")).startswith("VAR_RESET")
        target = target or "every role"
        judged = judge_setting(name, value, reset=reset)
        if judged:
            return Finding(judged[0], op, f"{op} {target} SET {name}: {judged[1]}", (target,))
        role = None
        if op == "ALTER ROLE":
            role = privilege(
                op,
                f"{op} changes {name or 'the settings'} for every session of role {target}",
                (target,),
            )
        if not reset and name.lower() in _READ_ONLY and as_bool(value) is True:
            return destroy(
                op,
                f"{op} {target} SET {name} = on: every later session of {target} refuses to write",
                (target,),
                also=role,
            )
        if role is not None:
            return role
        return write(op, f"{op} changes the default of {name} for {target}", (target,))

    return handler


def _alter_system(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    name = str((fields.get("setstmt") or {}).get("name", ""))
    return destroy(
        "ALTER SYSTEM",
        f"ALTER SYSTEM rewrites the server's configuration ({name}) for every session, "
        "and it survives restarts",
    )


# --- statements that carry other statements ----------------------------------------------


def _explain(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    analyze = False
    for option in fields.get("options") or []:
        typed = node_type(option)
        if typed and typed[1].get("defname") == "analyze":
            arg = typed[1].get("arg")
            analyze = arg is None or option_value(arg) is not False
    if not analyze:
        return read("EXPLAIN", "EXPLAIN only plans the statement; it does not run it")
    inner = an.statement(fields.get("query"), "", depth)
    own = read(
        "EXPLAIN ANALYZE", "EXPLAIN ANALYZE runs the statement and reports its plan", inner.targets
    )
    return combine(own, [inner])


def _prepare(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    name = str(fields.get("name", ""))
    inner = an.statement(fields.get("query"), "", depth)
    an.prepared[name] = inner
    an.prepared_queries[name] = fields.get("query")
    return replace(inner, operation="PREPARE", reason=f"PREPARE {name}: {inner.reason}")


def _execute(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    name = str(fields.get("name", ""))
    prepared = an.prepared.get(name)
    if prepared is None:
        return unknown(
            "EXECUTE",
            f"EXECUTE runs prepared statement {name}, which was not prepared in this input",
        )
    query = an.prepared_queries.get(name)
    arguments = list(fields.get("params") or [])
    if query is not None and arguments:
        # judged with its arguments: `WHERE a = coalesce($1, a)` executed with NULL
        bound = an.statement(substitute_params(query, arguments), "", depth)
        prepared = bound if bound.verb.severity > prepared.verb.severity else prepared
    return replace(prepared, operation="EXECUTE", reason=f"EXECUTE {name}: {prepared.reason}")


def _deallocate(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    name = fields.get("name")
    if name:
        an.prepared.pop(str(name), None)
    else:
        an.prepared.clear()
    return read("DEALLOCATE", "DEALLOCATE forgets a prepared statement")


def _do(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    from interlock.classify.sql._plpgsql import analyse_do

    language, body = "plpgsql", None
    for option in fields.get("args") or []:
        typed = node_type(option)
        if typed is None:
            continue
        if typed[1].get("defname") == "language":
            language = object_name(typed[1].get("arg")).lower()
        elif typed[1].get("defname") == "as":
            body = object_name(typed[1].get("arg"))
    if language != "plpgsql" or body is None:
        return unknown("DO", f"DO runs code in language {language}, which Interlock cannot analyse")
    inner = analyse_do(body, an, depth)
    return combine(read("DO", "DO runs a PL/pgSQL block that only reads"), inner)


def _call(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    call = fields.get("funccall") or {}
    names = string_list(call.get("funcname"))
    name = ".".join(names)
    defined = an.functions.get(names[-1]) if names else None
    if defined is not None:
        return replace(
            defined,
            operation="CALL",
            reason=f"CALL {name}, defined in this input: {defined.reason}",
        )
    return unknown("CALL", f"CALL runs procedure {name}, whose body Interlock cannot see", (name,))


def _copy(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    table = relation_name(fields.get("relation"))
    targets = tuple(filter(None, [table]))
    filename = fields.get("filename")
    is_from = bool(fields.get("is_from"))
    if fields.get("is_program"):
        shell = _shell_verdict(str(filename or ""), depth)
        return destroy(
            "COPY",
            f"COPY … {'FROM' if is_from else 'TO'} PROGRAM runs a shell command on the "
            f"database server: {str(filename)[:80]}{shell}",
            targets,
        )
    if filename is not None:
        if is_from:
            return unknown(
                "COPY", f"COPY FROM '{filename}' reads a file on the database server", targets
            )
        return destroy(
            "COPY", f"COPY TO '{filename}' overwrites a file on the database server", targets
        )
    if is_from:
        return write("COPY", f"COPY FROM STDIN adds rows to {table}", targets)
    return read("COPY", f"COPY TO STDOUT reads {table or 'a query'}", targets)


def _shell_verdict(program: str, depth: int) -> str:
    """What the shell classifier makes of a COPY … PROGRAM command, as a reason suffix."""
    try:
        actions = classify_nested("shell", program, depth)
    except Exception:  # the shell classifier failing to load must not hide the COPY
        return " (the shell classifier could not be consulted)"
    worst = most_severe(a.verb for a in actions)
    operations = ", ".join(sorted({a.operation for a in actions}))
    return f" (shell classifier: {worst.value}, {operations})"


def _vacuum(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    op = "VACUUM" if fields.get("is_vacuumcmd") else "ANALYZE"
    targets = tuple(
        relation_name((node_type(r) or ("", {}))[1].get("relation"))
        for r in fields.get("rels") or []
    )
    full = any(
        (node_type(o) or ("", {}))[1].get("defname") == "full" for o in fields.get("options") or []
    )
    what = "rewrites and locks" if full else "maintains"
    return write(
        op + (" FULL" if full else ""),
        f"{op} {what} {listing(targets) if targets else 'every table'}",
        targets,
    )


def _show(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    return read("SHOW", f"SHOW {fields.get('name', '')} reads a setting")


def _plain_read(op: str, what: str) -> Handler:
    return generic(op, R, what)


STATEMENTS: dict[str, Entry] = {
    # queries and data changes
    "SelectStmt": Entry(_select),
    "InsertStmt": Entry(_insert),
    "UpdateStmt": Entry(_update),
    "DeleteStmt": Entry(_delete),
    "MergeStmt": Entry(_merge),
    "TruncateStmt": Entry(_truncate),
    "CopyStmt": Entry(_copy),
    # removal
    "DropStmt": Entry(_drop),
    "DropdbStmt": Entry(_drop_simple("DROP DATABASE", "dbname")),
    "DropRoleStmt": Entry(_drop_simple("DROP ROLE", "roles", many=True)),
    "DropTableSpaceStmt": Entry(_drop_simple("DROP TABLESPACE", "tablespacename")),
    "DropOwnedStmt": Entry(_drop_simple("DROP OWNED BY", "roles", many=True)),
    "DropSubscriptionStmt": Entry(_drop_simple("DROP SUBSCRIPTION", "subname")),
    "DropUserMappingStmt": Entry(priv.user_mapping("DROP USER MAPPING")),
    # definitions
    "AlterTableStmt": Entry(alter_table),
    "AlterDomainStmt": Entry(alter_domain),
    "RenameStmt": Entry(_rename),
    "CreateStmt": Entry(_create_table),
    "CreateTableAsStmt": Entry(_create_table_as),
    "CreateFunctionStmt": Entry(_create_function),
    "CreateTrigStmt": Entry(create_trigger),
    "CreateEventTrigStmt": Entry(create_trigger),
    "RuleStmt": Entry(rule, scan=False),
    "ViewStmt": Entry(generic("CREATE VIEW")),
    "IndexStmt": Entry(generic("CREATE INDEX")),
    "CreateSchemaStmt": Entry(_create_schema),
    "CreateSeqStmt": Entry(generic("CREATE SEQUENCE")),
    "AlterSeqStmt": Entry(alter_sequence),
    "CreateExtensionStmt": Entry(generic("CREATE EXTENSION")),
    "AlterExtensionStmt": Entry(generic("ALTER EXTENSION")),
    "AlterExtensionContentsStmt": Entry(generic("ALTER EXTENSION")),
    "CreateDomainStmt": Entry(generic("CREATE DOMAIN")),
    "CompositeTypeStmt": Entry(generic("CREATE TYPE")),
    "CreateEnumStmt": Entry(generic("CREATE TYPE")),
    "CreateRangeStmt": Entry(generic("CREATE TYPE")),
    "AlterEnumStmt": Entry(generic("ALTER TYPE")),
    "AlterTypeStmt": Entry(generic("ALTER TYPE")),
    "DefineStmt": Entry(generic("CREATE")),
    "CommentStmt": Entry(generic("COMMENT")),
    "SecLabelStmt": Entry(priv.security_label),
    "CreateCastStmt": Entry(generic("CREATE CAST")),
    "CreateConversionStmt": Entry(generic("CREATE CONVERSION")),
    "CreateTransformStmt": Entry(generic("CREATE TRANSFORM")),
    "CreateOpClassStmt": Entry(generic("CREATE OPERATOR CLASS")),
    "CreateOpFamilyStmt": Entry(generic("CREATE OPERATOR FAMILY")),
    "AlterOpFamilyStmt": Entry(generic("ALTER OPERATOR FAMILY")),
    "AlterOperatorStmt": Entry(generic("ALTER OPERATOR")),
    "CreatePLangStmt": Entry(generic("CREATE LANGUAGE")),
    "CreateAmStmt": Entry(generic("CREATE ACCESS METHOD")),
    "CreateStatsStmt": Entry(generic("CREATE STATISTICS")),
    "AlterStatsStmt": Entry(generic("ALTER STATISTICS")),
    "AlterCollationStmt": Entry(generic("ALTER COLLATION")),
    "AlterTSDictionaryStmt": Entry(generic("ALTER TEXT SEARCH DICTIONARY")),
    "AlterTSConfigurationStmt": Entry(generic("ALTER TEXT SEARCH CONFIGURATION")),
    "AlterFunctionStmt": Entry(priv.alter_function),
    "AlterObjectSchemaStmt": Entry(generic("ALTER … SET SCHEMA")),
    "AlterOwnerStmt": Entry(priv.alter_owner),
    "AlterObjectDependsStmt": Entry(generic("ALTER … DEPENDS ON EXTENSION")),
    "AlterTableMoveAllStmt": Entry(generic("ALTER TABLE ALL IN TABLESPACE")),
    "AlterDefaultPrivilegesStmt": Entry(priv.alter_default_privileges),
    "CreatePolicyStmt": Entry(priv.policy_statement("CREATE POLICY")),
    "AlterPolicyStmt": Entry(priv.policy_statement("ALTER POLICY")),
    "CreateForeignServerStmt": Entry(generic("CREATE SERVER")),
    "AlterForeignServerStmt": Entry(generic("ALTER SERVER")),
    "CreateFdwStmt": Entry(generic("CREATE FOREIGN DATA WRAPPER")),
    "AlterFdwStmt": Entry(generic("ALTER FOREIGN DATA WRAPPER")),
    "CreateUserMappingStmt": Entry(priv.user_mapping("CREATE USER MAPPING")),
    "AlterUserMappingStmt": Entry(priv.user_mapping("ALTER USER MAPPING")),
    "ImportForeignSchemaStmt": Entry(generic("IMPORT FOREIGN SCHEMA")),
    "CreateForeignTableStmt": Entry(generic("CREATE FOREIGN TABLE")),
    "CreatePublicationStmt": Entry(generic("CREATE PUBLICATION")),
    "AlterPublicationStmt": Entry(generic("ALTER PUBLICATION")),
    "CreateSubscriptionStmt": Entry(generic("CREATE SUBSCRIPTION")),
    "AlterSubscriptionStmt": Entry(generic("ALTER SUBSCRIPTION")),
    "CreatedbStmt": Entry(generic("CREATE DATABASE")),
    "AlterDatabaseStmt": Entry(alter_database),
    "AlterDatabaseRefreshCollStmt": Entry(generic("ALTER DATABASE")),
    "CreateTableSpaceStmt": Entry(generic("CREATE TABLESPACE")),
    "AlterTableSpaceOptionsStmt": Entry(generic("ALTER TABLESPACE")),
    "AlterEventTrigStmt": Entry(generic("ALTER EVENT TRIGGER")),
    "ReassignOwnedStmt": Entry(priv.reassign_owned),
    # roles and privileges
    "GrantStmt": Entry(priv.grant),
    "GrantRoleStmt": Entry(priv.grant_role),
    "CreateRoleStmt": Entry(priv.create_role),
    "AlterRoleStmt": Entry(priv.alter_role),
    "AlterRoleSetStmt": Entry(_alter_setting("ALTER ROLE")),
    "AlterDatabaseSetStmt": Entry(_alter_setting("ALTER DATABASE")),
    "AlterSystemStmt": Entry(_alter_system),
    # maintenance
    "VacuumStmt": Entry(_vacuum),
    "ClusterStmt": Entry(generic("CLUSTER", W, "rewrites a table in index order, locking it")),
    "ReindexStmt": Entry(generic("REINDEX", W, "rebuilds indexes, locking them")),
    "CheckPointStmt": Entry(generic("CHECKPOINT", W, "forces a write of every dirty buffer")),
    "LockStmt": Entry(generic("LOCK", W, "locks tables until the transaction ends")),
    "RefreshMatViewStmt": Entry(generic("REFRESH MATERIALIZED VIEW")),
    "NotifyStmt": Entry(generic("NOTIFY", W, "sends a notification to listening sessions")),
    "LoadStmt": Entry(
        lambda f, a, t, d: unknown(
            "LOAD", f"LOAD loads shared library {f.get('filename', '')} into the server"
        )
    ),
    # sessions and transactions
    "VariableSetStmt": Entry(_set),
    "VariableShowStmt": Entry(_show),
    "TransactionStmt": Entry(_transaction),
    "ExplainStmt": Entry(_explain, scan=False),
    "PrepareStmt": Entry(_prepare, scan=False),
    "ExecuteStmt": Entry(_execute),
    "DeallocateStmt": Entry(_deallocate),
    "DoStmt": Entry(_do, scan=False),
    "CallStmt": Entry(_call),
    "DeclareCursorStmt": Entry(_plain_read("DECLARE CURSOR", "opens a cursor over a query")),
    "FetchStmt": Entry(_plain_read("FETCH", "reads rows from a cursor")),
    "ClosePortalStmt": Entry(_plain_read("CLOSE", "closes a cursor")),
    "ListenStmt": Entry(_plain_read("LISTEN", "subscribes to notifications")),
    "UnlistenStmt": Entry(_plain_read("UNLISTEN", "unsubscribes from notifications")),
    "DiscardStmt": Entry(_plain_read("DISCARD", "resets session state")),
    "ConstraintsSetStmt": Entry(
        _plain_read("SET CONSTRAINTS", "changes when constraints are checked")
    ),
    "ReturnStmt": Entry(_plain_read("RETURN", "returns a value")),
    "PLAssignStmt": Entry(_plain_read("ASSIGN", "assigns a variable")),
}

STATEMENT_TYPES: frozenset[str] = frozenset(STATEMENTS)
