"""A small constant-folding evaluator over PostgreSQL expression trees.

Used for three questions: is a WHERE clause always true (`WHERE 1=1`, `WHERE 'a'='a'`,
`WHERE id = 5 OR true`, `WHERE x IS NULL OR x IS NOT NULL`)? What string does an EXECUTE or
dblink_exec run (`'DR' || 'OP TABLE x'`, `format('DROP TABLE %I', 'x')`)? What value does a
SET or set_config give a setting?

Values are Python values (None is SQL NULL); anything that depends on a row, a parameter or
a function we do not evaluate is `UNKNOWN`. Predicates over unknown values become *atoms*
with a canonical key (`x > 5` and `5 < x` and `NOT x <= 5` are one atom), so that a clause
can be checked for being a tautology by trying every truth assignment of its atoms.
Atoms are two-valued: `x = x` and `x = 5 OR x <> 5` count as always true even though they
are not for NULL rows, because they still reach every row that has a value.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from typing import Any

from interlock.classify.sql._tree import (
    Node,
    const_value,
    iter_nodes,
    node_type,
    shape,
    string_list,
    strip_qualifiers,
)

__all__ = [
    "NUMERIC_ATOM",
    "SYSTEM_COLUMNS",
    "UNKNOWN",
    "Env",
    "as_bool",
    "fold",
    "fold_bool",
    "fold_strings",
    "is_key_column",
    "is_literal",
    "literal",
]

MAX_STRING = 64 * 1024
MAX_VISITS = 20_000
NUMERIC_ATOM = "ncmp"
"""Atoms `(NUMERIC_ATOM, column shape, op, number, key)`: a column compared with a number
(`key`: it is the surrogate key `id`, see `is_key_column`). They
are not independent of each other (`x > 3` and `x < 5` cannot both be false), so the
tautology check gives them values rather than truth values (see `_where`)."""
SYSTEM_COLUMNS = frozenset({"ctid", "xmin", "xmax", "cmin", "cmax", "tableoid"})
"""Columns every row has and none can set to NULL: `ctid IS NOT NULL` holds for every row."""


class _Unknown:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


class _OverBudget(Exception):
    pass


class Env:
    """What an evaluation may assume: truth values of atoms, values of PL/pgSQL variables."""

    __slots__ = ("assign", "atoms", "keys", "targets", "variables", "visits")

    def __init__(
        self,
        *,
        assign: Mapping[object, bool] | None = None,
        variables: Mapping[str, object] | None = None,
        targets: frozenset[str] = frozenset(),
        keys: dict[tuple[int, int, str], tuple[object, bool]] | None = None,
    ) -> None:
        # `keys` memoises canonical atom keys by node identity across the evaluations of
        # one clause (building a key means walking both operands)
        self.keys = {} if keys is None else keys
        self.assign = assign or {}
        self.variables = variables or {}
        self.targets = targets
        self.atoms: dict[object, None] = {}
        self.visits = 0

    def atom(self, key: object, positive: bool) -> object:
        value = self.assign.get(key)
        if value is None:
            self.atoms.setdefault(key, None)
            return UNKNOWN
        return value if positive else not value


def fold(node: Any, env: Env) -> object:
    """The value of expression `node`, or UNKNOWN. Never raises."""
    try:
        return _fold(node, env)
    except (_OverBudget, ArithmeticError, ValueError, TypeError, OverflowError):
        return UNKNOWN


def fold_strings(node: Any, env: Env) -> object:
    """Like `fold`, for a value that must be text (an EXECUTE string)."""
    value = fold(node, env)
    if isinstance(value, bytes):
        return UNKNOWN
    return value


def as_bool(value: object) -> object:
    """SQL truth of a folded value: True, False, None (NULL) or UNKNOWN."""
    if value is None or isinstance(value, bool):
        return value
    if value is UNKNOWN:
        return UNKNOWN
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        text = value.strip().lower()
        if text and any(w.startswith(text) for w in ("true", "yes", "on")) and text != "o":
            return True
        if text and any(w.startswith(text) for w in ("false", "no", "off")) and text != "o":
            return False
        if text == "1":
            return True
        if text == "0":
            return False
    return UNKNOWN


def _fold(node: Any, env: Env) -> object:
    env.visits += 1
    if env.visits > MAX_VISITS:
        raise _OverBudget
    typed = node_type(node)
    if typed is None:
        return UNKNOWN
    handler = _HANDLERS.get(typed[0])
    if handler is None:
        return UNKNOWN
    return handler(typed[1], env)


# --- literals and casts -------------------------------------------------------------

_TEXT_TYPES = frozenset({"text", "varchar", "bpchar", "char", "name", "citext", "unknown"})
_INT_TYPES = frozenset({"int2", "int4", "int8", "integer", "smallint", "bigint", "oid"})
_FLOAT_TYPES = frozenset({"float4", "float8", "numeric", "decimal", "real"})


def _cast(fields: Node, env: Env) -> object:
    value = _fold(fields.get("arg"), env)
    type_name = fields.get("typeName") or {}
    if value is UNKNOWN or type_name.get("arrayBounds"):
        return UNKNOWN
    names = string_list(type_name.get("names"))
    name = names[-1] if names else ""
    if value is None:
        return None
    if name in ("bool", "boolean"):
        return as_bool(value)
    if name in _TEXT_TYPES:
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value) if isinstance(value, str | int | float) else UNKNOWN
    if name in _INT_TYPES:
        if isinstance(value, bool):
            return int(value)
        return int(str(value).strip()) if isinstance(value, str | int) else int(value)  # type: ignore[call-overload]
    if name in _FLOAT_TYPES:
        return float(str(value).strip()) if not isinstance(value, bool) else UNKNOWN
    return UNKNOWN


# --- comparisons and atoms ------------------------------------------------------------

_FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "=": "=", "<>": "<>"}
# operator -> (canonical operator, positive)
_CANON = {
    "=": ("=", True),
    "<>": ("=", False),
    "!=": ("=", False),
    "<": ("<", True),
    ">=": ("<", False),
    ">": (">", True),
    "<=": (">", False),
}
_NUMERIC_OPS = {"=": "=", "<>": "<>", "!=": "<>", "<": "<", ">": ">", "<=": "<=", ">=": ">="}
_REFLEXIVE = {"=": True, "<>": False, "!=": False, "<": False, ">": False, "<=": True, ">=": True}
_NEGATED_MATCH = {"!~~": "~~", "!~~*": "~~*", "!~": "~", "!~*": "~*"}


def comparison_key(op: str, left: Any, right: Any) -> tuple[object, bool]:
    """The canonical atom for `left op right` with at least one side unknown."""
    lshape, rshape = shape(left), shape(right)
    if op in _CANON:
        if repr(lshape) > repr(rshape):
            lshape, rshape, op = rshape, lshape, _FLIP[op]
        canon, positive = _CANON[op]
        return ("cmp", canon, lshape, rshape), positive
    if op in _NEGATED_MATCH:
        return ("op", _NEGATED_MATCH[op], lshape, rshape), False
    return ("op", op, lshape, rshape), True


def _coerce_pair(left: object, right: object) -> tuple[Any, Any]:
    if type(left) is type(right):
        return left, right
    if isinstance(left, bool) or isinstance(right, bool):
        lb, rb = as_bool(left), as_bool(right)
        if isinstance(lb, bool) and isinstance(rb, bool):
            return lb, rb
        raise ValueError("not comparable")
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left, right
    if isinstance(left, str) and isinstance(right, int | float):
        return float(left), right
    if isinstance(right, str) and isinstance(left, int | float):
        return left, float(right)
    raise ValueError("not comparable")


def _like(value: str, pattern: str, fold_case: bool) -> bool:
    regex = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.fullmatch(regex, value, re.S | (re.I if fold_case else 0)) is not None


def _binary(op: str, left: object, right: object) -> object:
    """`left op right` on two known values (NULL-propagating)."""
    if left is None or right is None:
        return None
    if op in ("=", "<>", "!=", "<", ">", "<=", ">="):
        lv, rv = _coerce_pair(left, right)
        return {
            "=": lv == rv,
            "<>": lv != rv,
            "!=": lv != rv,
            "<": lv < rv,
            ">": lv > rv,
            "<=": lv <= rv,
            ">=": lv >= rv,
        }[op]
    if op == "||":
        if isinstance(left, list | bytes) or isinstance(right, list | bytes):
            return UNKNOWN
        result = _text(left) + _text(right)
        if len(result) > MAX_STRING:
            return UNKNOWN
        return result
    if op in ("~~", "!~~", "~~*", "!~~*") and isinstance(left, str) and isinstance(right, str):
        matched = _like(left, right, "*" in op)
        return not matched if op.startswith("!") else matched
    if isinstance(left, bool) or isinstance(right, bool):
        return UNKNOWN
    if isinstance(left, str) or isinstance(right, str):
        left, right = _coerce_pair(left, right)
    if not isinstance(left, int | float) or not isinstance(right, int | float):
        return UNKNOWN
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if op == "/":
        if isinstance(left, int) and isinstance(right, int):
            return int(left / right)
        return left / right
    if op == "%":
        return left % right
    return UNKNOWN


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _matches_everything(op: str, pattern: object) -> bool:
    """`x LIKE '%'`, `x ~ ''`: a pattern every non-null value matches."""
    if not isinstance(pattern, str):
        return False
    if op in ("~~", "~~*"):
        return pattern != "" and set(pattern) == {"%"}
    if op in ("~", "~*"):
        return pattern in ("", ".*", "^", "^.*", ".*$", "^.*$")
    return False


_IDENTITY = {"+": 0, "-": 0, "*": 1, "/": 1, "||": ""}


def _without_identity(node: Any, env: Env) -> Any:
    """`x + 0`, `x * 1`, `x || ''`, `coalesce(NULL, x)`, `coalesce(x, x)` -> `x`, so that
    `id = id + 0` and `a = coalesce(NULL, a)` are seen as reflexive."""
    for _ in range(8):
        typed = node_type(node)
        if typed is not None and typed[0] == "CoalesceExpr":
            kept = [a for a in typed[1].get("args") or [] if _fold(a, env) is not None]
            if kept and all(shape(a) == shape(kept[0]) for a in kept[1:]):
                node = kept[0]
                continue
            return node
        if typed is None or typed[0] != "A_Expr" or typed[1].get("kind") != "AEXPR_OP":
            return node
        names = string_list(typed[1].get("name"))
        op = names[-1] if names else ""
        left, right = typed[1].get("lexpr"), typed[1].get("rexpr")
        if op not in _IDENTITY or left is None:
            return node
        neutral = _IDENTITY[op]
        right_value = _fold(right, env)
        if right_value == neutral and type(right_value) is type(neutral):
            node = left
        elif (
            op in ("+", "*", "||")
            and (lv := _fold(left, env)) == neutral
            and type(lv) is type(neutral)
        ):
            node = right
        else:
            return node
    return node


def _compare(op: str, lnode: Any, rnode: Any, env: Env) -> object:
    left, right = _fold(lnode, env), _fold(rnode, env)
    if left is not UNKNOWN and right is not UNKNOWN:
        return _binary(op, left, right)
    if (
        op in _REFLEXIVE
        and left is UNKNOWN
        and right is UNKNOWN
        and shape(_without_identity(lnode, env)) == shape(_without_identity(rnode, env))
    ):
        return _REFLEXIVE[op]
    if left is UNKNOWN and _matches_everything(op, right):
        return True
    if _reaches_extremum(op, lnode, rnode, env) or _reaches_extremum(
        _FLIP.get(op, ""), rnode, lnode, env
    ):
        return True
    tid = _tid_bound(op, lnode, rnode, env)
    if tid is not None:
        return tid
    if op in _NUMERIC_OPS:
        if left is UNKNOWN and _is_number(right):
            column = _without_identity(lnode, env)
            key = (NUMERIC_ATOM, shape(column), _NUMERIC_OPS[op], right, is_key_column(column))
            return env.atom(key, True)
        if right is UNKNOWN and _is_number(left):
            column = _without_identity(rnode, env)
            key = (
                NUMERIC_ATOM,
                shape(column),
                _FLIP[_NUMERIC_OPS[op]],
                left,
                is_key_column(column),
            )
            return env.atom(key, True)
    if op in _CANON or op in ("~~", "~~*", "~", "~*", "!~~", "!~~*", "!~", "!~*"):
        cache_key = (id(lnode), id(rnode), op)
        cached = env.keys.get(cache_key)
        if cached is None:
            cached = env.keys[cache_key] = comparison_key(op, lnode, rnode)
        return env.atom(cached[0], cached[1])
    return UNKNOWN


def is_key_column(node: Any) -> bool:
    """A column named `id`, qualified or not: the conventional surrogate key, which serial
    and identity columns fill from 1 up, below 2^31, never NULL."""
    typed = node_type(node)
    if typed is None or typed[0] != "ColumnRef":
        return False
    names = string_list(typed[1].get("fields") or [])
    return bool(names) and names[-1].lower() == "id"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _reaches_extremum(op: str, column: Any, other: Any, env: Env) -> bool:
    """`x <= (SELECT max(x) FROM the table itself)`, `x >= (SELECT min(x) …)`: every row
    that has a value."""
    wanted = {"<=": "max", ">=": "min"}.get(op)
    col = node_type(column)
    sub = node_type(other)
    if wanted is None or col is None or col[0] != "ColumnRef" or sub is None:
        return False
    if sub[0] != "SubLink" or sub[1].get("subLinkType") != "EXPR_SUBLINK":
        return False
    scan = _self_scan(sub[1].get("subselect"), env)
    if scan is None or _holds_for_itself(scan, env) is not True:
        return False
    targets = scan.get("targetList") or []
    value = (
        node_type((node_type(targets[0]) or ("", {}))[1].get("val")) if len(targets) == 1 else None
    )
    if value is None or value[0] != "FuncCall":
        return False
    names = string_list(value[1].get("funcname"))
    args = value[1].get("args") or []
    if not names or names[-1] != wanted or len(args) != 1:
        return False
    inner = node_type(args[0])
    if inner is None or inner[0] != "ColumnRef":
        return False
    mine = string_list(col[1].get("fields"))
    theirs = string_list(inner[1].get("fields"))
    return bool(mine) and bool(theirs) and mine[-1] == theirs[-1]


_FIRST_TID = (0, 1)  # line pointers start at 1: no row has a ctid below (0,1)


def _tid(node: Any) -> tuple[int, int] | None:
    """The (block, line) of a tid literal `'(0,1)'` (cast or not), or None."""
    typed = node_type(node)
    if typed is not None and typed[0] == "TypeCast":
        typed = node_type(typed[1].get("arg"))
    if typed is None or typed[0] != "A_Const" or "sval" not in typed[1]:
        return None
    text = str(typed[1]["sval"].get("sval", "")).strip()
    parts = text[1:-1].split(",") if text.startswith("(") and text.endswith(")") else []
    try:
        return (int(parts[0]), int(parts[1])) if len(parts) == 2 else None
    except ValueError:
        return None


def _tid_bound(op: str, lnode: Any, rnode: Any, env: Env) -> bool | None:
    """`ctid > '(0,0)'`, `ctid >= '(0,1)'`, `ctid <> '(0,0)'` hold for every row (and their
    opposites for none); None for any other comparison."""
    if _tid(lnode) is not None:
        lnode, rnode, op = rnode, lnode, _FLIP.get(op, op)
    bound = _tid(rnode)
    column = node_type(lnode)
    if bound is None or column is None or not _system_column(lnode, env):
        return None
    if string_list(column[1].get("fields"))[-1:] != ["ctid"]:
        return None
    # every ctid is at least (0,1)
    if bound < _FIRST_TID:
        return _BELOW_FIRST.get(op)
    if bound == _FIRST_TID:
        return {">=": True, "<": False}.get(op)
    return None


_BELOW_FIRST = {">": True, ">=": True, "<>": True, "!=": True, "<": False, "<=": False, "=": False}


def _or(values: list[object]) -> object:
    return _connective(values, absorbing=True)


def _and(values: list[object]) -> object:
    return _connective(values, absorbing=False)


def _connective(values: list[object], *, absorbing: bool) -> object:
    """OR (`absorbing` True) or AND (False): one operand equal to `absorbing` decides it,
    all operands the other way decide it the other way; else UNKNOWN, or None (SQL NULL)."""
    bools = [as_bool(v) for v in values]
    if any(b is absorbing for b in bools):
        return absorbing
    if all(b is (not absorbing) for b in bools):
        return not absorbing
    if any(b is UNKNOWN for b in bools):
        return UNKNOWN
    return None


def _not(value: object) -> object:
    b = as_bool(value)
    if isinstance(b, bool):
        return not b
    return b


def _list_items(node: Any) -> list[Any] | None:
    typed = node_type(node)
    if typed is not None and typed[0] == "List":
        return list(typed[1].get("items") or [])
    if isinstance(node, list):
        return node
    return None


def _array_values(node: Any, env: Env) -> list[Any] | None:
    """Element *nodes* of ARRAY[...] (so comparisons keep their atoms), or None."""
    typed = node_type(node)
    if typed is not None and typed[0] == "A_ArrayExpr":
        return list(typed[1].get("elements") or [])
    return None


def _expr(fields: Node, env: Env) -> object:
    kind = fields.get("kind", "")
    names = string_list(fields.get("name"))
    op = names[-1] if names else ""
    lnode, rnode = fields.get("lexpr"), fields.get("rexpr")
    if kind == "AEXPR_OP":
        if lnode is None:
            value = _fold(rnode, env)
            if value is UNKNOWN or value is None:
                return value
            if op == "-" and isinstance(value, int | float) and not isinstance(value, bool):
                return -value
            if op == "+" and isinstance(value, int | float):
                return value
            return UNKNOWN
        return _compare(op, lnode, rnode, env)
    if kind == "AEXPR_IN":
        items = _list_items(rnode) or []
        parts = [_compare("=", lnode, item, env) for item in items]
        result = _or(parts)
        return _not(result) if op == "<>" else result
    if kind in ("AEXPR_OP_ANY", "AEXPR_OP_ALL"):
        elements = _array_values(rnode, env)
        if elements is None:
            return UNKNOWN
        parts = [_compare(op, lnode, item, env) for item in elements]
        return _or(parts) if kind == "AEXPR_OP_ANY" else _and(parts)
    if kind in ("AEXPR_BETWEEN", "AEXPR_NOT_BETWEEN", "AEXPR_BETWEEN_SYM", "AEXPR_NOT_BETWEEN_SYM"):
        bounds = _list_items(rnode) or []
        if len(bounds) != 2:
            return UNKNOWN
        low, high = bounds
        inside = _and([_compare(">=", lnode, low, env), _compare("<=", lnode, high, env)])
        if kind.endswith("_SYM"):
            swapped = _and([_compare(">=", lnode, high, env), _compare("<=", lnode, low, env)])
            inside = _or([inside, swapped])
        return _not(inside) if "NOT" in kind else inside
    if kind in ("AEXPR_DISTINCT", "AEXPR_NOT_DISTINCT"):
        left, right = _fold(lnode, env), _fold(rnode, env)
        if left is UNKNOWN or right is UNKNOWN:
            if shape(lnode) == shape(rnode):
                return kind == "AEXPR_NOT_DISTINCT"
            key, positive = comparison_key("=", lnode, rnode)
            same = env.atom(key, positive)
            return same if kind == "AEXPR_NOT_DISTINCT" else _not(same)
        if left is None or right is None:
            same = left is None and right is None
        else:
            same = bool(_binary("=", left, right))
        return same if kind == "AEXPR_NOT_DISTINCT" else not same
    if kind == "AEXPR_NULLIF":
        left, right = _fold(lnode, env), _fold(rnode, env)
        if left is UNKNOWN or right is UNKNOWN:
            return UNKNOWN
        return None if _binary("=", left, right) is True else left
    if kind in ("AEXPR_LIKE", "AEXPR_ILIKE"):
        return _compare(op, lnode, rnode, env)
    return UNKNOWN


def _bool_expr(fields: Node, env: Env) -> object:
    op = fields.get("boolop", "")
    args = list(fields.get("args") or [])
    if op == "NOT_EXPR":
        return _not(_fold_bool(args[0], env)) if args else UNKNOWN
    values = [_fold_bool(arg, env) for arg in args]
    literals = [literal(arg) for arg, v in zip(args, values, strict=True) if v is UNKNOWN]
    keys = {lit for lit in literals if lit is not None}
    complementary = any((key, not positive) in keys for key, positive in keys)
    if op == "OR_EXPR":
        return True if complementary else _or(values)
    if op == "AND_EXPR":
        return False if complementary else _and(values)
    return UNKNOWN


def _fold_bool(node: Any, env: Env) -> object:
    """`node` in a boolean position: a bare unknown value (`WHERE active`) becomes an atom."""
    value = _fold(node, env)
    if value is UNKNOWN:
        lit = literal(node)
        if lit is not None and isinstance(lit[0], tuple) and lit[0][0] == "expr":
            return env.atom(lit[0], lit[1])
    return value


def fold_bool(node: Any, env: Env) -> object:
    """`fold` for a predicate (a WHERE clause): its SQL truth, or UNKNOWN. Never raises."""
    try:
        return as_bool(_fold_bool(node, env))
    except (_OverBudget, ArithmeticError, ValueError, TypeError, OverflowError):
        return UNKNOWN


def is_literal(node: Any) -> bool:
    """Whether `literal(node)` is not None, without building the canonical key."""
    for _ in range(64):
        typed = node_type(node)
        if typed is None:
            return False
        kind, fields = typed
        if kind == "BoolExpr" and fields.get("boolop") == "NOT_EXPR":
            node = (fields.get("args") or [None])[0]
            continue
        if kind == "A_Expr" and fields.get("kind") in ("AEXPR_OP", "AEXPR_LIKE", "AEXPR_ILIKE"):
            return bool(string_list(fields.get("name"))) and fields.get("lexpr") is not None
        return kind in ("NullTest", "BooleanTest", "ColumnRef", "FuncCall", "ParamRef", "SubLink")
    return literal(node) is not None


def literal(node: Any) -> tuple[object, bool] | None:
    """The canonical (atom, polarity) that a predicate `node` tests, when it is one."""
    typed = node_type(node)
    if typed is None:
        return None
    kind, fields = typed
    if kind == "BoolExpr" and fields.get("boolop") == "NOT_EXPR":
        inner = literal((fields.get("args") or [None])[0])
        return (inner[0], not inner[1]) if inner else None
    if kind == "A_Expr" and fields.get("kind") in ("AEXPR_OP", "AEXPR_LIKE", "AEXPR_ILIKE"):
        names = string_list(fields.get("name"))
        if names and fields.get("lexpr") is not None:
            return comparison_key(names[-1], fields.get("lexpr"), fields.get("rexpr"))
        return None
    if kind == "NullTest":
        return ("null", shape(fields.get("arg"))), fields.get("nulltesttype") == "IS_NULL"
    if kind == "BooleanTest":
        test = fields.get("booltesttype", "")
        arg = shape(fields.get("arg"))
        if test in ("IS_UNKNOWN", "IS_NOT_UNKNOWN"):
            return ("null", arg), test == "IS_UNKNOWN"
        return ("expr", arg), test in ("IS_TRUE", "IS_NOT_FALSE")
    if kind in ("ColumnRef", "FuncCall", "ParamRef", "SubLink"):
        return ("expr", shape(node)), True
    return None


def _system_column(node: Any, env: Env) -> bool:
    """`ctid`, `t.xmin`, …: a system column of the row being changed (never NULL)."""
    typed = node_type(node)
    if typed is None or typed[0] != "ColumnRef":
        return False
    names = string_list(typed[1].get("fields"))
    if not names or names[-1] not in SYSTEM_COLUMNS:
        return False
    return len(names) == 1 or names[-2] in env.targets


def _null_test(fields: Node, env: Env) -> object:
    is_null = fields.get("nulltesttype") == "IS_NULL"
    if _system_column(fields.get("arg"), env) or is_key_column(fields.get("arg")):
        return not is_null
    value = _fold(fields.get("arg"), env)
    if value is UNKNOWN:
        return env.atom(("null", shape(fields.get("arg"))), is_null)
    return (value is None) == is_null


def _boolean_test(fields: Node, env: Env) -> object:
    value = as_bool(_fold(fields.get("arg"), env))
    test = fields.get("booltesttype", "")
    if value is UNKNOWN:
        lit = literal({"BooleanTest": fields})
        return env.atom(lit[0], lit[1]) if lit else UNKNOWN
    return {
        "IS_TRUE": value is True,
        "IS_NOT_TRUE": value is not True,
        "IS_FALSE": value is False,
        "IS_NOT_FALSE": value is not False,
        "IS_UNKNOWN": value is None,
        "IS_NOT_UNKNOWN": value is not None,
    }.get(test, UNKNOWN)


def _column(fields: Node, env: Env) -> object:
    names = string_list(fields.get("fields"))
    if len(names) == 1 and len(fields.get("fields") or []) == 1:
        name = names[0].lower()
        if name in env.variables:
            return env.variables[name]
    return UNKNOWN


def _case(fields: Node, env: Env) -> object:
    arg = fields.get("arg")
    results: list[object] = []
    undecided = False
    for when in fields.get("args") or []:
        typed = node_type(when)
        if typed is None:
            return UNKNOWN
        cond_node, result_node = typed[1].get("expr"), typed[1].get("result")
        cond = as_bool(
            _compare("=", arg, cond_node, env) if arg is not None else _fold(cond_node, env)
        )
        result = _fold(result_node, env)
        if cond is True and not undecided:
            return result
        if cond is UNKNOWN:
            undecided = True
        if cond is not False and cond is not None:
            results.append(result)
    default = _fold(fields.get("defresult"), env) if fields.get("defresult") else None
    if not undecided:
        return default
    results.append(default)
    first = results[0]
    if first is not UNKNOWN and all(r == first and type(r) is type(first) for r in results):
        return first
    return UNKNOWN


def _coalesce(fields: Node, env: Env) -> object:
    for arg in fields.get("args") or []:
        value = _fold(arg, env)
        if value is UNKNOWN or value is not None:
            return value
    return None


def _min_max(fields: Node, env: Env) -> object:
    values = [_fold(arg, env) for arg in fields.get("args") or []]
    if any(v is UNKNOWN for v in values):
        return UNKNOWN
    present = [v for v in values if v is not None]
    if not present:
        return None
    return max(present) if fields.get("op") == "IS_GREATEST" else min(present)  # type: ignore[type-var]


def _simple_select(node: Any) -> Node | None:
    """The fields of a SELECT with no FROM, no set operation: a constant row."""
    typed = node_type(node)
    if typed is None or typed[0] != "SelectStmt":
        return None
    fields = typed[1]
    if fields.get("op", "SETOP_NONE") != "SETOP_NONE" or fields.get("fromClause"):
        return None
    if fields.get("valuesLists") or fields.get("withClause"):
        return None
    return fields


def _self_scan(node: Any, env: Env) -> Node | None:
    """The fields of `SELECT … FROM <the table being changed> [alias] [WHERE …]`, with
    nothing else narrowing it (no LIMIT, OFFSET, GROUP BY, HAVING, set operation), or None."""
    typed = node_type(node)
    if typed is None or typed[0] != "SelectStmt" or not env.targets:
        return None
    fields = typed[1]
    narrowing = ("limitCount", "limitOffset", "havingClause", "groupClause", "withClause")
    if fields.get("op", "SETOP_NONE") != "SETOP_NONE" or any(fields.get(k) for k in narrowing):
        return None
    sources = fields.get("fromClause") or []
    source = node_type(sources[0]) if len(sources) == 1 else None
    if source is None or source[0] != "RangeVar":
        return None
    if str(source[1].get("relname", "")) not in env.targets:
        return None
    return fields


def _holds_for_itself(scan: Node, env: Env) -> object:
    """Whether a self scan's WHERE holds when the scanned row is the row being changed: its
    names for the table (alias, name) and the outer ones are read as one row. True when it
    always does (`WHERE true`, `WHERE o2.id = orders.id`), else UNKNOWN (or False)."""
    where = scan.get("whereClause")
    if where is None:
        return True
    source = node_type((scan.get("fromClause") or [None])[0]) or ("", {})
    alias = (source[1].get("alias") or {}).get("aliasname")
    names = env.targets | {str(source[1].get("relname", ""))} | ({str(alias)} if alias else set())
    inner = Env(targets=env.targets)
    return as_bool(_fold_bool(strip_qualifiers(where, frozenset(names)), inner))


def _returns_nothing(node: Any) -> bool:
    """A query with a WHERE clause that is never true and no aggregate (which would still
    return one row): `SELECT id FROM t WHERE false`."""
    typed = node_type(node)
    if typed is None or typed[0] != "SelectStmt":
        return False
    fields = typed[1]
    if fields.get("op", "SETOP_NONE") != "SETOP_NONE" or fields.get("havingClause"):
        return False
    if "whereClause" not in fields or fields.get("groupClause"):
        return False
    if any(kind == "FuncCall" for kind, _ in iter_nodes(fields.get("targetList"))):
        return False
    truth = as_bool(_fold_bool(fields.get("whereClause"), Env()))
    return truth is False or truth is None


def _sublink(fields: Node, env: Env) -> object:
    kind = fields.get("subLinkType", "")
    sub = fields.get("subselect")
    simple = _simple_select(sub)
    if kind == "EXISTS_SUBLINK":
        if simple is not None:
            where = simple.get("whereClause")
            if where is None:
                return True
            truth = as_bool(_fold(where, env))
            return truth is True if isinstance(truth, bool) or truth is None else UNKNOWN
        if _returns_nothing(sub):
            return False
        scan = _self_scan(sub, env)
        if scan is not None and _holds_for_itself(scan, env) is True:
            return True  # the row being changed is its own witness
        return UNKNOWN
    if kind == "EXPR_SUBLINK" and simple is not None:
        targets = simple.get("targetList") or []
        if len(targets) == 1 and simple.get("whereClause") is None:
            target = node_type(targets[0])
            return _fold(target[1].get("val"), env) if target else UNKNOWN
        return UNKNOWN
    if kind == "ANY_SUBLINK":
        operator = string_list(fields.get("operName"))
        if operator and operator != ["="]:
            return UNKNOWN
        if _returns_nothing(sub):
            return False  # x IN (an empty set)
        scan = _self_scan(sub, env)
        test = node_type(fields.get("testexpr"))
        targets = (scan or {}).get("targetList") or []
        if scan is None or test is None or test[0] != "ColumnRef" or len(targets) != 1:
            return UNKNOWN
        column = node_type((node_type(targets[0]) or ("", {}))[1].get("val"))
        if column is None or column[0] != "ColumnRef":
            return UNKNOWN
        mine = string_list(test[1].get("fields"))
        theirs = string_list(column[1].get("fields"))
        if mine and theirs and mine[-1] == theirs[-1] and _holds_for_itself(scan, env) is True:
            return True  # id IN (SELECT id FROM the same table …): every row with an id
    return UNKNOWN


# --- functions we evaluate on constant arguments --------------------------------------


def _format(args: list[object]) -> object:
    fmt, rest = args[0], list(args[1:])
    if not isinstance(fmt, str):
        return UNKNOWN
    out: list[str] = []
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch != "%":
            out.append(ch)
            i += 1
            continue
        spec = fmt[i + 1 : i + 2]
        i += 2
        if spec == "%":
            out.append("%")
            continue
        if spec not in ("s", "I", "L") or not rest:
            return UNKNOWN
        value = rest.pop(0)
        if spec == "s":
            out.append("" if value is None else _text(value))
        elif spec == "I":
            out.append(_quote_ident(_text(value)))
        else:
            out.append("NULL" if value is None else _quote_literal(_text(value)))
    return "".join(out)


def _quote_ident(text: str) -> str:
    if re.fullmatch(r"[a-z_][a-z0-9_$]*", text):
        return text
    return '"' + text.replace('"', '""') + '"'


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _decode(data: str, fmt: str) -> bytes:
    fmt = fmt.lower()
    if fmt == "base64":
        return base64.b64decode(data, validate=False)
    if fmt == "hex":
        return binascii.unhexlify(data)
    if fmt == "escape":
        return data.encode("latin-1")
    raise ValueError(fmt)


def _substr(text: str, start: int, length: int | None = None) -> str:
    begin = max(start - 1, 0)
    if length is None:
        return text[begin:]
    end = start - 1 + length
    return text[begin : max(end, 0)]


def _repeat(text: str, count: int) -> object:
    if len(text) * max(count, 0) > MAX_STRING:
        return UNKNOWN
    return text * max(count, 0)


_STRING_FUNCS: dict[str, Callable[..., object]] = {
    "lower": lambda s: s.lower(),
    "upper": lambda s: s.upper(),
    "initcap": lambda s: s.title(),
    "reverse": lambda s: s[::-1],
    "length": len,
    "char_length": len,
    "character_length": len,
    "chr": chr,
    "btrim": lambda s, c=" ": s.strip(c),
    "ltrim": lambda s, c=" ": s.lstrip(c),
    "rtrim": lambda s, c=" ": s.rstrip(c),
    "replace": lambda s, a, b: s.replace(a, b) if a else s,
    "translate": lambda s, a, b: s.translate(
        {ord(c): (b[i] if i < len(b) else None) for i, c in enumerate(a)}
    ),
    "left": lambda s, n: s[:n],
    "right": lambda s, n: s[-n:] if n else "",
    "substr": _substr,
    "substring": _substr,
    "repeat": _repeat,
    "split_part": lambda s, d, n: (s.split(d) + [""] * n)[n - 1] if n > 0 and d else "",
    "quote_ident": _quote_ident,
    "quote_literal": _quote_literal,
    "quote_nullable": _quote_literal,
    "decode": _decode,
    "encode": lambda b, f: base64.b64encode(b).decode() if f == "base64" else b.hex(),
    "convert_from": lambda b, enc: b.decode("utf-8"),
    "convert_to": lambda s, enc: s.encode("utf-8"),
    "abs": abs,
}


def _func(fields: Node, env: Env) -> object:
    names = string_list(fields.get("funcname"))
    if not names or (len(names) > 1 and names[0] != "pg_catalog"):
        return UNKNOWN
    name = names[-1]
    args = [_fold(a, env) for a in fields.get("args") or []]
    if any(a is UNKNOWN for a in args):
        return UNKNOWN
    if name in ("concat", "concat_ws"):
        if name == "concat_ws":
            if not args or args[0] is None:
                return None
            sep, parts = _text(args[0]), [a for a in args[1:] if a is not None]
            return sep.join(_text(a) for a in parts)
        return "".join(_text(a) for a in args if a is not None)
    if name == "format":
        return _format(args) if args else UNKNOWN
    fn = _STRING_FUNCS.get(name)
    if fn is None or any(a is None for a in args):
        return None if fn is not None else UNKNOWN
    result = fn(*args)
    if isinstance(result, str) and len(result) > MAX_STRING:
        return UNKNOWN
    return result


def _array(fields: Node, env: Env) -> object:
    return [_fold(e, env) for e in fields.get("elements") or []]


def _const(fields: Node, env: Env) -> object:
    return const_value(fields)


_HANDLERS: dict[str, Callable[[Node, Env], object]] = {
    "A_Const": _const,
    "TypeCast": _cast,
    "A_Expr": _expr,
    "BoolExpr": _bool_expr,
    "NullTest": _null_test,
    "BooleanTest": _boolean_test,
    "ColumnRef": _column,
    "CaseExpr": _case,
    "CoalesceExpr": _coalesce,
    "MinMaxExpr": _min_max,
    "SubLink": _sublink,
    "FuncCall": _func,
    "A_ArrayExpr": _array,
}
