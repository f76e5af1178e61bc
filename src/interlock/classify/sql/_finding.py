"""What the analysis of one statement (or one piece of one) concludes.

A `Finding` is an `Action` before it has a protocol and an excerpt: the verb, the operation
name, the objects touched and one sentence of why. Statements are judged by combining the
finding of the statement itself with the findings of everything nested in it (a DELETE in a
WITH query, a dangerous function in a SELECT list, the body of a DO block): the most severe
one decides the verb and the reason.

A privilege effect is never lost to a more severe verdict: a statement that both destroys
(or cannot be read) and creates or widens privileges (`ALTER ROLE app NOLOGIN PASSWORD 'x'`,
a DO block that drops a table and grants a role) keeps the privilege part in
`Finding.privilege`, and the classifier reports it as an action of its own, so that the
grant check and the policies about privilege still see it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from interlock.model import Verb

__all__ = ["MAX_TARGETS", "Finding", "combine", "hidden_privilege", "unknown"]

MAX_TARGETS = 16


@dataclass(frozen=True, slots=True)
class Finding:
    """The verdict on one statement or one nested part of it."""

    verb: Verb
    operation: str
    reason: str
    targets: tuple[str, ...] = ()
    reversible: bool = False
    privilege: Finding | None = None
    """A privilege effect hidden under a more severe verb (see the module docstring)."""


def unknown(operation: str, reason: str, targets: tuple[str, ...] = ()) -> Finding:
    """A finding for something the classifier cannot vouch for (fail closed)."""
    return Finding(Verb.UNKNOWN, operation, reason, targets, False)


def _merge_targets(groups: Iterable[tuple[str, ...]]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for group in groups:
        for target in group:
            if len(seen) >= MAX_TARGETS:
                return tuple(seen)
            seen.setdefault(target, None)
    return tuple(seen)


def combine(own: Finding, nested: Iterable[Finding]) -> Finding:
    """`own` raised to the most severe of `nested`.

    The operation stays the statement's own (`sql:SELECT` for a SELECT whose WITH query
    deletes); the verb and the reason come from whichever part is most severe, and the
    targets of every part that writes or worse are kept, so the action names what it touches.
    """
    nested = list(nested)
    if not nested:
        return own
    worst = max(nested, key=lambda f: f.verb.severity)
    hidden = hidden_privilege([own, *nested])
    targets = _merge_targets(
        [
            own.targets,
            *(f.targets for f in nested if f.verb is not Verb.READ or own.verb is Verb.READ),
        ]
    )
    reversible = own.reversible and all(f.reversible for f in nested if f.verb is not Verb.READ)
    if worst.verb.severity > own.verb.severity:
        verdict = Finding(worst.verb, own.operation, worst.reason, targets, reversible)
    else:
        verdict = replace(own, targets=targets, reversible=reversible)
    if verdict.verb.severity > Verb.PRIVILEGE.severity and hidden is not None:
        return replace(verdict, privilege=hidden)
    return replace(verdict, privilege=None)


def hidden_privilege(findings: Iterable[Finding]) -> Finding | None:
    """The first privilege effect among `findings` (their own verb, or one they carry)."""
    for finding in findings:
        if finding.verb is Verb.PRIVILEGE:
            return replace(finding, privilege=None)
        if finding.privilege is not None:
            return finding.privilege
    return None
