"""How many rows does an UPDATE or DELETE reach?

Three ways to reach every row: no WHERE clause; a WHERE clause that is always true (folded
by `_fold`, including tautologies over unknown atoms such as `x IS NULL OR x IS NOT NULL`);
and a WHERE clause that never looks at the row being changed (`WHERE now() > '2020-01-01'`,
`WHERE EXISTS (SELECT 1 FROM other)`, `WHERE $1`), which is the same for every row and so
matches all of them or none.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from itertools import pairwise, product
from typing import Any

from interlock.classify.sql._fold import NUMERIC_ATOM, UNKNOWN, Env, fold_bool, is_literal
from interlock.classify.sql._tree import (
    iter_nodes,
    node_type,
    string_list,
    strip_qualifiers,
)

__all__ = ["Scope", "row_scope"]

MAX_ATOMS = 10
MAX_WORK = 200_000


class Scope(enum.Enum):
    """The rows a WHERE clause reaches, with the phrase a reason uses for it."""

    EVERY_ROW = "without a WHERE clause"
    ALWAYS_TRUE = "with a WHERE clause that is always true"
    ROW_INDEPENDENT = "with a WHERE clause that does not depend on the row"
    SENTINEL = "with a WHERE clause that only excludes impossible keys (such as id > 0)"
    SELF_JOINED = "joining the table with itself on a clause every row meets with itself"
    NO_ROW = "with a WHERE clause that is never true"
    BOUNDED = "with a WHERE clause"

    @property
    def unbounded(self) -> bool:
        return self in (
            Scope.EVERY_ROW,
            Scope.ALWAYS_TRUE,
            Scope.ROW_INDEPENDENT,
            Scope.SENTINEL,
            Scope.SELF_JOINED,
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
    if len(atoms) == 1 and is_literal(where):
        # a lone predicate (or its negation): a tautology only if a numeric one comes out
        # the same for every value the column can take (`id > 0` for the key)
        atom = atoms[0]
        if not _numeric(atom):
            return UNKNOWN
        assert isinstance(atom, tuple)
        values = _representatives({float(atom[3])}, key=bool(atom[4]))
        outcomes = {_compares(v, str(atom[2]), float(atom[3])) for v in values}
        if len(outcomes) != 1:
            return UNKNOWN
        value = fold_bool(where, Env(assign={atom: outcomes.pop()}, targets=targets, keys=keys))
        return False if value is None else value
    assignments = _assignments(atoms)
    if assignments is None or env.visits * assignments[0] > MAX_WORK:
        return UNKNOWN
    seen: set[object] = set()
    for assign in assignments[1]:
        value = fold_bool(where, Env(assign=assign, targets=targets, keys=keys))
        seen.add(False if value is None else value)
        if len(seen) > 1 or UNKNOWN in seen:
            return UNKNOWN
    return seen.pop() if seen else UNKNOWN


def _numeric(atom: object) -> bool:
    return isinstance(atom, tuple) and bool(atom) and atom[0] == NUMERIC_ATOM


def _assignments(atoms: list[object]) -> tuple[int, Iterator[dict[object, bool]]] | None:
    """Every consistent way the atoms can come out, and how many there are; None when there
    are too many atoms to try.

    Boolean atoms take both truth values. A column compared with numbers (`x > 3`, `x < 5`,
    `x = 7`) is given values instead, one from each interval the numbers cut the line into,
    so `x > 3 OR x < 5` is seen to hold for every value while `x > 3 AND x < 5` is not."""
    numeric: dict[object, list[tuple[Any, ...]]] = {}
    plain: list[object] = []
    for atom in atoms:
        if _numeric(atom):
            assert isinstance(atom, tuple)
            numeric.setdefault(atom[1], []).append(atom)
        else:
            plain.append(atom)
    if not atoms or len(plain) + len(numeric) > MAX_ATOMS:
        return None
    columns = list(numeric.values())
    values = [
        _representatives({float(a[3]) for a in group}, key=any(a[4] for a in group))
        for group in columns
    ]
    count = 2 ** len(plain)
    for options in values:
        count *= len(options)

    def generate() -> Iterator[dict[object, bool]]:
        for picked in product(*values):
            fixed: dict[object, bool] = {}
            for group, value in zip(columns, picked, strict=True):
                for atom in group:
                    fixed[atom] = _compares(value, str(atom[2]), float(atom[3]))
            for bits in product((True, False), repeat=len(plain)):
                yield {**fixed, **dict(zip(plain, bits, strict=True))}

    return count, generate()


_KEYS = (1.0, float(2**31 - 2))  # the range a serial or identity key stays in


def _representatives(numbers: set[float], *, key: bool = False) -> list[float]:
    """A value in every interval (and at every point) the numbers cut the line into.

    When every number is whole, only whole values are tried: a column compared with whole
    numbers is most likely whole itself, so `x <= 0 OR x >= 1` reaches every row. (If it is
    not, the verdict errs towards "every row", the safe side.) The surrogate key `id` only
    takes values from 1 to 2^31 - 2 (`key`), so `NOT (id <= 0)` reaches every row too."""
    ordered = sorted(numbers)
    whole = all(n.is_integer() for n in ordered)
    out = [ordered[0] - 1.0]
    for low, high in pairwise(ordered):
        out.append(low)
        if not whole:
            out.append((low + high) / 2)
        elif high - low > 1:
            out.append(low + 1)
    out += [ordered[-1], ordered[-1] + 1.0]
    if key:  # the surrogate key: only values a key takes
        out = [v for v in {*out, *_KEYS} if _KEYS[0] <= v <= _KEYS[1]]
    return out


def _compares(value: float, op: str, number: float) -> bool:
    return {
        "=": value == number,
        "<>": value != number,
        "<": value < number,
        ">": value > number,
        "<=": value <= number,
        ">=": value >= number,
    }[op]


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


def row_scope(
    where: Any,
    names: frozenset[str],
    itself: frozenset[str] = frozenset(),
    copies: frozenset[str] = frozenset(),
) -> Scope:
    """Which rows an UPDATE/DELETE on the table called `names` (name and alias) reaches.

    `itself` names other copies of the same table the statement joins (`DELETE FROM t USING
    t AS t2`, `UPDATE t … FROM t AS t2`): a row joined with itself witnesses its own match, so
    a clause that always holds when those copies are read as the row reaches every row.
    `copies` are WITH queries that are the whole table: subqueries over them count as
    subqueries over the table."""
    if where is None:
        return Scope.EVERY_ROW
    truth = _truth(where, names | copies)
    if truth is True:
        return Scope.ALWAYS_TRUE
    if truth is False:
        return Scope.NO_ROW
    if not depends_on_row(where, names):
        return Scope.ROW_INDEPENDENT
    if itself and _truth(strip_qualifiers(where, names | itself), names | copies) is True:
        return Scope.SELF_JOINED
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
    if kind == "BoolExpr" and fields.get("boolop") == "AND_EXPR":
        return all(_sentinel(arg) for arg in fields.get("args") or [])
    if kind == "NullTest":
        return fields.get("nulltesttype") == "IS_NOT_NULL" and _key_column(fields.get("arg"))
    if kind == "A_Expr" and fields.get("kind") == "AEXPR_BETWEEN":
        bounds = (node_type(fields.get("rexpr")) or ("", {}))[1].get("items") or []
        if len(bounds) != 2 or not _key_column(fields.get("lexpr")):
            return False
        low, high = _number(bounds[0]), _number(bounds[1])
        return low is not None and high is not None and low <= 1 and high >= 2**31 - 1
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
