"""`/v1/approvals`: the queue of held actions, and humans deciding them.

Only humans (approver or admin) see and decide requests; agent tokens are refused and
recorded. The store enforces the rest: only a pending request can be approved (a replay
of an approval is refused), one vote per human (a policy's `@approvers("2")` needs two
distinct people), expiry, single use. Owner separation is checked here, before the store.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from interlock.approvals import ApprovalError, ApprovalRequest, Status, owner_refusal
from interlock.model import Human
from interlock.server._auth import ApiRefusal, api_human, plane_of
from interlock.server._models import CommentBody
from interlock.server._plane import ControlPlane
from interlock.server._views import approval_view

router = APIRouter(prefix="/v1/approvals", tags=["approvals"])
Decider = Annotated[Human, Depends(api_human())]
LIVE = (Status.PENDING, Status.APPROVED, Status.SCHEDULED)
StatusFilter = Literal[
    "live", "all", "pending", "approved", "scheduled", "used", "denied", "cancelled", "expired"
]


@router.get("", summary="Approval requests, newest first (default: the live ones)")
def list_requests(
    request: Request,
    human: Decider,
    status: Annotated[StatusFilter, Query()] = "live",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    plane = plane_of(request)
    statuses = LIVE if status == "live" else None if status == "all" else (Status(status),)
    return [approval_view(plane, r) for r in plane.approvals.requests(statuses, limit=limit)]


def find(plane: ControlPlane, request_id: str) -> ApprovalRequest:
    try:
        return plane.approvals.get(request_id)
    except ApprovalError as exc:
        raise ApiRefusal(404, str(exc)) from None


@router.get("/{request_id}", summary="One request: everything a human needs to decide")
def show(request_id: str, request: Request, human: Decider) -> dict[str, Any]:
    plane = plane_of(request)
    return approval_view(plane, find(plane, request_id))


def decide(
    plane: ControlPlane, request_id: str, human: Human, verb: str, comment: str
) -> ApprovalRequest:
    """Approve, deny or cancel; the refusals as HTTP statuses (404, 403, 409, 410)."""
    current = find(plane, request_id)
    if verb == "approve":
        owner, _ = plane.agent_owner(current)
        refusal = owner_refusal(current, human, owner, plane.separation(current))
        if refusal is not None:
            plane.audit.append(
                "approval",
                {"event": "approval_refused", "id": current.id, "by": human.name, "why": refusal},
            )
            raise ApiRefusal(403, refusal)
    try:
        if verb == "approve":
            return plane.approvals.approve(current.id, human, comment)
        if verb == "deny":
            return plane.approvals.deny(current.id, human, comment)
        return plane.approvals.cancel(current.id, human, comment)
    except ApprovalError as exc:
        status = plane.approvals.status(current.id)
        raise ApiRefusal(410 if status is Status.EXPIRED else 409, str(exc)) from None


@router.post("/{request_id}/approve", summary="Approve (one vote; bound to that exact action)")
def approve(request_id: str, body: CommentBody, request: Request, human: Decider) -> dict[str, Any]:
    plane = plane_of(request)
    return approval_view(plane, decide(plane, request_id, human, "approve", body.comment))


@router.post("/{request_id}/deny", summary="Deny; the agent is told, with the comment")
def deny(request_id: str, body: CommentBody, request: Request, human: Decider) -> dict[str, Any]:
    plane = plane_of(request)
    return approval_view(plane, decide(plane, request_id, human, "deny", body.comment))


@router.post("/{request_id}/cancel", summary="Cancel a scheduled (or not yet used) request")
def cancel(request_id: str, body: CommentBody, request: Request, human: Decider) -> dict[str, Any]:
    plane = plane_of(request)
    return approval_view(plane, decide(plane, request_id, human, "cancel", body.comment))
