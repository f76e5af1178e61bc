"""The table of statement types: for each parse-tree node type, what the statement itself
does. What is nested inside it (sub-queries, WITH queries, function calls, rule actions) is
found by the analyser's walk and combined afterwards; a handler only looks at its own node,
except for the few statements whose inner statement does *not* simply run (EXPLAIN without
ANALYZE, PREPARE, DO and function bodies), which say so with `scan=False`.

A node type missing from the table is `unknown`: fail closed rather than guess.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from interlock.classify import classify_nested
from interlock.classify.sql._finding import Finding, combine, unknown
from interlock.classify.sql._fold import UNKNOWN, Env, as_bool, fold
from interlock.classify.sql._settings import judge_setting
from interlock.classify.sql._tree import (
    Node,
    iter_nodes,
    node_type,
    qualified_name,
    relation_name,
    string_list,
)
from interlock.classify.sql._where import Scope, depends_on_row, row_scope
from interlock.model import Verb, most_severe

if TYPE_CHECKING:
    from interlock.classify.sql._analyser import Analyser

__all__ = ["STATEMENTS", "STATEMENT_TYPES", "Entry"]

Handler = Callable[[Node, "Analyser", str, int], Finding]


@dataclass(frozen=True, slots=True)
class Entry:
    handler: Handler
    scan: bool = True


R, W, D = Verb.READ, Verb.WRITE, Verb.DESTRUCTIVE


def _read(op: str, reason: str, targets: tuple[str, ...] = ()) -> Finding:
    return Finding(R, op, reason, targets, True)


def _write(op: str, reason: str, targets: tuple[str, ...] = (), reversible: bool = True) -> Finding:
    return Finding(W, op, reason, targets, reversible)


def _destroy(op: str, reason: str, targets: tuple[str, ...] = ()) -> Finding:
    return Finding(D, op, reason, targets, False)


_OBJECT_WORDS = {
    "MATVIEW": "MATERIALIZED VIEW",
    "FDW": "FOREIGN DATA WRAPPER",
    "FOREIGN_SERVER": "SERVER",
    "TSCONFIGURATION": "TEXT SEARCH CONFIGURATION",
    "TSDICTIONARY": "TEXT SEARCH DICTIONARY",
    "TSPARSER": "TEXT SEARCH PARSER",
    "TSTEMPLATE": "TEXT SEARCH TEMPLATE",
    "OPCLASS": "OPERATOR CLASS",
    "OPFAMILY": "OPERATOR FAMILY",
    "STATISTIC_EXT": "STATISTICS",
    "AMOP": "OPERATOR",
    "AMPROC": "FUNCTION",
    "TABCONSTRAINT": "CONSTRAINT",
    "DOMCONSTRAINT": "CONSTRAINT",
    "USER_MAPPING": "USER MAPPING",
    "ACCESS_METHOD": "ACCESS METHOD",
    "EVENT_TRIGGER": "EVENT TRIGGER",
    "LARGEOBJECT": "LARGE OBJECT",
    "PUBLICATION_REL": "PUBLICATION",
}


def object_words(objtype: str) -> str:
    """`OBJECT_MATVIEW` -> `MATERIALIZED VIEW`."""
    core = objtype.removeprefix("OBJECT_")
    return _OBJECT_WORDS.get(core, core.replace("_", " "))


def _object_name(node: Any) -> str:
    typed = node_type(node)
    if typed is None:
        return relation_name(node) if isinstance(node, dict) else ""
    kind, fields = typed
    if kind == "String":
        return str(fields.get("sval", ""))
    if kind == "List":
        return qualified_name(fields.get("items"))
    if kind == "ObjectWithArgs":
        return qualified_name(fields.get("objname"))
    if kind == "TypeName":
        return qualified_name(fields.get("names"))
    if kind == "RangeVar":
        return relation_name(fields)
    if kind == "RoleSpec":
        return (
            str(fields.get("rolename", ""))
            or fields.get("roletype", "").removeprefix("ROLESPEC_").lower()
        )
    if kind == "Integer":
        return str(fields.get("ival", 0))
    return ""


def _names(items: Any) -> tuple[str, ...]:
    return tuple(n for n in (_object_name(i) for i in items or ()) if n)


def _listing(targets: tuple[str, ...]) -> str:
    return ", ".join(targets) if targets else "its objects"


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
        return _write(op + " INTO", f"SELECT INTO creates table {table}", (table, *targets))
    if fields.get("lockingClause"):
        return _write(
            op + " FOR UPDATE",
            f"SELECT … FOR UPDATE/SHARE locks the rows it reads of {_listing(targets)}",
            targets,
        )
    what = f"reads {', '.join(targets)}" if targets else "reads no table"
    return _read(op, f"{op} {what}", targets)


def _table_names(rel: Node | None, alias_holder: Node | None = None) -> frozenset[str]:
    rel = rel or {}
    names = {str(rel.get("relname", ""))}
    alias = (rel.get("alias") or {}).get("aliasname")
    if alias:
        names.add(str(alias))
    return frozenset(n for n in names if n)


def _bounded_change(op: str, verb_phrase: str, fields: Node) -> Finding:
    rel = fields.get("relation") or {}
    table = relation_name(rel)
    scope = row_scope(fields.get("whereClause"), _table_names(rel))
    if scope.unbounded:
        suffix = " (every row, or none)" if scope is Scope.ROW_INDEPENDENT else ""
        return _destroy(
            op, f"{op} {scope.value} {verb_phrase} every row of {table}{suffix}", (table,)
        )
    if scope is Scope.NO_ROW:
        return _write(op, f"{op} {scope.value} {verb_phrase} no row of {table}", (table,))
    return _write(
        op, f"{op} {verb_phrase} the rows of {table} its WHERE clause selects", (table,), False
    )


def _update(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    return _bounded_change("UPDATE", "changes", fields)


def _delete(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    return _bounded_change("DELETE", "removes", fields)


def _insert(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    table = relation_name(fields.get("relation"))
    conflict = fields.get("onConflictClause") or {}
    if conflict.get("action") == "ONCONFLICT_UPDATE":
        return _write(
            "INSERT",
            f"INSERT … ON CONFLICT DO UPDATE adds or changes rows of {table}",
            (table,),
            False,
        )
    return _write("INSERT", f"INSERT adds rows to {table}", (table,))


def _merge(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    table = relation_name(fields.get("relation"))
    commands = {
        (node_type(c) or ("", {}))[1].get("commandType", "")
        for c in fields.get("mergeWhenClauses") or []
    }
    if "CMD_DELETE" in commands:
        return _destroy("MERGE", f"MERGE … THEN DELETE removes matched rows of {table}", (table,))
    return _write("MERGE", f"MERGE inserts or changes rows of {table}", (table,), False)


def _truncate(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    targets = _names(fields.get("relations"))
    return _destroy("TRUNCATE", f"TRUNCATE removes every row of {_listing(targets)}", targets)


# --- DDL ------------------------------------------------------------------------------------


def _drop(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    words = object_words(str(fields.get("removeType", "")))
    targets = _names(fields.get("objects"))
    cascade = (
        " and everything that depends on it" if fields.get("behavior") == "DROP_CASCADE" else ""
    )
    return _destroy(f"DROP {words}", f"DROP {words} removes {_listing(targets)}{cascade}", targets)


def _drop_simple(op: str, key: str, many: bool = False) -> Handler:
    def handler(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
        targets = (
            _names(fields.get(key)) if many else tuple(filter(None, [str(fields.get(key) or "")]))
        )
        what = "every object owned by " if op == "DROP OWNED BY" else ""
        return _destroy(op, f"{op} removes {what}{_listing(targets)}", targets)

    return handler


_DESTRUCTIVE_ALTER = {
    "AT_DropColumn": "drops column {name} and its data",
    "AT_DropConstraint": "drops constraint {name}",
}


def _alter_table(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    words = object_words(str(fields.get("objtype", "OBJECT_TABLE")))
    op = f"ALTER {words}"
    table = relation_name(fields.get("relation"))
    for cmd in fields.get("cmds") or []:
        typed = node_type(cmd)
        if typed is None:
            continue
        sub = typed[1]
        subtype = str(sub.get("subtype", ""))
        name = str(sub.get("name", ""))
        if subtype in _DESTRUCTIVE_ALTER:
            return _destroy(
                op, f"{op} {table} {_DESTRUCTIVE_ALTER[subtype].format(name=name)}", (table,)
            )
        if subtype == "AT_AlterColumnType":
            column = node_type(sub.get("def"))
            using = column[1].get("raw_default") if column else None
            if using is not None and not depends_on_row(using, frozenset({table, name})):
                return _destroy(
                    op,
                    f"{op} {table} retypes column {name} USING an expression that ignores its "
                    "old value, overwriting every row",
                    (table,),
                )
    return _write(op, f"{op} changes the definition of {table}", (table,))


def _alter_domain(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    name = qualified_name(fields.get("typeName"))
    if fields.get("subtype") == "X":
        return _destroy(
            "ALTER DOMAIN",
            f"ALTER DOMAIN {name} drops constraint {fields.get('name', '')}",
            (name,),
        )
    return _write("ALTER DOMAIN", f"ALTER DOMAIN changes domain {name}", (name,))


def _rename(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    words = object_words(str(fields.get("renameType", "")))
    target = relation_name(fields.get("relation")) or _object_name(fields.get("object"))
    if not target and fields.get("subname"):
        target = str(fields.get("subname"))
    new = fields.get("newname", "")
    return _write(
        f"ALTER {words}",
        f"renames {words.lower()} {target} to {new}",
        tuple(filter(None, [target])),
    )


def _generic(op: str, verb: Verb = W, what: str = "") -> Handler:
    def handler(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
        targets = _targets_of(fields)
        reason = f"{op} {what}".strip() if what else f"{op} changes {_listing(targets)}"
        if verb is R:
            return _read(op, reason, targets)
        return Finding(verb, op, reason, targets, verb is W)

    return handler


def _targets_of(fields: Node) -> tuple[str, ...]:
    """Best-effort names for statements without a dedicated handler."""
    for key in ("relation", "into", "view", "sequence"):
        value = fields.get(key)
        if isinstance(value, dict):
            rel = value.get("rel") if "rel" in value else value
            name = relation_name(rel)
            if name:
                return (name,)
    for key in ("relations", "objects"):
        if fields.get(key):
            return _names(fields.get(key))
    for key in ("object",):
        name = _object_name(fields.get(key))
        if name:
            return (name,)
    for key in (
        "defnames",
        "funcname",
        "typeName",
        "domainname",
        "extname",
        "servername",
        "schemaname",
        "dbname",
        "subname",
        "pubname",
        "trigname",
        "policy_name",
        "rulename",
        "tablespacename",
        "fdwname",
        "idxname",
        "conditionname",
        "portalname",
        "name",
    ):
        value = fields.get(key)
        if isinstance(value, str) and value:
            return (value,)
        if isinstance(value, list):
            name = qualified_name(value)
            if name:
                return (name,)
        if isinstance(value, dict) and value.get("names"):
            return (qualified_name(value["names"]),)
    return ()


def _create_table(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    table = relation_name(fields.get("relation"))
    return _write("CREATE TABLE", f"CREATE TABLE creates {table}", (table,))


def _create_table_as(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    into = fields.get("into") or {}
    table = relation_name(into.get("rel"))
    op = (
        "CREATE MATERIALIZED VIEW"
        if fields.get("objtype") == "OBJECT_MATVIEW"
        else "CREATE TABLE AS"
    )
    return _write(op, f"{op} creates {table} from a query", (table,))


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
            language = _object_name(opt.get("arg")).lower()
        elif opt.get("defname") == "as":
            parts = string_list((node_type(opt.get("arg")) or ("", {}))[1].get("items"))
            body = parts[0] if parts else None
    own = _write(op, f"{op} defines {kind.lower()} {name}", (name,))
    if fields.get("sql_body") is not None:
        inner = an.scan(fields.get("sql_body"), depth)
    elif language == "sql" and body is not None:
        inner = [an.nested_sql(body, depth)]
    elif language == "plpgsql" and body is not None:
        inner = analyse_function(text, body, an, depth)
    else:
        inner = [
            unknown(
                op, f"{op} {name} has a body in language {language}, which Interlock cannot analyse"
            )
        ]
    body_finding = combine(Finding(R, op, "", (), True), inner)
    if names:
        an.functions[names[-1]] = body_finding
    if body_finding.verb.severity > W.severity:
        return Finding(
            body_finding.verb,
            op,
            f"the body of {name}: {body_finding.reason}",
            (name, *body_finding.targets),
        )
    return own


def _create_trigger(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    op = "CREATE EVENT TRIGGER" if "eventname" in fields else "CREATE TRIGGER"
    target = relation_name(fields.get("relation")) or str(fields.get("trigname", ""))
    names = string_list(fields.get("funcname"))
    own = _write(op, f"{op} runs {'.'.join(names)}() on future changes to {target}", (target,))
    defined = an.functions.get(names[-1]) if names else None
    if defined is not None and defined.verb.severity > W.severity:
        return Finding(
            defined.verb, op, f"{op} attaches {names[-1]}(), whose body {defined.reason}", (target,)
        )
    return own


def _rule(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    table = relation_name(fields.get("relation"))
    event = str(fields.get("event", "")).removeprefix("CMD_")
    return _write("CREATE RULE", f"CREATE RULE rewrites every {event} on {table}", (table,))


# --- roles and privileges ------------------------------------------------------------------

_POWERFUL_ROLES = frozenset(
    {
        "pg_execute_server_program",
        "pg_write_server_files",
        "pg_read_server_files",
        "pg_write_all_data",
        "pg_signal_backend",
        "pg_checkpoint",
        "pg_create_subscription",
        "pg_signal_autovacuum_worker",
    }
)
_POWERFUL_OPTIONS = {"superuser", "bypassrls", "replication"}


def _role_options(op: str, role: str, options: Any) -> Finding:
    for option in options or []:
        typed = node_type(option)
        if typed is None:
            continue
        opt = typed[1]
        name = opt.get("defname", "")
        value = True if opt.get("arg") is None else _option_value(opt.get("arg"))
        if name in _POWERFUL_OPTIONS and value is not False:
            return _destroy(op, f"{op} gives role {role} the {name.upper()} attribute", (role,))
        if name in ("rolemembers", "addroleto"):
            granted = set(_names(_list_of(opt.get("arg"))))
            if granted & _POWERFUL_ROLES:
                return _destroy(
                    op,
                    f"{op} makes {role} a member of {', '.join(sorted(granted & _POWERFUL_ROLES))}",
                    (role,),
                )
    return _write(op, f"{op} changes role {role}", (role,))


def _list_of(node: Any) -> list[Any]:
    typed = node_type(node)
    if typed is not None and typed[0] == "List":
        return list(typed[1].get("items") or [])
    return [node] if node is not None else []


def _option_value(node: Any) -> object:
    typed = node_type(node)
    if typed is None:
        return UNKNOWN
    if typed[0] == "Boolean":
        return bool(typed[1].get("boolval", False))
    if typed[0] == "Integer":
        return bool(typed[1].get("ival", 0))
    if typed[0] == "String":
        return as_bool(typed[1].get("sval", ""))
    return as_bool(fold(node, Env()))


def _create_role(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    role = str(fields.get("role", ""))
    kind = str(fields.get("stmt_type", "ROLESTMT_ROLE")).removeprefix("ROLESTMT_")
    return _role_options(f"CREATE {kind}", role, fields.get("options"))


def _alter_role(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    role = _object_name({"RoleSpec": fields.get("role") or {}})
    return _role_options("ALTER ROLE", role, fields.get("options"))


def _grant(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    op = "GRANT" if fields.get("is_grant") else "REVOKE"
    targets = _names(fields.get("objects"))
    grantees = ", ".join(_names(fields.get("grantees")))
    words = object_words(str(fields.get("objtype", ""))).lower()
    return _write(op, f"{op} changes who may use {words} {_listing(targets)} ({grantees})", targets)


def _grant_role(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    op = "GRANT" if fields.get("is_grant") else "REVOKE"
    granted = {
        str((node_type(r) or ("", {}))[1].get("priv_name", ""))
        for r in fields.get("granted_roles") or []
    }
    grantees = _names(fields.get("grantee_roles"))
    powerful = granted & _POWERFUL_ROLES
    if op == "GRANT" and powerful:
        return _destroy(
            op,
            f"GRANT gives {', '.join(grantees)} {', '.join(sorted(powerful))}, "
            "which reaches outside the database",
            grantees,
        )
    return _write(op, f"{op} changes membership of role {', '.join(sorted(granted))}", grantees)


# --- settings, sessions, transactions ------------------------------------------------------


def _set(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    kind = str(fields.get("kind", ""))
    name = str(fields.get("name", ""))
    reset = kind in ("VAR_RESET", "VAR_RESET_ALL", "VAR_SET_DEFAULT")
    op = "RESET" if kind in ("VAR_RESET", "VAR_RESET_ALL") else "SET"
    if kind == "VAR_SET_MULTI":
        return _options_finding(op, fields.get("args"), f"{op} {name}")
    args = fields.get("args") or []
    value = fold(args[0], Env()) if len(args) == 1 else UNKNOWN
    if kind == "VAR_RESET_ALL":
        name = "all"
    judged = judge_setting(name, value, reset=reset) if name != "all" else None
    if judged:
        return Finding(judged[0], op, f"{op} {name}: {judged[1]}", (name,))
    return _read(op, f"{op} {name} only changes this session")


def _options_finding(op: str, options: Any, label: str) -> Finding:
    for option in options or []:
        typed = node_type(option)
        if typed is None:
            continue
        name = str(typed[1].get("defname", ""))
        judged = judge_setting(name, fold(typed[1].get("arg"), Env()))
        if judged:
            return Finding(judged[0], op, f"{label}: {judged[1]}")
    return _read(op, f"{label} only changes this session")


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
        return _write(
            op, f"{op} ends a two-phase transaction whose statements Interlock did not see here"
        )
    return _options_finding(op, fields.get("options"), op)


def _alter_setting(op: str) -> Handler:
    def handler(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
        target = str(fields.get("dbname", "")) or _object_name(
            {"RoleSpec": fields.get("role") or {}}
        )
        setstmt = fields.get("setstmt") or {}
        name = str(setstmt.get("name", ""))
        args = setstmt.get("args") or []
        value = fold(args[0], Env()) if len(args) == 1 else UNKNOWN
        reset = str(setstmt.get("kind", "")).startswith("VAR_RESET")
        judged = judge_setting(name, value, reset=reset)
        if judged:
            return Finding(judged[0], op, f"{op} {target} SET {name}: {judged[1]}", (target,))
        return _write(op, f"{op} changes the default of {name} for {target}", (target,))

    return handler


def _alter_system(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    name = str((fields.get("setstmt") or {}).get("name", ""))
    return _destroy(
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
            analyze = arg is None or _option_value(arg) is not False
    if not analyze:
        return _read("EXPLAIN", "EXPLAIN only plans the statement; it does not run it")
    inner = an.statement(fields.get("query"), "", depth)
    own = _read(
        "EXPLAIN ANALYZE", "EXPLAIN ANALYZE runs the statement and reports its plan", inner.targets
    )
    return combine(own, [inner])


def _prepare(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    name = str(fields.get("name", ""))
    inner = an.statement(fields.get("query"), "", depth)
    an.prepared[name] = inner
    return Finding(
        inner.verb, "PREPARE", f"PREPARE {name}: {inner.reason}", inner.targets, inner.reversible
    )


def _execute(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    name = str(fields.get("name", ""))
    prepared = an.prepared.get(name)
    if prepared is None:
        return unknown(
            "EXECUTE",
            f"EXECUTE runs prepared statement {name}, which was not prepared in this input",
        )
    return Finding(
        prepared.verb,
        "EXECUTE",
        f"EXECUTE {name}: {prepared.reason}",
        prepared.targets,
        prepared.reversible,
    )


def _deallocate(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    name = fields.get("name")
    if name:
        an.prepared.pop(str(name), None)
    else:
        an.prepared.clear()
    return _read("DEALLOCATE", "DEALLOCATE forgets a prepared statement")


def _do(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    from interlock.classify.sql._plpgsql import analyse_do

    language, body = "plpgsql", None
    for option in fields.get("args") or []:
        typed = node_type(option)
        if typed is None:
            continue
        if typed[1].get("defname") == "language":
            language = _object_name(typed[1].get("arg")).lower()
        elif typed[1].get("defname") == "as":
            body = _object_name(typed[1].get("arg"))
    if language != "plpgsql" or body is None:
        return unknown("DO", f"DO runs code in language {language}, which Interlock cannot analyse")
    inner = analyse_do(body, an, depth)
    return combine(_read("DO", "DO runs a PL/pgSQL block that only reads"), inner)


def _call(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    call = fields.get("funccall") or {}
    names = string_list(call.get("funcname"))
    name = ".".join(names)
    defined = an.functions.get(names[-1]) if names else None
    if defined is not None:
        return Finding(
            defined.verb,
            "CALL",
            f"CALL {name}, defined in this input: {defined.reason}",
            defined.targets,
            defined.reversible,
        )
    return unknown("CALL", f"CALL runs procedure {name}, whose body Interlock cannot see", (name,))


def _copy(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    table = relation_name(fields.get("relation"))
    targets = tuple(filter(None, [table]))
    filename = fields.get("filename")
    is_from = bool(fields.get("is_from"))
    if fields.get("is_program"):
        shell = _shell_verdict(str(filename or ""), depth)
        return _destroy(
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
        return _destroy(
            "COPY", f"COPY TO '{filename}' overwrites a file on the database server", targets
        )
    if is_from:
        return _write("COPY", f"COPY FROM STDIN adds rows to {table}", targets)
    return _read("COPY", f"COPY TO STDOUT reads {table or 'a query'}", targets)


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
    return _write(
        op + (" FULL" if full else ""),
        f"{op} {what} {_listing(targets) if targets else 'every table'}",
        targets,
    )


def _show(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    return _read("SHOW", f"SHOW {fields.get('name', '')} reads a setting")


def _plain_read(op: str, what: str) -> Handler:
    return _generic(op, R, what)


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
    "DropUserMappingStmt": Entry(_drop_simple("DROP USER MAPPING", "servername")),
    # definitions
    "AlterTableStmt": Entry(_alter_table),
    "AlterDomainStmt": Entry(_alter_domain),
    "RenameStmt": Entry(_rename),
    "CreateStmt": Entry(_create_table),
    "CreateTableAsStmt": Entry(_create_table_as),
    "CreateFunctionStmt": Entry(_create_function),
    "CreateTrigStmt": Entry(_create_trigger),
    "CreateEventTrigStmt": Entry(_create_trigger),
    "RuleStmt": Entry(_rule),
    "ViewStmt": Entry(_generic("CREATE VIEW")),
    "IndexStmt": Entry(_generic("CREATE INDEX")),
    "CreateSchemaStmt": Entry(_generic("CREATE SCHEMA")),
    "CreateSeqStmt": Entry(_generic("CREATE SEQUENCE")),
    "AlterSeqStmt": Entry(_generic("ALTER SEQUENCE")),
    "CreateExtensionStmt": Entry(_generic("CREATE EXTENSION")),
    "AlterExtensionStmt": Entry(_generic("ALTER EXTENSION")),
    "AlterExtensionContentsStmt": Entry(_generic("ALTER EXTENSION")),
    "CreateDomainStmt": Entry(_generic("CREATE DOMAIN")),
    "CompositeTypeStmt": Entry(_generic("CREATE TYPE")),
    "CreateEnumStmt": Entry(_generic("CREATE TYPE")),
    "CreateRangeStmt": Entry(_generic("CREATE TYPE")),
    "AlterEnumStmt": Entry(_generic("ALTER TYPE")),
    "AlterTypeStmt": Entry(_generic("ALTER TYPE")),
    "DefineStmt": Entry(_generic("CREATE")),
    "CommentStmt": Entry(_generic("COMMENT")),
    "SecLabelStmt": Entry(_generic("SECURITY LABEL")),
    "CreateCastStmt": Entry(_generic("CREATE CAST")),
    "CreateConversionStmt": Entry(_generic("CREATE CONVERSION")),
    "CreateTransformStmt": Entry(_generic("CREATE TRANSFORM")),
    "CreateOpClassStmt": Entry(_generic("CREATE OPERATOR CLASS")),
    "CreateOpFamilyStmt": Entry(_generic("CREATE OPERATOR FAMILY")),
    "AlterOpFamilyStmt": Entry(_generic("ALTER OPERATOR FAMILY")),
    "AlterOperatorStmt": Entry(_generic("ALTER OPERATOR")),
    "CreatePLangStmt": Entry(_generic("CREATE LANGUAGE")),
    "CreateAmStmt": Entry(_generic("CREATE ACCESS METHOD")),
    "CreateStatsStmt": Entry(_generic("CREATE STATISTICS")),
    "AlterStatsStmt": Entry(_generic("ALTER STATISTICS")),
    "AlterCollationStmt": Entry(_generic("ALTER COLLATION")),
    "AlterTSDictionaryStmt": Entry(_generic("ALTER TEXT SEARCH DICTIONARY")),
    "AlterTSConfigurationStmt": Entry(_generic("ALTER TEXT SEARCH CONFIGURATION")),
    "AlterFunctionStmt": Entry(_generic("ALTER FUNCTION")),
    "AlterObjectSchemaStmt": Entry(_generic("ALTER … SET SCHEMA")),
    "AlterOwnerStmt": Entry(_generic("ALTER … OWNER TO")),
    "AlterObjectDependsStmt": Entry(_generic("ALTER … DEPENDS ON EXTENSION")),
    "AlterTableMoveAllStmt": Entry(_generic("ALTER TABLE ALL IN TABLESPACE")),
    "AlterDefaultPrivilegesStmt": Entry(_generic("ALTER DEFAULT PRIVILEGES")),
    "CreatePolicyStmt": Entry(_generic("CREATE POLICY")),
    "AlterPolicyStmt": Entry(_generic("ALTER POLICY")),
    "CreateForeignServerStmt": Entry(_generic("CREATE SERVER")),
    "AlterForeignServerStmt": Entry(_generic("ALTER SERVER")),
    "CreateFdwStmt": Entry(_generic("CREATE FOREIGN DATA WRAPPER")),
    "AlterFdwStmt": Entry(_generic("ALTER FOREIGN DATA WRAPPER")),
    "CreateUserMappingStmt": Entry(_generic("CREATE USER MAPPING")),
    "AlterUserMappingStmt": Entry(_generic("ALTER USER MAPPING")),
    "ImportForeignSchemaStmt": Entry(_generic("IMPORT FOREIGN SCHEMA")),
    "CreateForeignTableStmt": Entry(_generic("CREATE FOREIGN TABLE")),
    "CreatePublicationStmt": Entry(_generic("CREATE PUBLICATION")),
    "AlterPublicationStmt": Entry(_generic("ALTER PUBLICATION")),
    "CreateSubscriptionStmt": Entry(_generic("CREATE SUBSCRIPTION")),
    "AlterSubscriptionStmt": Entry(_generic("ALTER SUBSCRIPTION")),
    "CreatedbStmt": Entry(_generic("CREATE DATABASE")),
    "AlterDatabaseStmt": Entry(_generic("ALTER DATABASE")),
    "AlterDatabaseRefreshCollStmt": Entry(_generic("ALTER DATABASE")),
    "CreateTableSpaceStmt": Entry(_generic("CREATE TABLESPACE")),
    "AlterTableSpaceOptionsStmt": Entry(_generic("ALTER TABLESPACE")),
    "AlterEventTrigStmt": Entry(_generic("ALTER EVENT TRIGGER")),
    "ReassignOwnedStmt": Entry(_generic("REASSIGN OWNED")),
    # roles and privileges
    "GrantStmt": Entry(_grant),
    "GrantRoleStmt": Entry(_grant_role),
    "CreateRoleStmt": Entry(_create_role),
    "AlterRoleStmt": Entry(_alter_role),
    "AlterRoleSetStmt": Entry(_alter_setting("ALTER ROLE")),
    "AlterDatabaseSetStmt": Entry(_alter_setting("ALTER DATABASE")),
    "AlterSystemStmt": Entry(_alter_system),
    # maintenance
    "VacuumStmt": Entry(_vacuum),
    "ClusterStmt": Entry(_generic("CLUSTER", W, "rewrites a table in index order, locking it")),
    "ReindexStmt": Entry(_generic("REINDEX", W, "rebuilds indexes, locking them")),
    "CheckPointStmt": Entry(_generic("CHECKPOINT", W, "forces a write of every dirty buffer")),
    "LockStmt": Entry(_generic("LOCK", W, "locks tables until the transaction ends")),
    "RefreshMatViewStmt": Entry(_generic("REFRESH MATERIALIZED VIEW")),
    "NotifyStmt": Entry(_generic("NOTIFY", W, "sends a notification to listening sessions")),
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
