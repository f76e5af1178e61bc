"""Code that runs later, on other statements: triggers, rules and event triggers.

Creating one is judged by what it will do when it fires, not by the CREATE itself. Its body
(a rule's actions, the function a trigger runs) is judged "firing" (`Analyser.firing`): an
UPDATE or DELETE there reaches the rows chosen by whatever fires it, so a body that deletes
`WHERE id = NEW.id` empties a table as soon as someone runs `INSERT INTO t SELECT id FROM u`.
Every UPDATE or DELETE in a body is therefore destructive, whatever its WHERE clause.

A trigger that runs a function this input does not define is unknown (its body cannot be
seen), except for the few built-in trigger functions that only touch the row being written.
A rule `DO INSTEAD NOTHING`, or `DO INSTEAD` actions that change nothing, silently drops every
INSERT, UPDATE or DELETE it is attached to: destructive.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from interlock.classify.sql._common import R, W, destroy, write
from interlock.classify.sql._finding import Finding, combine, unknown
from interlock.classify.sql._tree import Node, relation_name, string_list

if TYPE_CHECKING:
    from interlock.classify.sql._analyser import Analyser

__all__ = ["create_trigger", "rule"]

# Built-in trigger functions that only change the row being written (or skip a no-op write).
_ROW_ONLY_TRIGGERS = frozenset(
    {
        "suppress_redundant_updates_trigger",
        "tsvector_update_trigger",
        "tsvector_update_trigger_column",
    }
)


def create_trigger(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    op = "CREATE EVENT TRIGGER" if "eventname" in fields else "CREATE TRIGGER"
    target = relation_name(fields.get("relation")) or str(fields.get("trigname", ""))
    names = string_list(fields.get("funcname"))
    function = ".".join(names)
    when = f"on {fields.get('eventname')}" if "eventname" in fields else f"on changes to {target}"
    own = write(op, f"{op} runs {function}() {when}", (target,))
    defined = an.functions.get(names[-1]) if names else None
    if defined is None:
        if (
            names
            and names[-1] in _ROW_ONLY_TRIGGERS
            and (len(names) == 1 or names[0] == "pg_catalog")
        ):
            return own
        return unknown(
            op,
            f"{op} runs {function}(), whose body is not in this input: what it does each time "
            "it fires cannot be seen",
            (target,),
        )
    if defined.verb.severity > W.severity:
        return Finding(
            defined.verb,
            op,
            f"{op} attaches {names[-1]}(), whose body {defined.reason}",
            (target, *defined.targets),
            privilege=defined.privilege,
        )
    return own


def rule(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    table = relation_name(fields.get("relation"))
    event = str(fields.get("event", "")).removeprefix("CMD_")
    actions = list(fields.get("actions") or [])
    with an.firing():
        found = [an.statement(action, "", depth) for action in actions]
        found += an.scan(fields.get("whereClause"), depth)
    changes = any(f.verb is not R for f in found)
    if fields.get("instead") and event in ("INSERT", "UPDATE", "DELETE") and not changes:
        what = "NOTHING" if not actions else "actions that change nothing"
        return destroy(
            "CREATE RULE",
            f"CREATE RULE replaces every {event} on {table} with {what}: they are silently dropped",
            (table,),
        )
    verb = "replaces" if fields.get("instead") else "adds to"
    own = write("CREATE RULE", f"CREATE RULE {verb} every {event} on {table}", (table,))
    return combine(own, found)
