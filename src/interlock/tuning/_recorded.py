"""Decision records read back from the audit log, as the report and the backtest need them.

A decision record never holds the payload (only its keyed digest): it holds the decision as
`Decision.to_json` wrote it, and with it each classified action (protocol, operation, verb
class, targets, reversibility, blast radius, the classifier's reason and a short, redacted
excerpt). That is what a replay rebuilds. The outcome records that follow (approved,
denied, forwarded, …) are joined to their decision by `decision_seq`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from interlock.audit import AuditRecord
from interlock.model import Action, Verb

REPLAYABLE_KINDS = frozenset({"shell", "sql", "http", "graphql", "mcp"})


@dataclass(frozen=True, slots=True)
class RecordedAction:
    """One classified action of a recorded decision, and what the gate said of it."""

    action: Action  # as the classifier produced it (before any rule)
    outcome: str
    policies: tuple[str, ...]
    rule: str = ""
    risk: str = ""  # the verb class it was judged as (after the rule, if any)


@dataclass(frozen=True, slots=True)
class RecordedDecision:
    """One decision record, with the outcomes recorded after it."""

    seq: int
    ts: datetime
    source: str
    kind: str
    agent: str
    agent_id: str
    resource: str
    environment: str
    outcome: str  # the gate's decision (what would have applied, in shadow mode)
    enforced: str  # what happened at once: the outcome, or `allow` where shadow mode let it
    shadow: bool
    risk: str
    policies: tuple[str, ...]
    reasons: tuple[str, ...]
    actions: tuple[RecordedAction, ...]
    payload_hmac: str
    stated_reason: str = ""
    outcomes: tuple[str, ...] = field(default=())

    @property
    def deciding(self) -> tuple[RecordedAction, ...]:
        """The actions whose outcome is the decision's (what made it a hold or a refusal)."""
        return tuple(a for a in self.actions if a.outcome == self.outcome) or self.actions

    @property
    def approved(self) -> bool:
        return "approved" in self.outcomes

    @property
    def refused_by_human(self) -> bool:
        return any(o in ("denied", "cancelled") for o in self.outcomes)

    def what(self) -> str:
        """The deciding actions in a few words (redacted excerpts, never the payload)."""
        parts = [a.action.detail or a.action.operation for a in self.deciding]
        return "; ".join(dict.fromkeys(parts))[:200] or self.kind

    def family(self) -> tuple[str, ...]:
        """Requests that are "the same kind of thing": kind, resource and deciding actions'
        operations and excerpts (the digest is per exact payload, too narrow)."""
        return (
            self.kind,
            self.resource,
            *sorted({a.action.detail or a.action.operation for a in self.deciding}),
        )


def read_decisions(records: Iterable[AuditRecord], since: datetime) -> list[RecordedDecision]:
    """The decision records at or after `since`, each with the outcomes recorded after it."""
    decisions: dict[int, RecordedDecision] = {}
    outcomes: dict[int, list[str]] = {}
    for record in records:
        if record.type == "outcome":
            seq = record.body.get("decision_seq")
            if isinstance(seq, int) and seq in decisions:
                outcomes.setdefault(seq, []).append(str(record.body.get("outcome", "")))
            continue
        if record.type != "decision":
            continue
        ts = _timestamp(record.ts)
        if ts is None or ts < since:
            continue
        parsed = _decision(record, ts)
        if parsed is not None:
            decisions[record.seq] = parsed
    return [_with_outcomes(d, tuple(outcomes.get(seq, ()))) for seq, d in sorted(decisions.items())]


def _with_outcomes(decision: RecordedDecision, found: tuple[str, ...]) -> RecordedDecision:
    if not found:
        return decision
    from dataclasses import replace

    return replace(decision, outcomes=found)


def _timestamp(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _decision(record: AuditRecord, ts: datetime) -> RecordedDecision | None:
    body = record.body
    gate = body.get("decision")
    if not isinstance(gate, Mapping):
        return None
    principal = body.get("principal") if isinstance(body.get("principal"), Mapping) else {}
    resource = body.get("resource") if isinstance(body.get("resource"), Mapping) else {}
    assert isinstance(principal, Mapping) and isinstance(resource, Mapping)
    outcome = str(gate.get("decision", "deny"))
    shadow = body.get("shadow") is True
    return RecordedDecision(
        seq=record.seq,
        ts=ts,
        source=str(body.get("source", "")),
        kind=str(body.get("kind", "")),
        agent=str(principal.get("name", "")),
        agent_id=str(principal.get("id", "")),
        resource=str(resource.get("name", "")),
        environment=str(resource.get("environment", "")),
        outcome=outcome,
        enforced=str(body.get("enforced", outcome)) if shadow else outcome,
        shadow=shadow,
        risk=str(gate.get("risk", "unknown")),
        policies=_strings(gate.get("policies")),
        reasons=_strings(gate.get("reasons")),
        actions=tuple(_action(a) for a in gate.get("actions", []) if isinstance(a, Mapping)),
        payload_hmac=str(body.get("payload_hmac", "")),
        stated_reason=str(body.get("stated_reason", "")),
    )


def _action(raw: Mapping[str, Any]) -> RecordedAction:
    risk = str(raw.get("risk", "unknown"))
    classified = str(raw.get("classified_risk", risk))
    try:
        verb = Verb(classified)
    except ValueError:
        verb = Verb.UNKNOWN
    blast = raw.get("blast_radius")
    protocol = str(raw.get("protocol", ""))
    action = Action(
        protocol=protocol,
        operation=str(raw.get("operation", f"{protocol}:unknown")),
        verb=verb,
        targets=_strings(raw.get("targets")),
        reversible=raw.get("reversible") is True,
        blast_radius=blast if isinstance(blast, int) and not isinstance(blast, bool) else None,
        reason=_classifier_reason(str(raw.get("reason", "")), classified),
        detail=str(raw.get("detail", "")),
    )
    return RecordedAction(
        action=action,
        outcome=str(raw.get("decision", "deny")),
        policies=_strings(raw.get("policies")),
        rule=str(raw.get("rule", "")),
        risk=risk,
    )


def _classifier_reason(reason: str, classified: str) -> str:
    """The classifier's own reason, without the words a rule put before it."""
    marker = f"; classified {classified}: "
    return reason.split(marker, 1)[1] if reason.startswith("rule ") and marker in reason else reason


def _strings(value: object) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()
