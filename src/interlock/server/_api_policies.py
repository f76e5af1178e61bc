"""`/v1/policies`: read the policies in force, validate candidate files, try an action.

"Try an action" classifies and decides like `interlock check` and names the policies that
decided each action, with their text. It is a what-if: nothing is recorded, nothing runs.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from interlock.checking import coerce_payload, request_from_mapping
from interlock.errors import InterlockError, PolicyError
from interlock.model import Decision, Human
from interlock.policy import PolicyBundle, load_policies, load_policy_texts
from interlock.server._auth import ROLES_ADMIN, ApiRefusal, api_human, plane_of
from interlock.server._models import TryBody, ValidateBody

router = APIRouter(prefix="/v1/policies", tags=["policies"])
AnyHuman = Annotated[Human, Depends(api_human())]
Admin = Annotated[Human, Depends(api_human(*ROLES_ADMIN))]


def bundle_json(bundle: PolicyBundle) -> dict[str, Any]:
    return {
        "version": bundle.version,
        "sources": list(bundle.sources),
        "policies": [
            {
                "id": p.id,
                "effect": p.effect,
                "path": p.path,
                "line": p.line,
                "text": p.text,
                "annotations": dict(p.annotations),
                "approvable": p.approvable,
                "approvers": p.approvers if p.approvable else 0,
                "safeguards": list(p.safeguards),
                "reason": p.reason,
            }
            for p in bundle.policies.values()
        ],
    }


@router.get("", summary="The policies in force")
def read(request: Request, human: AnyHuman) -> dict[str, Any]:
    return bundle_json(plane_of(request).bundle)


def validate_files(plane: Any, body: ValidateBody) -> dict[str, Any]:
    try:
        if body.files:
            bundle = load_policy_texts((f.name, f.text) for f in body.files)
        else:
            bundle = load_policies(plane.home.load_config().policy_paths)
    except PolicyError as exc:
        return {
            "valid": False,
            "error": {"message": str(exc), "path": exc.path, "line": exc.line},
        }
    except InterlockError as exc:
        return {"valid": False, "error": {"message": str(exc), "path": None, "line": None}}
    return {"valid": True, "policies": len(bundle.policies), "version": bundle.version}


@router.post("/validate", summary="Validate policy files (or the home's) against the schema")
def validate(body: ValidateBody, request: Request, human: AnyHuman) -> dict[str, Any]:
    return validate_files(plane_of(request), body)


@router.post("/reload", summary="Load the home's policies again (admin)")
def reload(request: Request, human: Admin) -> dict[str, Any]:
    plane = plane_of(request)
    try:
        bundle = plane.reload_policies()
    except InterlockError as exc:
        raise ApiRefusal(422, f"the policies in force are unchanged: {exc}") from None
    plane.audit.append(
        "server", {"event": "policies_reloaded", "version": bundle.version, "by": human.name}
    )
    return {"version": bundle.version, "policies": len(bundle.policies)}


def try_action(plane: Any, body: TryBody) -> dict[str, Any]:
    """The decision and, per action, the deciding policies with their text."""
    try:
        check = request_from_mapping(
            {
                "kind": body.kind,
                "payload": coerce_payload(body.kind, body.payload),
                "env": body.env,
                "agent": body.agent,
                "resource": body.resource,
                "reason": body.reason,
            }
        )
        checker = plane.what_if_checker()
        decision: Decision = checker.check(check)
    except InterlockError as exc:
        raise ApiRefusal(422, str(exc)) from None
    policies = plane.bundle.policies
    deciding = []
    for item in decision.actions:
        found = []
        for policy_id in item.policies:
            policy = policies.get(policy_id)
            found.append(
                {
                    "id": policy_id,
                    "text": policy.text if policy else "",
                    "where": f"{policy.path}:{policy.line}" if policy else "the agent's grant",
                    "reason": policy.reason if policy else "",
                }
            )
        deciding.append(
            {
                "operation": item.action.operation,
                "decision": item.outcome.value,
                "reasons": list(item.reasons),
                "policies": found,
            }
        )
    return {**decision.to_json(), "deciding": deciding, "policies_version": plane.bundle.version}


@router.post("/try", summary="Try an action: the decision and the policies that made it")
def try_(body: TryBody, request: Request, human: AnyHuman) -> dict[str, Any]:
    return try_action(plane_of(request), body)
