"""PL/pgSQL bodies (DO blocks, CREATE FUNCTION/PROCEDURE … LANGUAGE plpgsql).

The body is parsed by PostgreSQL's own PL/pgSQL parser (`pgparse.parse_pgsql`), which
hands back every embedded SQL statement and expression as text. Each is classified as SQL
one level deeper. EXECUTE (and FOR … IN EXECUTE, RETURN QUERY EXECUTE, OPEN … FOR EXECUTE)
runs a string built at run time: when the string folds to constants it is classified like
any SQL; otherwise the block is `unknown`.

Constant propagation through variables is flow-insensitive and over-approximate: a variable
declared in the block and only ever assigned with `:=` may hold any of the constant values
assigned to it (`q := 'DROP TABLE ' || 'x'; EXECUTE q;` is seen). A variable assigned by
SELECT INTO, a loop, GET DIAGNOSTICS, a parameter, or anything not constant is unknown.
"""

from __future__ import annotations

from itertools import product
from typing import TYPE_CHECKING, Any

import pgparse

from interlock.classify.sql._finding import Finding, unknown
from interlock.classify.sql._fold import UNKNOWN, Env, fold
from interlock.classify.sql._tree import Node, iter_nodes, node_type, string_list

if TYPE_CHECKING:
    from interlock.classify.sql._analyser import Analyser

__all__ = ["analyse_do", "analyse_function"]

_DYNAMIC = frozenset(
    {
        ("PLpgSQL_stmt_dynexecute", "query"),
        ("PLpgSQL_stmt_dynfors", "query"),
        ("PLpgSQL_stmt_return_query", "dynquery"),
        ("PLpgSQL_stmt_open", "dynquery"),
    }
)
_MAX_VALUES = 8
_MAX_COMBINATIONS = 32
_MODE_DEFAULT, _MODE_EXPR = 0, 2


def analyse_do(body: str, an: Analyser, depth: int) -> list[Finding]:
    """Findings for the statements of a DO block's body."""
    tag = "interlock"
    while f"${tag}$" in body:
        tag += "_"
    text = f"CREATE FUNCTION interlock_do() RETURNS void LANGUAGE plpgsql AS ${tag}${body}${tag}$"
    return _analyse(text, "DO", an, depth)


def analyse_function(text: str, body: str, an: Analyser, depth: int) -> list[Finding]:
    """Findings for a CREATE FUNCTION … LANGUAGE plpgsql statement (its own text)."""
    if not text.strip():
        tag = "interlock"
        while f"${tag}$" in body:
            tag += "_"
        text = (
            f"CREATE FUNCTION interlock_fn() RETURNS void LANGUAGE plpgsql AS ${tag}${body}${tag}$"
        )
    return _analyse(text, "CREATE FUNCTION", an, depth)


def _analyse(text: str, op: str, an: Analyser, depth: int) -> list[Finding]:
    try:
        functions = pgparse.parse_pgsql(text)
    except pgparse.PGQueryError as exc:
        return [
            unknown(op, f"the PL/pgSQL body does not parse ({exc.args[0] if exc.args else exc})")
        ]
    findings: list[Finding] = []
    for function in functions:
        typed = node_type(function)
        if typed is None:
            return [unknown(op, "the PL/pgSQL parser returned something unexpected")]
        fields = typed[1]
        variables = _constant_variables(fields)
        findings.extend(_expressions(fields.get("action"), variables, op, an, depth))
        findings.extend(_expressions(fields.get("datums"), variables, op, an, depth))
    return findings


def _expressions(
    root: Any, variables: dict[str, list[object]], op: str, an: Analyser, depth: int
) -> list[Finding]:
    findings: list[Finding] = []
    stack: list[tuple[Any, str, str]] = [(root, "", "")]
    while stack:
        item, parent, key = stack.pop()
        if isinstance(item, list):
            stack.extend((child, parent, key) for child in reversed(item))
            continue
        typed = node_type(item)
        if typed is None:
            if isinstance(item, dict):
                stack.extend((v, parent, k) for k, v in reversed(item.items()))
            continue
        kind, fields = typed
        if kind == "PLpgSQL_expr":
            query = str(fields.get("query", ""))
            mode = int(fields.get("parseMode", 0))
            if (parent, key) in _DYNAMIC:
                findings.extend(_dynamic(query, variables, op, an, depth))
            elif mode == _MODE_DEFAULT:
                findings.append(an.nested_sql(query, depth))
            elif mode == _MODE_EXPR:
                findings.append(an.nested_sql("SELECT " + query, depth))
            else:
                findings.append(an.nested_sql("SELECT " + _assigned_expression(query), depth))
            continue
        stack.extend((v, kind, k) for k, v in reversed(fields.items()))
    return findings


def _assigned_expression(query: str) -> str:
    """`x := expr` (or `x = expr`) -> `expr`."""
    for operator in (":=", "="):
        index = query.find(operator)
        if index >= 0:
            return query[index + len(operator) :]
    return query


def _expression_node(expression: str) -> Any:
    """The parse tree of a PL/pgSQL expression, or None."""
    try:
        parsed = pgparse.parse("SELECT " + expression)
    except pgparse.PGQueryError:
        return None
    if len(parsed) != 1:
        return None
    select = node_type(parsed[0].get("stmt"))
    if select is None or select[0] != "SelectStmt" or select[1].get("fromClause"):
        return None
    targets = select[1].get("targetList") or []
    if len(targets) != 1:
        return None
    target = node_type(targets[0])
    return target[1].get("val") if target else None


def _possible_values(node: Any, variables: dict[str, list[object]]) -> list[object]:
    """Every value `node` may take given the possible values of the variables it uses."""
    used = sorted(
        {
            names[0].lower()
            for kind, fields in iter_nodes({"root": node})
            if kind == "ColumnRef"
            for names in [string_list(fields.get("fields"))]
            if len(names) == 1 and names[0].lower() in variables
        }
    )
    choices = [variables[name] for name in used]
    combinations = 1
    for options in choices:
        combinations *= len(options)
    if combinations > _MAX_COMBINATIONS:
        return [UNKNOWN]
    values: list[object] = []
    for picked in product(*choices):
        value = fold(node, Env(variables=dict(zip(used, picked, strict=True))))
        if value not in values or value is UNKNOWN:
            values.append(value)
    return values


def _dynamic(
    expression: str, variables: dict[str, list[object]], op: str, an: Analyser, depth: int
) -> list[Finding]:
    node = _expression_node(expression)
    if node is None:
        return [unknown(op, "EXECUTE of an expression Interlock cannot parse")]
    findings = [an.nested_sql("SELECT " + expression, depth)]
    for value in _possible_values(node, variables):
        if value is None:
            continue  # EXECUTE NULL raises an error: nothing runs
        if not isinstance(value, str):
            return [
                unknown(op, "EXECUTE runs SQL built at run time, which Interlock cannot see"),
                *findings,
            ]
        findings.append(an.nested_sql(value, depth))
    return findings


def _constant_variables(function: Node) -> dict[str, list[object]]:
    """Variables that only ever hold constants: name -> the values they may hold."""
    datums = function.get("datums") or []
    names: list[str | None] = []
    declared: dict[str, list[object]] = {}
    for datum in datums:
        typed = node_type(datum)
        fields = typed[1] if typed else {}
        name = str(fields.get("refname", "")).lower() or None
        names.append(name)
        if typed and typed[0] == "PLpgSQL_var" and name and "lineno" in fields:
            default = (node_type(fields.get("default_val")) or ("", {}))[1].get("query")
            if default is None:
                declared[name] = [None]
            else:
                node = _expression_node(str(default))
                declared[name] = [UNKNOWN] if node is None else [fold(node, Env())]
    written_elsewhere, assignments = _writes(function.get("action"), names)
    for name in written_elsewhere:
        declared.pop(name, None)
    for name, expression in assignments:
        if name not in declared:
            continue
        node = _expression_node(_assigned_expression(expression))
        values = [UNKNOWN] if node is None else _possible_values(node, declared)
        merged = declared[name] + [v for v in values if v not in declared[name]]
        declared[name] = merged if len(merged) <= _MAX_VALUES else [UNKNOWN]
    return {name: values for name, values in declared.items() if UNKNOWN not in values}


def _writes(action: Any, names: list[str | None]) -> tuple[set[str], list[tuple[str, str]]]:
    """(variables written other than by `:=`, the `:=` assignments in source order)."""
    elsewhere: set[str] = set()
    assignments: list[tuple[str, str]] = []
    stack: list[Any] = [action]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
            continue
        if not isinstance(item, dict):
            continue
        typed = node_type(item)
        if typed is not None and typed[0] == "PLpgSQL_stmt_assign":
            varno = int(typed[1].get("varno", 0))
            name = names[varno] if 0 <= varno < len(names) else None
            query = (node_type(typed[1].get("expr")) or ("", {}))[1].get("query", "")
            if name and query.lstrip().lower().startswith(name):
                assignments.append((name, str(query)))
            elif name:
                elsewhere.add(name)
            continue
        for key, value in item.items():
            if key in ("refname", "name") and isinstance(value, str):
                elsewhere.add(value.lower())
            elif key in ("varno", "dno", "curvar") and isinstance(value, int):
                if 0 <= value < len(names) and names[value]:
                    elsewhere.add(str(names[value]))
            else:
                stack.append(value)
    return elsewhere, assignments
