"""Statements with parameters (`$1`): when do their values change the verdict?

In the extended protocol a statement is parsed before its values are known. Most parameters
cannot change what the statement does: `WHERE id = $1` reaches one key whatever the key is
(or none, for NULL). Some can: `WHERE id = $1 OR $2::bool` reaches every row when `$2` is
true, `WHERE a = coalesce($1, a)` when `$1` is NULL, `WHERE id > $1` when `$1` is 0. The
classifier judges those with the parameters unknown, which reads as bounded; the PostgreSQL
proxy must judge them again with the values bound (`bind_text`) before they run.

`parameters` says which statements need that: any UPDATE or DELETE (at any depth, a
data-modifying WITH included) whose WHERE clause holds a parameter anywhere but in the
harmless positions, a column compared for equality with it (`col = $1`, `col IN ($1, $2)`,
`col = ANY($1)`). It errs towards "sensitive": a needless re-judgement costs a
classification, a missed one lets a table be emptied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pgparse

from interlock.classify.sql._tree import iter_nodes, node_type, string_list

__all__ = ["Parameters", "bind_text", "parameters"]

_CHANGES = frozenset({"UpdateStmt", "DeleteStmt"})


@dataclass(frozen=True, slots=True)
class Parameters:
    """Where a statement's parameters are, and whether their values can change its verdict.

    `places` are (start, end, number) of every `$n`, in UTF-8 byte offsets of the text."""

    sensitive: bool
    places: tuple[tuple[int, int, int], ...] = ()


NONE = Parameters(False)


@lru_cache(maxsize=4096)
def parameters(text: str) -> Parameters:
    """How the parameters of `text` are used. Text that does not parse has no parameters to
    bind (it is unknown whatever they are)."""
    if "$" not in text:
        return NONE
    try:
        tree = pgparse.parse(text)
    except (pgparse.PGQueryError, UnicodeError, RecursionError):
        return NONE
    places: list[tuple[int, int, int]] = []
    sensitive = False
    try:
        for kind, fields in iter_nodes(tree):
            if kind == "ParamRef":
                number = int(fields.get("number", 0))
                start = int(fields.get("location", -1))
                if number > 0 and start >= 0:
                    places.append((start, start + 1 + len(str(number)), number))
            elif kind in _CHANGES and not sensitive:
                sensitive = _sensitive_where(fields.get("whereClause"))
    except RecursionError:
        return Parameters(True)
    return Parameters(sensitive, tuple(sorted(places)))


def _param(node: Any) -> Any:
    """The ParamRef under `node` (through a cast), or None."""
    typed = node_type(node)
    if typed is not None and typed[0] == "TypeCast":
        typed = node_type(typed[1].get("arg"))
    return typed[1] if typed is not None and typed[0] == "ParamRef" else None


def _column(node: Any) -> bool:
    typed = node_type(node)
    return typed is not None and typed[0] == "ColumnRef"


def _sensitive_where(where: Any) -> bool:
    """Whether `where` holds a parameter outside `column = $n` (and its IN/ANY forms) that
    is reached through AND and OR only, on a column the clause tests in no other way.

    Under NOT, CASE or a function, `id = $1` can mean `id <> 0`; next to another test of the
    same column (`v = $1 OR v <> 'x'`) a value can complete a tautology."""
    if where is None:
        return False
    harmless: dict[int, str] = {}  # parameter -> the column it is compared with
    equalities: dict[str, int] = {}  # column -> how many harmless equalities test it
    positive = [where]
    while positive:
        typed = node_type(positive.pop())
        if typed is None:
            continue
        kind, fields = typed
        if kind == "BoolExpr" and fields.get("boolop") in ("AND_EXPR", "OR_EXPR"):
            positive.extend(fields.get("args") or [])
        elif kind == "A_Expr" and string_list(fields.get("name")) == ["="]:
            equality = _equality_params(fields)
            if equality is not None:
                harmless.update(dict.fromkeys(equality[1], equality[0]))
                equalities[equality[0]] = equalities.get(equality[0], 0) + 1
    typed = node_type(where)
    nodes = ([typed] if typed is not None else []) + list(iter_nodes(where))
    tested: dict[str, int] = {}
    for kind, fields in nodes:
        if kind == "ColumnRef":
            name = ".".join(string_list(fields.get("fields")))
            tested[name] = tested.get(name, 0) + 1
    for kind, fields in nodes:
        if kind != "ParamRef":
            continue
        column = harmless.get(id(fields))
        if column is None or tested.get(column, 0) != equalities.get(column, 0):
            return True
    return False


def _equality_params(fields: Any) -> tuple[str, list[int]] | None:
    """(column, parameters) of `column = $n`, `column IN ($1, 'x')`, `column = ANY($1)`;
    None when the comparison is not a column against parameters and constants."""
    left, right = fields.get("lexpr"), fields.get("rexpr")
    expr = fields.get("kind")
    if expr == "AEXPR_OP":
        if not _column(left):
            left, right = right, left
        items = [right]
    elif expr in ("AEXPR_IN", "AEXPR_OP_ANY"):
        listed = node_type(right)
        items = list(listed[1].get("items") or []) if listed and listed[0] == "List" else [right]
    else:
        return None
    column = node_type(left)
    if column is None or column[0] != "ColumnRef":
        return None
    params: list[int] = []
    for item in items:
        param = _param(item)
        if param is not None:
            params.append(id(param))
        elif (node_type(item) or ("", {}))[0] != "A_Const":
            return None
    return ".".join(string_list(column[1].get("fields"))), params


def bind_text(text: str, use: Parameters, literals: Sequence[str]) -> str | None:
    """`text` with each `$n` replaced by `literals[n-1]` (SQL literals, `NULL` included), or
    None when a parameter has no value (the server would refuse the Bind anyway)."""
    raw = text.encode("utf-8", "surrogatepass")
    out: list[bytes] = []
    position = 0
    for start, end, number in use.places:
        if number > len(literals) or start < position:
            return None
        out += [raw[position:start], literals[number - 1].encode("utf-8", "surrogatepass")]
        position = end
    out.append(raw[position:])
    return b"".join(out).decode("utf-8", "surrogatepass")
