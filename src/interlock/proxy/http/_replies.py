"""What the agent is told: every response Interlock writes itself (never the upstream's).

Each reply names what was stopped, why, and what the agent should do next (wait for a
human, tell the user, do not look for another way).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from interlock.model import Decision


@dataclass(frozen=True, slots=True)
class Reply:
    """A response Interlock writes itself (never the upstream's)."""

    status: int
    body: dict[str, object]
    headers: tuple[tuple[str, str], ...] = ()

    def encode(self) -> bytes:
        return json.dumps(self.body, ensure_ascii=False).encode() + b"\n"


def _operations(decision: Decision) -> str:
    deciding = [d for d in decision.actions if d.outcome is decision.outcome] or list(
        decision.actions
    )
    parts = []
    for item in deciding[:3]:
        action = item.action
        on = f" on {', '.join(action.targets[:3])}" if action.targets else ""
        parts.append(f"{action.operation}{on} ({action.verb.value})")
    return "; ".join(parts) or "this request"


def _policy_words(decision: Decision) -> str:
    deciding = [d for d in decision.actions if d.outcome is decision.outcome]
    reasons = list(dict.fromkeys(r for d in deciding for r in d.policy_reasons))
    return "; ".join(reasons[:3]) or "; ".join(decision.reasons[:2])


def deny_reply(decision: Decision, audit_seq: int | None, *, human_note: str = "") -> Reply:
    what = _operations(decision)
    why = human_note or _policy_words(decision)
    message = (
        f"Interlock refused this request: {what}. Why: {why}. Do not retry it and do not look "
        "for another way to do it (other credentials, tokens found in files, other endpoints "
        "or tools): tell the user what you were trying to do and let a human do it or change "
        "your grant."
    )
    return Reply(
        403,
        {
            "error": "denied_by_interlock",
            "decision": "deny",
            "message": message,
            "policies": list(decision.policies),
            "reasons": list(decision.reasons),
            "risk": decision.risk.value,
            "audit_record": audit_seq,
        },
    )


def hold_reply(decision: Decision, request_id: str, audit_seq: int | None, waited: float) -> Reply:
    what = _operations(decision)
    waited_words = f" Waited {waited:.0f} s without a decision." if waited else ""
    message = (
        f"Interlock is holding this request for a human's approval: {what}. Why: "
        f"{_policy_words(decision)}. Approval request {request_id} was created.{waited_words} "
        f"Wait for a human to approve {request_id}; do not look for another way to do this "
        "(other credentials, tokens found in files, other endpoints or tools). Once it is "
        "approved, send exactly the same request again (or send it with `Prefer: wait=300` "
        "to wait for the decision); it will run once."
    )
    return Reply(
        403,
        {
            "error": "approval_required",
            "decision": "hold",
            "approval_request": request_id,
            "message": message,
            "policies": list(decision.policies),
            "reasons": list(decision.reasons),
            "risk": decision.risk.value,
            "approvers_needed": max(1, decision.approvers),
            "audit_record": audit_seq,
        },
        (("Interlock-Approval-Request", request_id),),
    )


def denied_by_human_reply(
    decision: Decision, request_id: str, human: str, comment: str, status: str
) -> Reply:
    said = f': "{comment}"' if comment else ""
    message = (
        f"A human ({human}) {status} approval request {request_id} for {_operations(decision)}"
        f"{said}. It will not run. Do not retry it or look for another way to do it; tell the "
        "user, and continue with other work."
    )
    return Reply(
        403,
        {
            "error": f"{status}_by_human",
            "decision": "deny",
            "approval_request": request_id,
            "message": message,
            "by": human,
            "comment": comment,
        },
        (("Interlock-Approval-Request", request_id),),
    )


def scheduled_reply(decision: Decision, request_id: str, runs_in: float) -> Reply:
    message = (
        f"Interlock scheduled this request: {_operations(decision)}. It runs in {runs_in:.0f} s "
        f"unless a human cancels it (`interlock approvals cancel {request_id}`); its outcome "
        "is recorded in the audit log. Do not send it again."
    )
    return Reply(
        202,
        {
            "status": "scheduled",
            "approval_request": request_id,
            "runs_in_seconds": round(runs_in, 1),
            "message": message,
        },
        (("Interlock-Approval-Request", request_id),),
    )


def unauthorized_reply(generic: str) -> Reply:
    return Reply(
        401,
        {
            "error": "unauthorized",
            "message": (
                f"{generic}. Send your own Interlock agent token as `Authorization: Bearer "
                "ilk_…` (ask the user for one: `interlock agent create`). Do not use other "
                "credentials."
            ),
        },
        (("WWW-Authenticate", 'Bearer realm="interlock"'),),
    )


def no_route_reply(target: str, prefixes: Iterable[str]) -> Reply:
    known = ", ".join(sorted(prefixes)) or "none configured"
    return Reply(
        404,
        {
            "error": "no_such_route",
            "message": f"Interlock fronts no resource at {target.split('?', 1)[0]!r} "
            f"(routes: {known}).",
        },
    )


def too_large_reply(limit: int) -> Reply:
    return Reply(
        413,
        {
            "error": "body_too_large",
            "message": f"The request body is larger than Interlock's {limit}-byte limit, so it "
            "cannot be checked and was not forwarded. Send smaller requests.",
        },
    )


def upstream_failed_reply(status: int, resource: str, why: str, audit_seq: int | None) -> Reply:
    return Reply(
        status,
        {
            "error": "upstream_unavailable" if status == 502 else "upstream_timeout",
            "message": f"Interlock allowed this request but could not complete it: the upstream "
            f"of {resource} {why}. Nothing was changed by Interlock; retry later.",
            "audit_record": audit_seq,
        },
    )


def safeguard_failed_reply(what: str, audit_seq: int | None) -> Reply:
    return Reply(
        409,
        {
            "error": "safeguard_failed",
            "decision": "deny",
            "message": f"Interlock did not forward this request: the safeguard that must run "
            f"first failed ({what}). Do not retry it or look for another way; tell the user.",
            "audit_record": audit_seq,
        },
    )
