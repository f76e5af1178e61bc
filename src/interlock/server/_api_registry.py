"""`/v1/agents`, `/v1/resources`, `/v1/webhooks`: what humans administer.

Roles: any human (approver or admin) may list, and may suspend an agent (the kill switch
must be one click for whoever is watching); creating agents, resuming, revoking, resources
and webhooks need an admin. Secrets go in, never out: an agent's token is returned once,
by the call that created it; a resource's credential and a webhook's secret never.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from interlock.errors import InterlockError
from interlock.identity import IdentityError, parse_duration
from interlock.model import Human, Verb
from interlock.server._auth import ROLES_ADMIN, ApiRefusal, api_human, plane_of
from interlock.server._models import AgentBody, ResourceBody, WebhookBody
from interlock.server._views import resource_rows

router = APIRouter(prefix="/v1", tags=["agents", "resources", "webhooks"])
AnyHuman = Annotated[Human, Depends(api_human())]
Admin = Annotated[Human, Depends(api_human(*ROLES_ADMIN))]


def refusal(exc: InterlockError) -> ApiRefusal:
    message = str(exc)
    if isinstance(exc, IdentityError) and message.startswith("no "):
        return ApiRefusal(404, message)
    if isinstance(exc, IdentityError):
        return ApiRefusal(409, message)
    return ApiRefusal(422, message)


# --- agents -------------------------------------------------------------------------------


@router.get("/agents", tags=["agents"], summary="Agents (add ?revoked=true for revoked ones)")
def list_agents(request: Request, human: AnyHuman, revoked: bool = False) -> list[dict[str, Any]]:
    plane = plane_of(request)
    now = time.time()
    return [a.to_json(now) for a in plane.agents.agents(include_revoked=revoked)]


@router.post("/agents", tags=["agents"], status_code=201, summary="Create an agent (admin)")
def create_agent(body: AgentBody, request: Request, human: Admin) -> dict[str, Any]:
    plane = plane_of(request)
    try:
        ttl = parse_duration(body.ttl) if body.ttl else None
        record, minted = plane.agents.create(
            human,
            body.name,
            environments=body.environments,
            task=body.task,
            owner=body.owner,
            resources=body.resources,
            max_verb=Verb(body.max_risk),
            ttl=ttl,
        )
    except InterlockError as exc:
        raise refusal(exc) from None
    return {
        **record.to_json(time.time()),
        "token": minted.token,
        "token_note": "shown once: Interlock keeps only its digest",
    }


def _change_agent(request: Request, human: Human, name: str, verb: str) -> dict[str, Any]:
    """Suspend, resume or revoke; the verifier drops its cache so the next request sees it."""
    plane = plane_of(request)
    agents = plane.agents
    change = {"suspend": agents.suspend, "resume": agents.resume, "revoke": agents.revoke}[verb]
    try:
        record = change(human, name)
    except InterlockError as exc:
        raise refusal(exc) from None
    plane.verifier.invalidate()
    return record.to_json(time.time())


@router.get("/agents/{name}", tags=["agents"], summary="One agent (by name or id)")
def show_agent(name: str, request: Request, human: AnyHuman) -> dict[str, Any]:
    try:
        return plane_of(request).agents.get(name).to_json(time.time())
    except InterlockError as exc:
        raise refusal(exc) from None


@router.post("/agents/{name}/suspend", tags=["agents"], summary="Kill switch: suspend now")
def suspend_agent(name: str, request: Request, human: AnyHuman) -> dict[str, Any]:
    return _change_agent(request, human, name, "suspend")


@router.post("/agents/{name}/resume", tags=["agents"], summary="Resume a suspended agent (admin)")
def resume_agent(name: str, request: Request, human: Admin) -> dict[str, Any]:
    return _change_agent(request, human, name, "resume")


@router.post("/agents/{name}/revoke", tags=["agents"], summary="Revoke for good (admin)")
def revoke_agent(name: str, request: Request, human: Admin) -> dict[str, Any]:
    return _change_agent(request, human, name, "revoke")


# --- resources ----------------------------------------------------------------------------


@router.get("/resources", tags=["resources"], summary="Registered and configured resources")
def list_resources(request: Request, human: AnyHuman) -> list[dict[str, Any]]:
    return sorted(resource_rows(plane_of(request)), key=lambda r: str(r["name"]))


@router.post("/resources", tags=["resources"], status_code=201, summary="Register (admin)")
def add_resource(body: ResourceBody, request: Request, human: Admin) -> dict[str, Any]:
    plane = plane_of(request)
    try:
        record = plane.resources.add(
            human,
            body.name,
            kind=body.kind,
            environment=body.environment,
            upstream=body.upstream,
            credential=body.credential,
            tags=body.tags,
            owner=body.owner,
        )
    except InterlockError as exc:
        raise refusal(exc) from None
    plane.forget_catalogue()
    return {**record.to_json(), "source": "registry"}


@router.delete("/resources/{name}", tags=["resources"], summary="Remove (admin)")
def remove_resource(name: str, request: Request, human: Admin) -> dict[str, Any]:
    plane = plane_of(request)
    try:
        plane.resources.remove(human, name)
    except InterlockError as exc:
        raise refusal(exc) from None
    plane.forget_catalogue()
    return {"removed": name}


# --- webhooks -----------------------------------------------------------------------------


@router.get("/webhooks", tags=["webhooks"], summary="Webhooks (secrets never shown) (admin)")
def list_webhooks(request: Request, human: Admin) -> list[dict[str, Any]]:
    try:
        return [w.to_json() for w in plane_of(request).webhooks.all()]
    except InterlockError as exc:
        raise refusal(exc) from None


@router.post("/webhooks", tags=["webhooks"], status_code=201, summary="Add a webhook (admin)")
def add_webhook(body: WebhookBody, request: Request, human: Admin) -> dict[str, Any]:
    try:
        hook = plane_of(request).webhooks.add(
            human.name,
            body.url,
            format=body.format,
            events=list(body.events),
            secret=body.secret,
        )
    except InterlockError as exc:
        raise refusal(exc) from None
    return hook.to_json()


@router.delete("/webhooks/{webhook_id}", tags=["webhooks"], summary="Remove a webhook (admin)")
def remove_webhook(webhook_id: str, request: Request, human: Admin) -> dict[str, Any]:
    try:
        plane_of(request).webhooks.remove(human.name, webhook_id)
    except InterlockError as exc:
        raise refusal(exc) from None
    return {"removed": webhook_id}
