"""An agent's grant: environments, resources and the highest verb class, and how it narrows.

A child token's scope is computed from its parent's by `narrow`, which refuses (never
silently clamps) every request that would widen any dimension: the parent learns exactly
which part of its request was too broad.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from interlock.config import parse_duration as parse_duration
from interlock.errors import InputError
from interlock.identity._errors import WideningRefused
from interlock.model import Verb

GRANTABLE_VERBS = (Verb.READ, Verb.WRITE, Verb.DESTRUCTIVE, Verb.PRIVILEGE)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


@dataclass(frozen=True, slots=True)
class Scope:
    """What a token may reach. `resources` None means every resource of its environments."""

    environments: frozenset[str]
    resources: frozenset[str] | None
    max_verb: Verb

    def describe(self) -> str:
        resources = ", ".join(sorted(self.resources)) if self.resources is not None else "any"
        return (
            f"environments {', '.join(sorted(self.environments))}; resources {resources}; "
            f"at most {self.max_verb.value}"
        )


def check_name(name: str, what: str) -> str:
    """A name for an agent, user, resource or environment: letters, digits, `.`, `_`, `-`."""
    if not _NAME.match(name):
        raise InputError(
            f"{what} name {name!r} is not valid: use 1-63 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def parse_verb(value: str) -> Verb:
    """`read`, `write`, `destructive` or `privilege` (an agent is never granted `unknown`).

    The grant is a ladder (`Verb.grant_rank`): each step includes the ones below it, and
    `privilege` (creating or widening credentials and privileges) sits above `destructive`,
    so only a grant that names it includes it.
    """
    try:
        verb = Verb(value.strip().lower())
    except ValueError:
        verb = Verb.UNKNOWN
    if verb not in GRANTABLE_VERBS:
        raise InputError(
            f"risk {value!r} is not valid: expected read, write, destructive or privilege"
        )
    return verb


def make_scope(
    environments: Iterable[str], resources: Iterable[str] | None, max_verb: Verb
) -> Scope:
    envs = frozenset(check_name(e, "environment") for e in environments)
    if not envs:
        raise InputError("an agent needs at least one environment (--env)")
    res = None if resources is None else frozenset(check_name(r, "resource") for r in resources)
    if res is not None and not res:
        res = None
    return Scope(envs, res, max_verb)


def narrow(
    parent: Scope,
    *,
    environments: Iterable[str] | None = None,
    resources: Iterable[str] | None = None,
    max_verb: Verb | None = None,
) -> Scope:
    """The child scope asked for, which must lie inside `parent`; None inherits the parent's.

    Raises `WideningRefused` naming every dimension that would widen.
    """
    envs = parent.environments if environments is None else frozenset(environments)
    # An empty resource list means "every resource" to `make_scope`; for a child it can only
    # mean "inherit", or it would widen a parent limited to named resources.
    res = parent.resources if not resources else frozenset(resources)
    verb = parent.max_verb if max_verb is None else max_verb
    problems = []
    extra_envs = envs - parent.environments
    if extra_envs:
        problems.append(f"environment(s) {', '.join(sorted(extra_envs))} not in the parent's grant")
    if parent.resources is not None:
        if res is None:
            problems.append("every resource requested, the parent is limited to some")
        elif res - parent.resources:
            extra = ", ".join(sorted(res - parent.resources))
            problems.append(f"resource(s) {extra} not in the parent's grant")
    if verb.grant_rank > parent.max_verb.grant_rank:
        problems.append(f"risk {verb.value} above the parent's {parent.max_verb.value}")
    if problems:
        raise WideningRefused(
            "a child token cannot be broader than its parent: " + "; ".join(problems)
        )
    return make_scope(envs, res, verb)


def format_duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds <= 0:
        return "0s"
    out = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            out.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(out[:2])
