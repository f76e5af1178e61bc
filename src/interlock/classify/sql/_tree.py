"""Helpers over pgparse's parse tree: a node is `{"TypeName": {fields}}`, fields are plain
values, lists, nested nodes or (for a few fixed-type fields such as `relation`) bare field
dicts. libpg_query leaves out fields whose value is zero, false or empty, so every read here
has a default.

The walkers are iterative: a hostile statement can nest expressions thousands deep, and the
classifier must not hit Python's recursion limit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

__all__ = [
    "Node",
    "const_value",
    "iter_nodes",
    "node_type",
    "qualified_name",
    "relation_name",
    "shape",
    "string_list",
    "strip_qualifiers",
    "substitute_params",
]

Node = dict[str, Any]


def node_type(node: Any) -> tuple[str, Node] | None:
    """`(TypeName, fields)` when `node` is a wrapped node, else None."""
    if isinstance(node, dict) and len(node) == 1:
        ((key, value),) = node.items()
        if key[:1].isupper() and isinstance(value, dict):
            return key, value
    return None


def iter_nodes(root: Any, stop: frozenset[str] = frozenset()) -> Iterator[tuple[str, Node]]:
    """Every wrapped node under `root` (not `root` itself), depth first, in source order.

    A node whose type is in `stop` is yielded but not descended into: the caller analyses
    nested statements on its own.
    """
    stack: list[Any] = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            children = list(item.values())
            if item is not root:
                typed = node_type(item)
                if typed is not None:
                    yield typed
                    if typed[0] in stop:
                        continue
                    children = [typed[1]]
            stack.extend(reversed(children))
        elif isinstance(item, list):
            stack.extend(reversed(item))


def string_list(items: Any) -> list[str]:
    """The `sval`s of a list of String nodes (names like `[public, users]`)."""
    out: list[str] = []
    for item in items or ():
        typed = node_type(item)
        if typed is not None and typed[0] == "String":
            out.append(str(typed[1].get("sval", "")))
    return out


def qualified_name(items: Any) -> str:
    """`a.b.c` from a list of String nodes."""
    return ".".join(string_list(items))


def relation_name(rel: Node | None) -> str:
    """`schema.table` (as written) from a RangeVar's fields."""
    if not rel:
        return ""
    parts = [rel.get("catalogname"), rel.get("schemaname"), rel.get("relname")]
    return ".".join(str(p) for p in parts if p)


def const_value(fields: Node) -> object:
    """The Python value of an A_Const's fields (None for NULL)."""
    if fields.get("isnull"):
        return None
    if "ival" in fields:
        return int(fields["ival"].get("ival", 0))
    if "fval" in fields:
        text = str(fields["fval"].get("fval", "0"))
        try:
            return float(text)
        except ValueError:
            return text
    if "boolval" in fields:
        return bool(fields["boolval"].get("boolval", False))
    if "sval" in fields:
        return str(fields["sval"].get("sval", ""))
    if "bsval" in fields:
        return str(fields["bsval"].get("bsval", ""))
    return None


def shape(node: Any) -> object:
    """A hashable form of `node` without source positions: two expressions with the same
    shape are the same expression, wherever they were written."""
    if isinstance(node, dict):
        return tuple(sorted((k, shape(v)) for k, v in node.items() if k != "location"))
    if isinstance(node, list):
        return tuple(shape(v) for v in node)
    return node


def strip_qualifiers(root: Any, names: frozenset[str]) -> Any:
    """A copy of `root` in which a column qualified by one of `names` (`o.id`, `orders.id`)
    is written unqualified (`id`): two names for the same row read as one.

    Used to find a row that witnesses its own match (`DELETE FROM t USING t t2 WHERE t.id =
    t2.id`: each row joins itself)."""
    if not names:
        return root

    def unqualified(kind: str, node: dict[str, Any]) -> Any:
        if kind != "ColumnRef":
            return _KEEP
        fields = node.get("fields") or []
        qualifier = string_list(fields[:-1])
        if qualifier and qualifier[-1] in names:
            return {"ColumnRef": {**node, "fields": list(fields[-1:])}}
        return _KEEP

    return rewrite(root, unqualified)


def substitute_params(root: Any, values: list[Any]) -> Any:
    """A copy of `root` with each `$n` replaced by the node `values[n-1]` (EXECUTE's
    arguments); a parameter with no value stays as it is."""

    def bound(kind: str, node: dict[str, Any]) -> Any:
        if kind != "ParamRef":
            return _KEEP
        number = int(node.get("number", 0))
        return values[number - 1] if 0 < number <= len(values) else _KEEP

    return rewrite(root, bound)


_KEEP = object()


def rewrite(root: Any, replace: Callable[[str, dict[str, Any]], Any]) -> Any:
    """A copy of `root` in which each typed node for which `replace(kind, fields)` returns
    something other than `_KEEP` is that replacement (not descended into). Iterative, like
    the walkers above: hostile nesting never reaches Python's recursion limit."""
    holder: list[Any] = [None]
    stack: list[tuple[Any, Any, Any]] = [(root, holder, 0)]
    while stack:
        item, parent, key = stack.pop()
        if isinstance(item, dict):
            typed = node_type(item)
            if typed is not None:
                replaced = replace(typed[0], typed[1])
                if replaced is not _KEEP:
                    parent[key] = replaced
                    continue
            copy: dict[str, Any] = {}
            parent[key] = copy
            for name, value in item.items():
                stack.append((value, copy, name))
        elif isinstance(item, list):
            items: list[Any] = [None] * len(item)
            parent[key] = items
            for index, value in enumerate(item):
                stack.append((value, items, index))
        else:
            parent[key] = item
    return holder[0]
