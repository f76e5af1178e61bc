"""`POST /v1/decide`: a remote enforcement point asks for an agent's decision.

Authenticated with the agent's own token: the decision is for that agent, under its
grant (environments, resources, most severe verb). The payload is classified and decided
exactly as `interlock check` does, and the decision is recorded (with the agent's stated
reason) before the answer goes back. A hold opens an approval request bound to this exact
input; once a human approves it, the same request from the same agent is allowed once
(the approval is claimed). `Prefer: wait=N` waits up to N seconds for that human.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from interlock.approvals import ApprovalRequest, Status, action_fingerprint
from interlock.audit.chain import canonical_json
from interlock.checking import DEFAULT_ENVIRONMENT, coerce_payload
from interlock.classify import classify
from interlock.errors import InterlockError
from interlock.identity import AgentGrant
from interlock.model import Agent, Decision, Outcome, Resource
from interlock.server._auth import ApiRefusal, api_agent, plane_of
from interlock.server._models import DecideBody
from interlock.server._plane import ControlPlane

router = APIRouter(prefix="/v1", tags=["decide"])
SOURCE = "api:decide"
POLL_SECONDS = 0.1


def prefer_wait(request: Request) -> float:
    for part in request.headers.get("prefer", "").split(","):
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "wait":
            try:
                return max(0.0, float(value.strip()))
            except ValueError:
                return 0.0
    return 0.0


def _resource(plane: ControlPlane, body: DecideBody) -> Resource:
    registered = plane.catalogue().get(body.resource or "")
    if registered is not None:
        return registered  # the registered environment is the truth
    return Resource(
        name=body.resource or f"unregistered-{body.kind}-target",
        environment=body.env or DEFAULT_ENVIRONMENT,
    )


def _summary(kind: str, decision: Decision) -> str:
    parts = []
    for item in decision.actions[:3]:
        action = item.action
        parts.append(action.detail or action.operation)
    return f"{kind}: " + " | ".join(parts)


def _decide(plane: ControlPlane, agent: Agent, body: DecideBody) -> tuple[Decision, Resource, int]:
    if body.payload is None:
        raise ApiRefusal(422, "missing 'payload'")
    try:
        actions = classify(body.kind, coerce_payload(body.kind, body.payload))
    except InterlockError as exc:
        raise ApiRefusal(422, f"the payload cannot be read as {body.kind}: {exc}") from None
    resource = _resource(plane, body)
    decision = plane.gate.decide(agent, resource, actions, stated_reason=body.reason)
    record = plane.audit.append(
        "decision",
        {
            "principal": {"type": "agent", "name": agent.name, "id": agent.id},
            "resource": {"name": resource.name, "environment": resource.environment},
            "kind": body.kind,
            "payload_hmac": plane.audit.fingerprint(canonical_json(body.payload)),
            "decision": decision.to_json(),
            "source": SOURCE,
            **({"stated_reason": body.reason} if body.reason else {}),
        },
    )
    return decision, resource, record.seq


def _answer(
    decision: Decision, seq: int, approval: ApprovalRequest | None, message: str
) -> dict[str, Any]:
    out: dict[str, Any] = {**decision.to_json(), "audit_seq": seq, "message": message}
    if approval is not None:
        out["approval"] = {
            "id": approval.id,
            "status": approval.status.value,
            "approved_by": list(approval.approvals),
        }
    return out


@router.post("/decide", summary="Decide an agent's action (agent token)")
async def decide(
    body: DecideBody, request: Request, grant: Annotated[AgentGrant, Depends(api_agent)]
) -> dict[str, Any]:
    plane = plane_of(request)
    started = time.perf_counter()
    agent = grant.agent
    decision, resource, seq = await run_in_threadpool(_decide, plane, agent, body)
    approval: ApprovalRequest | None = None
    message = "; ".join(decision.reasons[:3])
    if decision.outcome is Outcome.HOLD:
        fingerprint = action_fingerprint(
            plane.hmac_key,
            (agent.id or agent.name, resource.name, body.kind, canonical_json(body.payload)),
        )
        approval = await run_in_threadpool(
            _approved_or_open, plane, fingerprint, agent, resource, decision, body.kind, seq
        )
        wait = min(prefer_wait(request), plane.settings.decide_max_wait)
        deadline = time.monotonic() + wait
        status = approval.status
        while status is Status.PENDING and time.monotonic() < deadline:
            await asyncio.sleep(POLL_SECONDS)
            status = await run_in_threadpool(plane.approvals.status, approval.id)
        if status is Status.APPROVED:
            claimed = await run_in_threadpool(plane.approvals.claim, approval.id, fingerprint)
            if claimed is not None:
                plane.audit.record_outcome(seq, "approved", {"approval_request": claimed.id})
                decision = _approved(decision)
                approval = claimed
                message = f"approved by {', '.join(claimed.approvals)} ({claimed.id}); runs once"
        else:
            approval = await run_in_threadpool(plane.approvals.get, approval.id)
        if decision.outcome is Outcome.HOLD:
            if approval.status in (Status.DENIED, Status.CANCELLED):
                decision = _refused(decision)
                last = approval.votes[-1] if approval.votes else None
                message = f"{approval.status.value} by {last.human if last else 'a human'}" + (
                    f": {last.comment}" if last and last.comment else ""
                )
            else:
                message = (
                    f"held for a human's approval: {message}. Approval request {approval.id} "
                    f"was created; do not look for another way to do this: wait for a human "
                    f"to approve {approval.id}, then send the same request again."
                )
    plane.metrics.observe_decide(time.perf_counter() - started)
    return _answer(decision, seq, approval, message)


def _approved_or_open(
    plane: ControlPlane,
    fingerprint: str,
    agent: Agent,
    resource: Resource,
    decision: Decision,
    kind: str,
    seq: int,
) -> ApprovalRequest:
    found = plane.approvals.find_approved(fingerprint, agent.id or agent.name)
    if found is not None:
        return found
    return plane.approvals.open_request(
        fingerprint=fingerprint,
        agent=agent,
        resource=resource,
        decision=decision,
        summary=_summary(kind, decision),
        source=SOURCE,
        decision_seq=seq,
    )


def _approved(decision: Decision) -> Decision:
    return replace(decision, outcome=Outcome.ALLOW)


def _refused(decision: Decision) -> Decision:
    return replace(decision, outcome=Outcome.DENY)
