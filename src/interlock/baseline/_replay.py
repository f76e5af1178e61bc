"""Profiles learned from the audit log: every recorded decision replayed in order.

The same pure update as live learning (`observe`), fed from decision records instead of
verdicts, so `interlock baseline rebuild` gives the profile the pipeline would have built.
The breaker is not replayed: history does not suspend anyone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from interlock.audit import AuditRecord
from interlock.baseline._profile import Observation, Profile, note_failure, observe
from interlock.config import BaselineSettings, BreakerSettings
from interlock.model import Action, ActionDecision, Outcome, Verb

_NO_BREAKER = BreakerSettings(enabled=False)
_MAX_REMEMBERED = 65_536


def _at(record: AuditRecord) -> float:
    try:
        return datetime.fromisoformat(record.ts).timestamp()
    except ValueError:
        return 0.0


def _actions(decision: dict[str, object]) -> tuple[ActionDecision, ...]:
    found = []
    raw = decision.get("actions")
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        try:
            verb = Verb(str(item.get("risk", "unknown")))
        except ValueError:
            verb = Verb.UNKNOWN
        try:
            outcome = Outcome(str(item.get("decision", "deny")))
        except ValueError:
            outcome = Outcome.DENY
        targets = item.get("targets")
        policies = item.get("policies")
        action = Action(
            str(item.get("protocol", "")),
            str(item.get("operation", "")),
            verb,
            tuple(str(t) for t in targets) if isinstance(targets, list) else (),
            detail=str(item.get("detail", "")),
        )
        found.append(
            ActionDecision(
                action,
                outcome,
                policies=tuple(str(p) for p in policies) if isinstance(policies, list) else (),
            )
        )
    return tuple(found)


def replay(
    records: Iterable[AuditRecord],
    settings: BaselineSettings,
    *,
    only: str | None = None,
) -> dict[str, Profile]:
    """Profiles by key from decision records (`only`: one agent's key)."""
    profiles: dict[str, Profile] = {}
    owner: dict[int, str] = {}
    for record in records:
        body = record.body
        if record.type == "decision":
            principal = body.get("principal") or {}
            decision = body.get("decision") or {}
            resource = body.get("resource") or {}
            if not isinstance(principal, dict) or not isinstance(decision, dict):
                continue
            key = str(principal.get("id") or principal.get("name") or "")
            if not key or (only is not None and key != only):
                continue
            profile = profiles.setdefault(key, Profile(key, str(principal.get("name", key))))
            try:
                outcome = Outcome(str(decision.get("decision", "deny")))
            except ValueError:
                outcome = Outcome.DENY
            observe(
                profile,
                Observation(
                    str(resource.get("environment", "")) if isinstance(resource, dict) else "",
                    str(resource.get("name", "")) if isinstance(resource, dict) else "",
                    _actions(decision),
                    outcome,
                    _at(record),
                    seq=record.seq,
                ),
                settings,
                _NO_BREAKER,
            )
            if len(owner) >= _MAX_REMEMBERED:
                owner.clear()
            owner[record.seq] = key
        elif record.type == "outcome":
            key = owner.get(int(body.get("decision_seq") or 0), "")
            if key in profiles:
                note_failure(
                    profiles[key], str(body.get("outcome", "")), body.get("status"), _at(record)
                )
    return profiles
