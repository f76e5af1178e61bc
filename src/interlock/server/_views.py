"""What the API and the console show: approval requests with everything a human needs,
and audit records filtered the way the console asks.

An approval request as stored holds the gate's decision (actions with the classifier's
detail, reasons, policies, safeguards) but not who the agent works for; the view adds the
agent's owner and task from the registry, the agent's stated reason from the decision's
audit record, the text of the policies that held it, the blast radius and whether the
agent's owner may approve.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from interlock.approvals import ApprovalRequest
from interlock.audit import AuditRecord
from interlock.redact import redact_value

if TYPE_CHECKING:
    from interlock.server._plane import ControlPlane

MAX_AUDIT_PAGE = 500


def resource_rows(plane: ControlPlane) -> list[dict[str, Any]]:
    """Registered resources, then those declared in interlock.toml (which have no upstream or
    credential here), each saying where it comes from."""
    registered = [{**r.to_json(), "source": "registry"} for r in plane.resources.resources()]
    configured = [
        {
            "name": r.name,
            "kind": r.kind,
            "environment": r.environment,
            "tags": sorted(r.tags),
            "owner": r.owner,
            "upstream": "",
            "credential": "none",
            "source": "interlock.toml",
        }
        for r in plane.home.load_config().resources.values()
    ]
    return registered + configured


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def approval_view(plane: ControlPlane, request: ApprovalRequest) -> dict[str, Any]:
    view = request.to_json()
    decision = request.detail
    owner, task = plane.agent_owner(request)
    stated = ""
    if request.decision_seq:
        record = plane.audit.store.get(request.decision_seq)
        if record is not None:
            stated = str(record.body.get("stated_reason", ""))
    actions = [a for a in decision.get("actions", []) if isinstance(a, Mapping)]
    radii = [a["blast_radius"] for a in actions if isinstance(a.get("blast_radius"), int)]
    policies = []
    for policy_id in decision.get("policies", []):
        policy = plane.bundle.policies.get(str(policy_id))
        if policy is None:
            policies.append({"id": str(policy_id), "reason": "", "text": "", "where": ""})
        else:
            policies.append(
                {
                    "id": policy.id,
                    "reason": policy.reason,
                    "text": policy.text,
                    "where": f"{policy.path}:{policy.line}",
                }
            )
    separation = plane.separation(request)
    view.update(
        agent_owner=owner,
        agent_task=task,
        stated_reason=stated,
        risk=decision.get("risk", "unknown"),
        actions=[
            {
                "operation": a.get("operation", ""),
                "risk": a.get("risk", ""),
                "targets": list(a.get("targets", [])),
                "detail": a.get("detail", ""),
                "reason": a.get("reason", ""),
                "reversible": bool(a.get("reversible", False)),
                "blast_radius": a.get("blast_radius"),
                "decision": a.get("decision", ""),
            }
            for a in actions
        ],
        reasons=list(decision.get("reasons", [])),
        policies=policies,
        safeguards=list(decision.get("safeguards", [])),
        blast_radius=sum(radii) if radii else None,
        owner_separation=separation.required,
        owner_separation_because=separation.because,
    )
    # The agent wrote the targets, details and its stated reason: also requests stored
    # before their detail was redacted are shown masked.
    return dict(redact_value(view))


# --- audit --------------------------------------------------------------------------------


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def record_agent(record: AuditRecord) -> str:
    body = record.body
    principal = body.get("principal")
    if isinstance(principal, Mapping) and principal.get("type") == "agent":
        return _text(principal.get("name"))
    return _text(body.get("agent"))


def record_resource(record: AuditRecord) -> str:
    resource = record.body.get("resource")
    if isinstance(resource, Mapping):
        return _text(resource.get("name"))
    return _text(resource)


def record_decision(record: AuditRecord) -> str:
    decision = record.body.get("decision")
    if isinstance(decision, Mapping):
        return _text(decision.get("decision"))
    return ""


def matches(
    record: AuditRecord,
    *,
    type_: str | None = None,
    agent: str | None = None,
    resource: str | None = None,
    decision: str | None = None,
) -> bool:
    if type_ and record.type != type_:
        return False
    if agent and record_agent(record) != agent:
        return False
    if resource and record_resource(record) != resource:
        return False
    return not (decision and record_decision(record) != decision)


def query(records: Iterable[AuditRecord], limit: int, **filters: str | None) -> list[AuditRecord]:
    """The newest `limit` records matching `filters`, newest first."""
    kept: deque[AuditRecord] = deque(maxlen=max(1, min(limit, MAX_AUDIT_PAGE)))
    for record in records:
        if matches(record, **filters):
            kept.append(record)
    return list(reversed(kept))


def record_summary(record: AuditRecord) -> str:
    """One line for a table: the event, outcome, request or first reason."""
    body = record.body
    for key in ("event", "outcome", "summary"):
        if isinstance(body.get(key), str) and body[key]:
            text = str(body[key])
            if key == "event" and isinstance(body.get("id"), str):
                text += f" {body['id']}"
            return text[:200]
    decision = body.get("decision")
    if isinstance(decision, Mapping):
        reasons = decision.get("reasons")
        if isinstance(reasons, list) and reasons:
            return str(reasons[0])[:200]
    return ""


def record_json(record: AuditRecord) -> dict[str, Any]:
    return {
        **record.to_json(),
        "agent": record_agent(record),
        "resource": record_resource(record),
        "decision": record_decision(record),
        "summary": record_summary(record),
    }
