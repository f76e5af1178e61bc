"""What every statement handler shares: the handler signature and table entry, the
constructors of findings, and how names are read off parse-tree nodes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from interlock.classify.sql._finding import Finding
from interlock.classify.sql._fold import UNKNOWN, Env, as_bool, fold
from interlock.classify.sql._tree import Node, node_type, qualified_name, relation_name
from interlock.model import Verb

if TYPE_CHECKING:
    from interlock.classify.sql._analyser import Analyser

__all__ = [
    "D",
    "Entry",
    "Handler",
    "P",
    "R",
    "W",
    "destroy",
    "generic",
    "list_of",
    "listing",
    "names_of",
    "object_name",
    "object_words",
    "option_value",
    "privilege",
    "read",
    "targets_of",
    "write",
]

Handler = Callable[[Node, "Analyser", str, int], Finding]
R, W, P, D = Verb.READ, Verb.WRITE, Verb.PRIVILEGE, Verb.DESTRUCTIVE


@dataclass(frozen=True, slots=True)
class Entry:
    """One row of the statement table: the handler, and whether to walk what is nested."""

    handler: Handler
    scan: bool = True


def read(op: str, reason: str, targets: tuple[str, ...] = ()) -> Finding:
    return Finding(R, op, reason, targets, True)


def write(op: str, reason: str, targets: tuple[str, ...] = (), reversible: bool = True) -> Finding:
    return Finding(W, op, reason, targets, reversible)


def privilege(op: str, reason: str, targets: tuple[str, ...] = ()) -> Finding:
    return Finding(P, op, reason, targets, False)


def destroy(
    op: str, reason: str, targets: tuple[str, ...] = (), *, also: Finding | None = None
) -> Finding:
    """A destructive finding; `also` is a privilege effect of the same statement that the
    destructive verdict would otherwise hide (see `Finding.privilege`)."""
    return Finding(D, op, reason, targets, False, also)


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


def object_name(node: Any) -> str:
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


def names_of(items: Any) -> tuple[str, ...]:
    return tuple(n for n in (object_name(i) for i in items or ()) if n)


def listing(targets: tuple[str, ...]) -> str:
    return ", ".join(targets) if targets else "its objects"


def generic(op: str, verb: Verb = W, what: str = "") -> Handler:
    """A handler for statements judged by their type alone."""

    def handler(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
        targets = targets_of(fields)
        reason = f"{op} {what}".strip() if what else f"{op} changes {listing(targets)}"
        if verb is R:
            return read(op, reason, targets)
        return Finding(verb, op, reason, targets, verb is W)

    return handler


def targets_of(fields: Node) -> tuple[str, ...]:
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
            return names_of(fields.get(key))
    for key in ("object",):
        name = object_name(fields.get(key))
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


def list_of(node: Any) -> list[Any]:
    typed = node_type(node)
    if typed is not None and typed[0] == "List":
        return list(typed[1].get("items") or [])
    return [node] if node is not None else []


def option_value(node: Any) -> object:
    """The truth of a DefElem's argument (`LOGIN`, `security true`, `'off'`), or UNKNOWN."""
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
