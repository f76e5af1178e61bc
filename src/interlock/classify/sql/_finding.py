"""What the analysis of one statement (or one piece of one) concludes.

A `Finding` is an `Action` before it has a protocol and an excerpt: the verb, the operation
name, the objects touched and one sentence of why. Statements are judged by combining the
finding of the statement itself with the findings of everything nested in it (a DELETE in a
WITH query, a dangerous function in a SELECT list, the body of a DO block): the most severe
one decides the verb and the reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from interlock.model import Verb

__all__ = ["MAX_TARGETS", "Finding", "combine", "unknown"]

MAX_TARGETS = 16


@dataclass(frozen=True, slots=True)
class Finding:
    """The verdict on one statement or one nested part of it."""

    verb: Verb
    operation: str
    reason: str
    targets: tuple[str, ...] = ()
    reversible: bool = False


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
    targets = _merge_targets(
        [
            own.targets,
            *(f.targets for f in nested if f.verb is not Verb.READ or own.verb is Verb.READ),
        ]
    )
    reversible = own.reversible and all(f.reversible for f in nested if f.verb is not Verb.READ)
    if worst.verb.severity > own.verb.severity:
        return Finding(worst.verb, own.operation, worst.reason, targets, reversible)
    return replace(own, targets=targets, reversible=reversible)
