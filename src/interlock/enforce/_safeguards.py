"""Safeguard scheduling shared by every enforcement point.

Policies attach safeguards to permits (`@safeguard("snapshot")`, `@safeguard("delay:30s")`).
An enforcement point performs the ones it can (the PostgreSQL proxy snapshots tables, the
HTTP proxy calls a route's snapshot hook, every point can delay); a safeguard it cannot
perform never silently disappears: the action becomes a hold, and a human decides whether it
runs without one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from interlock.model import Decision, Outcome

DEFAULT_DELAY = 30.0
DELAY = "delay"
SAFEGUARD_UNAVAILABLE = "safeguard-unavailable"


def safeguard_name(safeguard: str) -> str:
    """`delay:30s` → `delay`; `snapshot` → `snapshot`."""
    return safeguard.partition(":")[0].strip().lower()


def delay_seconds(decision: Decision, default: float = 0.0) -> float:
    """Seconds an allowed dangerous action waits in its cancel window (0: none).

    `default` is the enforcement point's own delay (an HTTP route's `delay`); a `delay:N`
    safeguard can only lengthen it. A delay without a readable length waits the default, or
    `DEFAULT_DELAY` when there is none: a typo never removes the window.
    """
    if not decision.risk.is_dangerous:
        return 0.0
    seconds = default
    for safeguard in decision.safeguards:
        if safeguard_name(safeguard) != DELAY:
            continue
        value = safeguard.partition(":")[2].strip().lower().rstrip("s")
        try:
            seconds = max(seconds, float(value))
        except ValueError:
            seconds = max(seconds, default or DEFAULT_DELAY)
    return seconds


def missing_safeguards(decision: Decision, can_take: Callable[[str], bool]) -> tuple[str, ...]:
    """The safeguards the policy asks for that this point cannot perform. `can_take` is
    asked about every one, `delay` included (a point that holds connections can delay; one
    that answers at once, like a hook, cannot)."""
    return tuple(s for s in decision.safeguards if not can_take(safeguard_name(s)))


def require_safeguards(decision: Decision, can_take: Callable[[str], bool], where: str) -> Decision:
    """An allowed dangerous action whose safeguard cannot be taken becomes a hold.

    `where` names the enforcement point or route in the reason a human reads.
    """
    if decision.outcome is not Outcome.ALLOW or not decision.risk.is_dangerous:
        return decision
    missing = missing_safeguards(decision, can_take)
    if not missing:
        return decision
    why = (
        f"{SAFEGUARD_UNAVAILABLE}: the policy asks for {', '.join(missing)} before this "
        f"action and {where} cannot take it, so a human must approve running it without one"
    )
    return replace(
        decision,
        outcome=Outcome.HOLD,
        actions=tuple(
            replace(d, outcome=Outcome.HOLD, reasons=(*d.reasons, why))
            if d.action.verb.is_dangerous
            else d
            for d in decision.actions
        ),
        reasons=(*decision.reasons, why),
        policies=(*decision.policies, SAFEGUARD_UNAVAILABLE),
        approvers=max(1, decision.approvers),
    )


def safeguards_context(decision: Decision, can_take: Callable[[str], bool]) -> dict[str, object]:
    """What the decision record says about the policy's safeguards: which this point will
    really take, and which it cannot. The approval page shows only the first as safeguards
    that run; none recorded means none run."""
    if not decision.safeguards:
        return {}
    names = [safeguard_name(s) for s in decision.safeguards]
    return {
        "safeguards_will_run": [n for n in names if can_take(n)],
        "safeguards_unavailable": [n for n in names if not can_take(n)],
    }


def only_takeable(decision: Decision, can_take: Callable[[str], bool], where: str) -> Decision:
    """The decision naming only the safeguards this point will really take, so that an
    approval request, the console and the record never promise one that will not run. A
    hold that loses one says so: approving it runs the action without that safeguard."""
    missing = missing_safeguards(decision, can_take)
    if not missing:
        return decision
    kept = tuple(s for s in decision.safeguards if s not in missing)
    reasons = decision.reasons
    if decision.outcome is Outcome.HOLD and SAFEGUARD_UNAVAILABLE not in decision.policies:
        reasons = (
            *reasons,
            f"{where} cannot take {', '.join(missing)}: once approved it runs without it",
        )
    return replace(
        decision,
        safeguards=kept,
        reasons=reasons,
        actions=tuple(
            replace(d, safeguards=tuple(s for s in d.safeguards if s not in missing))
            for d in decision.actions
        ),
    )
