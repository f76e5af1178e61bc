"""What an agent is told when Interlock stops it: one place, the same words everywhere.

Every text names what was stopped and why, and says what to do next, because an agent that
is only told "no" looks for another way (other credentials, tokens found in files, other
tools). Protocol adapters render `(message, hint)` into a JSON reply, a PostgreSQL error and
its HINT, or a hook's reason.
"""

from __future__ import annotations

from interlock.model import Decision

_NO_DETOUR = (
    "do not look for another way to do this (other credentials, tokens found in files, "
    "other endpoints or tools)"
)

Text = tuple[str, str]


def operations(decision: Decision) -> str:
    """The operations that decided the outcome, for a sentence."""
    deciding = [d.action for d in decision.actions if d.outcome is decision.outcome]
    names = ", ".join(dict.fromkeys(a.operation for a in deciding))
    return names or "this action"


def policy_words(decision: Decision) -> str:
    return "; ".join(decision.reasons[:3]) or "refused by policy"


def allowed(decision: Decision, noun: str) -> Text:
    return f"Interlock allowed this {noun}: {policy_words(decision)}", ""


def denied(decision: Decision, noun: str) -> Text:
    policies = ", ".join(decision.policies) or "no permitting policy"
    return (
        f"Interlock refused this {noun} ({policies}): {operations(decision)}. "
        f"Why: {policy_words(decision)}.",
        f"This is enforced by policy, not a transient error: do not retry it and {_NO_DETOUR}; "
        "tell the user what you were trying to do and let a human do it or change your grant.",
    )


def held(
    decision: Decision, noun: str, request_id: str, *, waited: float = 0.0, wait_hint: str = ""
) -> Text:
    policies = ", ".join(decision.policies) or "policy"
    if waited:
        message = (
            f"Interlock held this {noun} for a human's approval and no human decided within "
            f"{waited:g} s: approval request {request_id} ({policies}): {operations(decision)}."
        )
    else:
        message = (
            f"Interlock is holding this {noun} for a human's approval: approval request "
            f"{request_id} ({policies}): {operations(decision)}."
        )
    how = f" ({wait_hint})" if wait_hint else ""
    return (
        message,
        f"Wait until a human approves {request_id}, then send exactly the same {noun} again"
        f"{how}; it will run once. {_NO_DETOUR[0].upper()}{_NO_DETOUR[1:]}. "
        f"Why: {policy_words(decision)}.",
    )


def shadowed(decision: Decision, noun: str) -> Text:
    """Shadow mode: what would have happened, said plainly; the action runs."""
    would = "held for a human's approval" if decision.outcome.value == "hold" else "refused"
    return (
        f"Interlock (shadow mode, not enforcing) allowed this {noun}; enforcing, it would have "
        f"{would} it ({', '.join(decision.policies) or 'policy'}): {operations(decision)}. "
        f"Why: {policy_words(decision)}.",
        "",
    )


def refused_by_human(
    decision: Decision, noun: str, request_id: str, status: str, human: str, comment: str
) -> Text:
    said = f': "{comment}"' if comment else ""
    return (
        f"A human ({human}) {status} approval request {request_id} for "
        f"{operations(decision)}{said}. It will not run.",
        "Do not retry it or look for another way to do it; tell the user, and continue with "
        "other work.",
    )


def lapsed(noun: str, request_id: str, status: str) -> Text:
    return (
        f"Interlock did not run this {noun}: approval request {request_id} is {status}, "
        "not approved.",
        f"Send the same {noun} again to open a new request, and tell the user.",
    )


def approved(request_id: str, by: tuple[str, ...]) -> Text:
    return f"approved by {', '.join(by) or 'a human'} ({request_id}); allowed once", ""


def scheduled(decision: Decision, noun: str, request_id: str, runs_in: float) -> Text:
    return (
        f"Interlock scheduled this {noun}: {operations(decision)}. It runs in {runs_in:.0f} s "
        f"unless a human cancels it (`interlock approvals cancel {request_id}`); its outcome "
        "is recorded in the audit log.",
        "Do not send it again.",
    )
