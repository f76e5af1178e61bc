"""`POST /v1/decide`: a remote enforcement point asks for an agent's decision.

Authenticated with the agent's own token: the decision is for that agent, under its
grant (environments, resources, most severe verb). The payload is classified and decided
exactly as `interlock check` does, and the decision is recorded (with the agent's stated
reason) before the answer goes back. A hold opens an approval request bound to this exact
input; once a human approves it, the same request from the same agent is allowed once
(the approval is claimed). `Prefer: wait=N` waits up to N seconds for that human.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from interlock.audit import canonical_json
from interlock.checking import coerce_payload
from interlock.classify import classify
from interlock.enforce import ActionRequest, ApprovalWaiter, Verdict
from interlock.errors import InterlockError
from interlock.identity import AgentGrant
from interlock.model import Agent, Outcome, Resource
from interlock.server._auth import ApiRefusal, api_agent, plane_of
from interlock.server._models import DecideBody
from interlock.server._plane import ControlPlane

router = APIRouter(prefix="/v1", tags=["decide"])
SOURCE = "api:decide"
UNREGISTERED_ENVIRONMENT = "production"


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
    """The registered resource; anything else is production. The caller is the agent being
    judged, so an environment it names for a resource nobody registered (an invented name
    with `env: staging`) would let it pick its own rules: `env` is never trusted."""
    registered = plane.catalogue().get(body.resource or "")
    if registered is not None:
        return registered  # the registered environment is the truth
    return Resource(
        name=body.resource or f"unregistered-{body.kind}-target",
        environment=UNREGISTERED_ENVIRONMENT,
    )


def _decide(plane: ControlPlane, agent: Agent, body: DecideBody) -> Verdict:
    if body.payload is None:
        raise ApiRefusal(422, "missing 'payload'")
    try:
        actions = classify(body.kind, coerce_payload(body.kind, body.payload))
    except InterlockError as exc:
        raise ApiRefusal(422, f"the payload cannot be read as {body.kind}: {exc}") from None
    request = ActionRequest(
        source=SOURCE,
        agent=agent,
        resource=_resource(plane, body),
        kind=body.kind,
        payload=canonical_json(body.payload),
        stated_reason=body.reason,
    )
    return plane.point.decide(request, actions)


def _answer(verdict: Verdict) -> dict[str, Any]:
    decision = replace(verdict.decision, outcome=verdict.outcome)
    out: dict[str, Any] = {
        **decision.to_json(),
        "audit_seq": verdict.seq,
        "message": verdict.text,
    }
    if verdict.shadow:  # shadow mode: allowed, and what enforcing would have decided
        out["shadow"] = {"decision": verdict.decision.outcome.value}
    if verdict.approval is not None:
        out["approval"] = {
            "id": verdict.approval.id,
            "status": verdict.approval.status.value,
            "approved_by": list(verdict.approval.approvals),
        }
    return out


@router.post("/decide", summary="Decide an agent's action (agent token)")
async def decide(
    body: DecideBody, request: Request, grant: Annotated[AgentGrant, Depends(api_agent)]
) -> dict[str, Any]:
    plane = plane_of(request)
    started = time.perf_counter()
    verdict = await run_in_threadpool(_decide, plane, grant.agent, body)
    if verdict.outcome is Outcome.HOLD and verdict.approval is not None:
        wait = min(prefer_wait(request), plane.settings.decide_max_wait)
        waiter = ApprovalWaiter(plane.point, run=run_in_threadpool)
        verdict = await waiter.wait(verdict, wait)
    plane.metrics.observe_decide(time.perf_counter() - started)
    return _answer(verdict)
