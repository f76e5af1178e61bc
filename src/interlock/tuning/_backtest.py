"""`interlock policy backtest`: what a changed policy set or rules file would have decided.

Each recorded decision is replayed twice through the pure gate, from the classified actions
its record holds: once with the policies and rules in force now, once with the candidate
ones. A decision that comes out differently is listed, with the recorded decision beside it.
Comparing two replays (not the replay with the record) means only the change is measured:
what a replay cannot rebuild is the same on both sides.

What can and cannot be replayed (docs/classifiers/tuning.md says it too):

- replayed: the shell, SQL, HTTP, GraphQL and MCP decisions of every enforcement point and
  `interlock check --record`: the agent's grant (as registered now), attempts on Interlock,
  rules and the Cedar policies, from the actions as classified then;
- not replayed: the classification itself (a classifier change needs the payload, which is
  never recorded — only a keyed digest of it), decisions an enforcement point made by its
  own rule (the hooks' file rules, the PostgreSQL proxy's fences, a safeguard it could not
  take), and the baseline's anomaly score (0 in a replay).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from interlock.enforce import SAFEGUARD_UNAVAILABLE
from interlock.gate import GRANT_POLICY, Gate
from interlock.model import SELF_PROTECTION_RULE, Agent, Decision, Resource
from interlock.policy import PolicyBundle
from interlock.tuning._recorded import REPLAYABLE_KINDS, RecordedDecision

_GATE_STEPS = frozenset({GRANT_POLICY, SELF_PROTECTION_RULE})


@dataclass(frozen=True, slots=True)
class Change:
    """One recorded decision that the candidate policies or rules decide differently."""

    record: RecordedDecision
    before: Decision  # replayed with the policies and rules in force
    after: Decision  # replayed with the candidate ones

    def to_json(self) -> dict[str, Any]:
        r = self.record
        return {
            "seq": r.seq,
            "ts": r.ts.isoformat(timespec="seconds"),
            "source": r.source,
            "agent": r.agent,
            "resource": r.resource,
            "environment": r.environment,
            "kind": r.kind,
            "what": r.what(),
            "recorded": r.outcome,
            "shadow": r.shadow,
            "before": _side(self.before),
            "after": _side(self.after),
        }


@dataclass(frozen=True, slots=True)
class Backtest:
    replayed: int
    skipped: Mapping[str, int]
    changes: tuple[Change, ...]

    def to_json(self) -> dict[str, Any]:
        moved: dict[str, int] = {}
        for change in self.changes:
            key = f"{change.before.outcome.value}->{change.after.outcome.value}"
            moved[key] = moved.get(key, 0) + 1
        return {
            "replayed": self.replayed,
            "skipped": dict(self.skipped),
            "changed": len(self.changes),
            "moves": moved,
            "changes": [c.to_json() for c in self.changes],
        }


def backtest(
    decisions: Sequence[RecordedDecision],
    current: PolicyBundle,
    candidate: PolicyBundle,
    *,
    agents: Mapping[str, Agent] | None = None,
    resources: Mapping[str, Resource] | None = None,
) -> Backtest:
    """Replay `decisions` under `current` and `candidate`; list those that change."""
    now, then = Gate(current), Gate(candidate)
    known = set(current.policies) | set(candidate.policies) | _GATE_STEPS
    agents_by_id = {a.id: a for a in (agents or {}).values() if a.id}
    skipped: dict[str, int] = {}
    changes: list[Change] = []
    replayed = 0
    for record in decisions:
        why = _unreplayable(record, known)
        if why:
            skipped[why] = skipped.get(why, 0) + 1
            continue
        principal = _principal(record, agents or {}, agents_by_id)
        resource = _resource(record, resources or {})
        actions = [a.action for a in record.actions]
        before = now.decide(principal, resource, actions, stated_reason=record.stated_reason)
        after = then.decide(principal, resource, actions, stated_reason=record.stated_reason)
        replayed += 1
        if _differs(before, after):
            changes.append(Change(record, before, after))
    return Backtest(replayed, skipped, tuple(changes))


def _unreplayable(record: RecordedDecision, known: set[str]) -> str:
    if record.kind not in REPLAYABLE_KINDS:
        return f"{record.kind or 'unknown'} decisions (an enforcement point's own rules)"
    if not record.actions:
        return "no classified actions recorded"
    if SAFEGUARD_UNAVAILABLE in record.policies:
        return "a safeguard the enforcement point could not take"
    if any(p not in known for p in record.policies):
        return "decided by an enforcement point's own rule"
    return ""


def _principal(
    record: RecordedDecision, by_name: Mapping[str, Agent], by_id: Mapping[str, Agent]
) -> Agent:
    found = by_id.get(record.agent_id) if record.agent_id else None
    if found is None:
        found = by_name.get(record.agent)
    return found if found is not None else Agent(name=record.agent, id=record.agent_id)


def _resource(record: RecordedDecision, catalogue: Mapping[str, Resource]) -> Resource:
    known = catalogue.get(record.resource)
    if known is not None:
        return known
    return Resource(name=record.resource, environment=record.environment or "production")


def _differs(before: Decision, after: Decision) -> bool:
    if before.outcome is not after.outcome:
        return True
    return [d.outcome for d in before.actions] != [d.outcome for d in after.actions]


def _side(decision: Decision) -> dict[str, Any]:
    return {
        "decision": decision.outcome.value,
        "risk": decision.risk.value,
        "policies": list(decision.policies),
        "rules": sorted({d.rule for d in decision.actions if d.rule}),
    }
