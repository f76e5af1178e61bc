"""Interlock: a safety interlock between AI agents and production systems.

    >>> import interlock
    >>> interlock.check("sql", "DROP TABLE users").outcome
    <Outcome.HOLD: 'hold'>

The public surface: `check` (the same answer as `interlock check`), `Gate` (the decision
core), the model types, and the error hierarchy rooted at `InterlockError`.
"""

from __future__ import annotations

from interlock.errors import InputError, InterlockError, PayloadError, PolicyError
from interlock.model import (
    Action,
    ActionDecision,
    Agent,
    Decision,
    Human,
    Outcome,
    Resource,
    Verb,
)

__all__ = [
    "Action",
    "ActionDecision",
    "Agent",
    "Decision",
    "Gate",
    "Human",
    "InputError",
    "InterlockError",
    "Outcome",
    "PayloadError",
    "PolicyError",
    "Resource",
    "Verb",
    "check",
]

__version__ = "0.1.0"

_default_checker = None


def check(
    kind: str,
    payload: object,
    *,
    env: str | None = None,
    agent: str | None = None,
    resource: str | None = None,
) -> Decision:
    """What would Interlock decide for this input, with the built-in default policies?"""
    global _default_checker
    from interlock.checking import Checker, CheckRequest

    if _default_checker is None:
        _default_checker = Checker()
    return _default_checker.check(CheckRequest(kind, payload, env, agent, resource))


def __getattr__(name: str) -> object:
    # The gate pulls in Cedar; import it only when asked for.
    if name == "Gate":
        from interlock.gate import Gate

        return Gate
    raise AttributeError(name)
