"""What the agent is told: every response Interlock writes itself (never the upstream's).

The words of a verdict (what was stopped, why, what to do next) come from the pipeline
(`Verdict.message` and `.hint`, the same for every enforcement point); this module puts
them, with the facts an agent or its tooling can act on, into a JSON body.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from interlock.approvals import Status
from interlock.enforce import Verdict
from interlock.model import Outcome


@dataclass(frozen=True, slots=True)
class Reply:
    """A response Interlock writes itself (never the upstream's)."""

    status: int
    body: dict[str, object]
    headers: tuple[tuple[str, str], ...] = ()

    def encode(self) -> bytes:
        return json.dumps(self.body, ensure_ascii=False).encode() + b"\n"


def verdict_reply(verdict: Verdict) -> Reply:
    """The 403 for a request that does not run now: refused by policy or by a human, or
    held for (or lapsed without) a human's approval."""
    approval = verdict.approval
    if approval is not None and approval.status in (Status.DENIED, Status.CANCELLED):
        return refused_by_human_reply(verdict)
    if verdict.outcome is Outcome.DENY or approval is None:
        return deny_reply(verdict)
    return hold_reply(verdict)


def deny_reply(verdict: Verdict) -> Reply:
    decision = verdict.decision
    return Reply(
        403,
        {
            "error": "denied_by_interlock",
            "decision": "deny",
            "message": verdict.text,
            "policies": list(decision.policies),
            "reasons": list(decision.reasons),
            "risk": decision.risk.value,
            "audit_record": verdict.seq,
        },
    )


def hold_reply(verdict: Verdict) -> Reply:
    decision = verdict.decision
    request_id = verdict.approval_id
    return Reply(
        403,
        {
            "error": "approval_required",
            "decision": "hold",
            "approval_request": request_id,
            "message": verdict.text,
            "policies": list(decision.policies),
            "reasons": list(decision.reasons),
            "risk": decision.risk.value,
            "approvers_needed": max(1, decision.approvers),
            "audit_record": verdict.seq,
        },
        (("Interlock-Approval-Request", request_id),),
    )


def refused_by_human_reply(verdict: Verdict) -> Reply:
    """A human denied the approval request, or cancelled the action in its delay window."""
    approval = verdict.approval
    assert approval is not None
    last = approval.votes[-1] if approval.votes else None
    return Reply(
        403,
        {
            "error": f"{approval.status.value}_by_human",
            "decision": "deny",
            "approval_request": approval.id,
            "message": verdict.text,
            "by": last.human if last is not None else "a human",
            "comment": last.comment if last is not None else "",
        },
        (("Interlock-Approval-Request", approval.id),),
    )


def scheduled_reply(verdict: Verdict, runs_in: float) -> Reply:
    """A 202: the action runs after its cancel window, in the background."""
    message = verdict.text
    if verdict.approval is not None and verdict.approval.approvals:
        # A human's approval claimed with a delay: the pipeline's words say it was
        # approved; say when it runs and how to stop it too.
        message = (
            f"{verdict.message}. It runs in {runs_in:.0f} s unless a human cancels it "
            f"(`interlock approvals cancel {verdict.approval_id}`); its outcome is recorded "
            "in the audit log. Do not send it again."
        )
    return Reply(
        202,
        {
            "status": "scheduled",
            "approval_request": verdict.approval_id,
            "runs_in_seconds": round(runs_in, 1),
            "message": message,
        },
        (("Interlock-Approval-Request", verdict.approval_id),),
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


def bad_path_reply(target: str, why: str) -> Reply:
    """A path the proxy will not route (it would leave its route, or servers read it
    differently): 400, nothing forwarded."""
    return Reply(
        400,
        {
            "error": "path_refused",
            "message": f"Interlock does not forward {target.split('?', 1)[0][:200]!r}: {why}. "
            "Send the path without dot segments or encoded separators, under the prefix of "
            "the resource you mean.",
        },
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


def unscannable_reply(resource: str, coding: str, audit_seq: int | None) -> Reply:
    """The upstream ran the request but answered in a coding the credential scrubber cannot
    read: its body is withheld (it could hold the credential)."""
    return Reply(
        502,
        {
            "error": "upstream_answer_unscannable",
            "message": f"The upstream of {resource} ran this request but answered in "
            f"Content-Encoding {coding[:40]!r}, which Interlock cannot scan for the "
            "resource's credential, so the answer was withheld. Do not resend a request that "
            "changes something: check its effect with a read first.",
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
