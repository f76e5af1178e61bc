"""Safeguard scheduling: delays only lengthen, a safeguard that cannot run becomes a hold."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from interlock.enforce import (
    DEFAULT_DELAY,
    SAFEGUARD_UNAVAILABLE,
    delay_seconds,
    require_safeguards,
)
from interlock.model import Action, ActionDecision, Decision, Outcome, Verb


def _decision(
    verb: Verb, safeguards: tuple[str, ...], outcome: Outcome = Outcome.ALLOW
) -> Decision:
    action = Action("sql", "sql:DROP TABLE", verb, ("orders",))
    return Decision(
        outcome,
        verb,
        (ActionDecision(action, outcome, ("r",), ("p",), safeguards),),
        ("r",),
        ("p",),
        safeguards,
    )


def test_delay_safeguard_values() -> None:
    assert delay_seconds(_decision(Verb.DESTRUCTIVE, ("delay:45s",))) == 45
    assert delay_seconds(_decision(Verb.DESTRUCTIVE, ("delay:5",)), default=20) == 20
    assert delay_seconds(_decision(Verb.DESTRUCTIVE, ("delay:soon",))) == DEFAULT_DELAY
    assert delay_seconds(_decision(Verb.DESTRUCTIVE, ("snapshot",)), default=7) == 7
    assert delay_seconds(_decision(Verb.WRITE, ("delay:45s",)), default=7) == 0


@given(st.floats(0, 10_000), st.floats(0, 10_000))
def test_a_delay_safeguard_never_shortens_the_points_own(default: float, asked: float) -> None:
    decision = _decision(Verb.UNKNOWN, (f"delay:{asked}s",))
    assert delay_seconds(decision, default) >= default


def test_a_safeguard_the_point_cannot_take_becomes_a_hold() -> None:
    decision = _decision(Verb.DESTRUCTIVE, ("snapshot",))
    held = require_safeguards(decision, lambda name: False, "route 'railway'")
    assert held.outcome is Outcome.HOLD and held.approvers == 1
    assert SAFEGUARD_UNAVAILABLE in held.policies
    assert "route 'railway'" in held.reasons[-1]
    assert require_safeguards(decision, lambda name: name == "snapshot", "x") is decision


def test_only_allowed_dangerous_actions_are_affected() -> None:
    for decision in (
        _decision(Verb.WRITE, ("snapshot",)),
        _decision(Verb.DESTRUCTIVE, ("snapshot",), Outcome.DENY),
    ):
        assert require_safeguards(decision, lambda name: False, "x") is decision


def test_a_point_that_cannot_delay_holds_a_delayed_action() -> None:
    decision = _decision(Verb.DESTRUCTIVE, ("delay:30s",))
    assert require_safeguards(decision, lambda name: name == "delay", "x") is decision
    held = require_safeguards(decision, lambda name: False, "a statement")
    assert held.outcome is Outcome.HOLD and "delay:30s" in held.reasons[-1]
