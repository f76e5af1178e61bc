"""How many rows does an UPDATE or DELETE reach?

Three ways to reach every row: no WHERE clause; a WHERE clause that is always true (folded
by `_fold`, including tautologies over unknown atoms such as `x IS NULL OR x IS NOT NULL`);
and a WHERE clause that never looks at the row being changed (`WHERE now() > '2020-01-01'`,
`WHERE EXISTS (SELECT 1 FROM other)`, `WHERE $1`), which is the same for every row and so
matches all of them or none.
"""

from __future__ import annotations

import enum
from itertools import product
from typing import Any

from interlock.classify.sql._fold import UNKNOWN, Env, fold_bool, literal
from interlock.classify.sql._tree import iter_nodes, node_type, string_list

__all__ = ["Scope", "row_scope"]

MAX_ATOMS = 10
MAX_WORK = 200_000


class Scope(enum.Enum):
    """The rows a WHERE clause reaches, with the phrase a reason uses for it."""

    EVERY_ROW = "without a WHERE clause"
    ALWAYS_TRUE = "with a WHERE clause that is always true"
    ROW_INDEPENDENT = "with a WHERE clause that does not depend on the row"
    SENTINEL = "with a WHERE clause that only excludes impossible keys (such as id > 0)"
    NO_ROW = "with a WHERE clause that is never true"
    BOUNDED = "with a WHERE clause"

    @property
    def unbounded(self) -> bool:
        return self in (
            Scope.EVERY_ROW,
            Scope.ALWAYS_TRUE,
            Scope.ROW_INDEPENDENT,
            Scope.SENTINEL,
        )


def _truth(where: Any, targets: frozenset[str]) -> object:
    """True / False when the clause is constant (or a tautology / contradiction), else UNKNOWN."""
    keys: dict[tuple[int, int, str], tuple[object, bool]] = {}
    env = Env(targets=targets, keys=keys)
    first = fold_bool(where, env)
    if first is None:
        return False
    if first is not UNKNOWN:
        return first
    atoms = list(env.atoms)
    if len(atoms) == 1 and literal(where) is not None:
        return UNKNOWN  # a lone predicate over one unknown is never a tautology
    if not atoms or len(atoms) > MAX_ATOMS or env.visits * (2 ** len(atoms)) > MAX_WORK:
        return UNKNOWN
    seen: set[object] = set()
    for bits in product((True, False), repeat=len(atoms)):
        assign = dict(zip(atoms, bits, strict=True))
        value = fold_bool(where, Env(assign=assign, targets=targets, keys=keys))
        seen.add(False if value is None else value)
        if len(seen) > 1 or UNKNOWN in seen:
            return UNKNOWN
    return seen.pop() if seen else UNKNOWN


def depends_on_row(where: Any, names: frozenset[str]) -> bool:
    """Whether `where` may read a column of the row being changed.

    Unqualified columns might belong to the row, so they count; so does a column qualified
    by the table's name or alias, and `WHERE CURRENT OF cursor`.
    """
    typed = node_type(where)
    nodes = ([typed] if typed else []) + list(iter_nodes(where))
    for kind, fields in nodes:
        if kind == "CurrentOfExpr":
            return True
        if kind == "ColumnRef":
            parts = fields.get("fields") or []
            if len(parts) <= 1:
                return True
            qualifier = string_list(parts[:-1])
            if qualifier and qualifier[-1] in names:
                return True
    return False


def row_scope(where: Any, names: frozenset[str]) -> Scope:
    """Which rows an UPDATE/DELETE on the table called `names` (name and alias) reaches."""
    if where is None:
        return Scope.EVERY_ROW
    truth = _truth(where, names)
    if truth is True:
        return Scope.ALWAYS_TRUE
    if truth is False:
        return Scope.NO_ROW
    if not depends_on_row(where, names):
        return Scope.ROW_INDEPENDENT
    if _sentinel(where):
        return Scope.SENTINEL
    return Scope.BOUNDED


# Bounds that keys never cross: serial and identity keys start at 1 and stay below 2^31
# (int) in practice, so `id > 0`, `id >= 1`, `id < 2147483647` and `id IS NOT NULL` are how
# "every row" is written when a bare DELETE would be refused.
_LOW_BOUND = {">": 0, ">=": 1}
_HIGH_BOUND = {"<": 2**31 - 1, "<=": 2**31 - 1}
_MIRROR = {">": "<", ">=": "<=", "<": ">", "<=": ">="}


def _sentinel(where: Any) -> bool:
    """Whether `where` is a key comparison that every row passes (or an OR holding one)."""
    typed = node_type(where)
    if typed is None:
        return False
    kind, fields = typed
    if kind == "BoolExpr" and fields.get("boolop") == "OR_EXPR":
        return any(_sentinel(arg) for arg in fields.get("args") or [])
    if kind == "NullTest":
        return fields.get("nulltesttype") == "IS_NOT_NULL" and _key_column(fields.get("arg"))
    if kind != "A_Expr" or fields.get("kind") != "AEXPR_OP":
        return False
    op = string_list(fields.get("name") or [])
    if len(op) != 1:
        return False
    left, right, operator = fields.get("lexpr"), fields.get("rexpr"), op[0]
    if _number(left) is not None:
        left, right, operator = right, left, _MIRROR.get(operator, operator)
    value = _number(right)
    if value is None or not _key_column(left):
        return False
    if operator in _LOW_BOUND:
        return value <= _LOW_BOUND[operator]
    if operator in _HIGH_BOUND:
        return value >= _HIGH_BOUND[operator]
    return operator in ("<>", "!=") and value <= 0


def _key_column(node: Any) -> bool:
    """A column named `id` (the conventional surrogate key), qualified or not."""
    typed = node_type(node)
    if typed is None or typed[0] != "ColumnRef":
        return False
    names = string_list(typed[1].get("fields") or [])
    return bool(names) and names[-1].lower() == "id"


def _number(node: Any) -> float | None:
    typed = node_type(node)
    if typed is None or typed[0] != "A_Const":
        return None
    fields = typed[1]
    if "ival" in fields:
        return float(fields["ival"].get("ival", 0))
    if "fval" in fields:
        try:
            return float(fields["fval"].get("fval", "0"))
        except ValueError:
            return None
    return None
