"""What the API and the console show: approval requests with everything a human needs,
and audit records filtered the way the console asks.

An approval request as stored holds the gate's decision (actions with the classifier's
detail, reasons, policies, safeguards) but not who the agent works for; the view adds the
agent's owner and task from the registry, the agent's stated reason from the decision's
audit record, the text of the policies that held it, the blast radius and whether the
agent's owner may approve.
"""

from __future__ import annotations

import time
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


def relative(seconds: float) -> str:
    """`in 4 min` / `3 min ago`: what a human in a hurry reads (the ISO time is the title)."""
    ahead = seconds >= 0
    n = abs(int(seconds))
    if n < 60:
        text = f"{n} s"
    elif n < 3600:
        text = f"{n // 60} min"
    elif n < 86400:
        text = f"{n // 3600} h {n % 3600 // 60} min"
    else:
        text = f"{n // 86400} d"
    return f"in {text}" if ahead else f"{text} ago"


def _record_body(plane: ControlPlane, request: ApprovalRequest) -> Mapping[str, Any]:
    """The hold's decision record: what the enforcement point saw besides the decision."""
    if not request.decision_seq:
        return {}
    record = plane.audit.store.get(request.decision_seq)
    return record.body if record is not None else {}


def _strings(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _blast(value: object) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    return [
        {
            "table": m["table"],
            "rows": m.get("rows") if isinstance(m.get("rows"), int) else None,
            "exact": bool(m.get("exact")),
            "bytes": m.get("bytes") if isinstance(m.get("bytes"), int) else None,
        }
        for m in value
        if isinstance(m, Mapping) and isinstance(m.get("table"), str)
    ]


def size_text(count: object) -> str:
    if not isinstance(count, int):
        return "?"
    size = float(count)
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return "?"


def approval_view(
    plane: ControlPlane, request: ApprovalRequest, now: float | None = None
) -> dict[str, Any]:
    view = request.to_json()
    now = time.time() if now is None else now
    decision = request.detail
    owner, task = plane.agent_owner(request)
    body = _record_body(plane, request)
    stated = str(body.get("stated_reason", ""))
    actions = [a for a in decision.get("actions", []) if isinstance(a, Mapping)]
    blast = _blast(body.get("blast"))
    measured = [m["rows"] for m in blast if isinstance(m.get("rows"), int)]
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
    upstream = body.get("upstream")
    waits = body.get("agent_waits")
    wait_until = (
        request.created_at + float(waits) if isinstance(waits, int | float) and waits > 0 else None
    )
    live = view["status"] in ("pending", "approved", "scheduled")
    view_actions = [
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
    ]
    irreversible = [
        a for a in view_actions if not a["reversible"] and a["risk"] in ("destructive", "unknown")
    ]
    confirm = ""
    if irreversible and request.environment in PRODUCTION_NAMES:
        first = irreversible[0]["targets"]
        confirm = str(first[0]) if first else request.resource
    requested = [str(s) for s in decision.get("safeguards", [])]
    view.update(
        agent_owner=owner,
        agent_task=task,
        agent_status=plane.agent_status(request),
        stated_reason=stated,
        reason_from=str(body.get("reason_from", "")),
        risk=decision.get("risk", "unknown"),
        actions=view_actions,
        reasons=list(decision.get("reasons", [])),
        policies=policies,
        safeguards=_strings(body.get("safeguards_will_run")),
        safeguards_requested=requested,
        safeguards_unavailable=[
            s
            for s in requested
            if s.partition(":")[0] not in _strings(body.get("safeguards_will_run"))
        ],
        blast_radius=sum(measured) if measured else (sum(radii) if radii else None),
        blast_measured=blast,
        blast_sizes=[size_text(m.get("bytes")) for m in blast],
        upstream=dict(upstream) if isinstance(upstream, Mapping) else {},
        owner_separation=separation.required,
        owner_separation_because=separation.because,
        created_relative=relative(request.created_at - now),
        expires_relative=relative(request.expires_at - now),
        expires_epoch=request.expires_at,
        agent_waiting=bool(
            live and view["status"] == "pending" and wait_until and now < wait_until
        ),
        agent_wait_until=wait_until,
        agent_wait_relative=relative(wait_until - now) if wait_until else "",
        agent_wait_until_iso=iso(wait_until) if wait_until else "",
        confirm_target=confirm if view["status"] == "pending" else "",
    )
    # The agent wrote the targets, details and its stated reason: also requests stored
    # before their detail was redacted are shown masked.
    return dict(redact_value(view))


PRODUCTION_NAMES = frozenset({"production", "prod"})


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
    bookkeeping: bool = True,
    type_: str | None = None,
    agent: str | None = None,
    resource: str | None = None,
    decision: str | None = None,
) -> bool:
    if type_ and record.type != type_:
        return False
    if not bookkeeping and not type_ and record.type in BOOKKEEPING:
        return False
    if agent and record_agent(record) != agent:
        return False
    if resource and record_resource(record) != resource:
        return False
    return not (decision and record_decision(record) != decision)


def query(
    records: Iterable[AuditRecord],
    limit: int,
    *,
    bookkeeping: bool = True,
    **filters: str | None,
) -> list[AuditRecord]:
    """The newest `limit` records matching `filters`, newest first."""
    kept: deque[AuditRecord] = deque(maxlen=max(1, min(limit, MAX_AUDIT_PAGE)))
    for record in records:
        if matches(record, bookkeeping=bookkeeping, **filters):
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


def record_json(record: AuditRecord, results: Mapping[int, str] | None = None) -> dict[str, Any]:
    view = {
        **record.to_json(),
        "agent": record_agent(record),
        "resource": record_resource(record),
        "decision": record_decision(record),
        "summary": record_summary(record),
    }
    if results is not None and record.type == "decision":
        view["result"] = results.get(record.seq, view["decision"])
    return view


# Records that say a session opened or closed: kept in the chain, hidden by default in the
# console's audit view, where they would bury the decisions.
BOOKKEEPING = frozenset({"session"})
_ENDED = {"denied": "denied", "cancelled": "cancelled", "expired": "expired"}


def decision_results(records: Iterable[AuditRecord]) -> dict[int, str]:
    """What became of each decision, by its record number: "approved and ran", "denied",
    "expired", or the enforcement point's outcome ("forwarded", "abandoned", …). A hold
    that a human approved and that then ran shows that, not "hold"."""
    outcomes: dict[int, str] = {}
    approvals: dict[int, str] = {}
    for record in records:
        seq = record.body.get("decision_seq")
        if not isinstance(seq, int):
            continue
        if record.type == "outcome" and isinstance(record.body.get("outcome"), str):
            outcomes[seq] = str(record.body["outcome"])
        elif record.type == "approval" and isinstance(record.body.get("event"), str):
            approvals[seq] = str(record.body["event"])
    results: dict[int, str] = {}
    for seq in set(outcomes) | set(approvals):
        event, outcome = approvals.get(seq, ""), outcomes.get(seq, "")
        if event in _ENDED:
            results[seq] = _ENDED[event]
        elif outcome == "approved" or event == "used":
            results[seq] = "approved and ran"
        elif event == "approved":
            results[seq] = "approved, not yet run"
        elif outcome:
            results[seq] = outcome
    return results
