"""Evaluate one action against a `PolicyBundle` with Cedar, and explain the answer.

Cedar is a pure function of (policies, entities, request), so answers are memoised on exactly
those inputs: the bundle is fixed per evaluator, and the key holds the principal, resource,
action and stated reason that the entities and request are built from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import cedarpy

from interlock.model import Action, Agent, Human, Outcome, Principal, Resource
from interlock.policy._load import PolicyBundle

_MEMO_LIMIT = 16_384
_AFTER_APPROVAL = (
    "only permits that apply after a human's approval match this action and no forbid holds "
    "it for one, so it is held (to let it run without one, add a rule or a permit of its own)"
)
_ENTITY_LIMIT = 1_024


@dataclass(frozen=True, slots=True)
class PolicyAnswer:
    """What the policies say about one action, with the policies that decided it."""

    outcome: Outcome
    policies: tuple[str, ...]
    reasons: tuple[str, ...]
    safeguards: tuple[str, ...] = ()
    approvers: int = 0


def principal_uid(principal: Principal) -> dict[str, str]:
    if isinstance(principal, Agent):
        return {"type": "Agent", "id": principal.id or principal.name or "unnamed"}
    return {"type": "Human", "id": principal.name}


def resource_uid(resource: Resource) -> dict[str, str]:
    return {"type": "Resource", "id": resource.name}


def cedar_context(action: Action, stated_reason: str, anomaly: int) -> dict[str, object]:
    return {
        "protocol": action.protocol,
        "operation": action.operation,
        "targets": list(action.targets),
        "reversible": action.reversible,
        "blast_radius": -1 if action.blast_radius is None else action.blast_radius,
        "anomaly": anomaly,
        "stated_reason": stated_reason,
    }


def cedar_request(
    principal: Principal, resource: Resource, action: Action, stated_reason: str, anomaly: int
) -> dict[str, object]:
    return {
        "principal": principal_uid(principal),
        "action": {"type": "Action", "id": action.verb.value},
        "resource": resource_uid(resource),
        "context": cedar_context(action, stated_reason, anomaly),
    }


def _entities_json(principal: Principal, resource: Resource) -> str:
    if isinstance(principal, Agent):
        p_attrs: dict[str, object] = {
            "name": principal.name,
            "owner": principal.owner,
            "task": principal.task,
        }
    else:
        assert isinstance(principal, Human)
        p_attrs = {"name": principal.name, "role": principal.role}
    r_attrs = {
        "name": resource.name,
        "environment": resource.environment,
        "kind": resource.kind,
        "tags": sorted(resource.tags),
        "owner": resource.owner,
    }
    return json.dumps(
        [
            {"uid": principal_uid(principal), "attrs": p_attrs, "parents": []},
            {"uid": resource_uid(resource), "attrs": r_attrs, "parents": []},
        ]
    )


class PolicyEvaluator:
    """Answers "what do the policies say about this action?" for one policy bundle."""

    def __init__(self, bundle: PolicyBundle) -> None:
        self.bundle = bundle
        self._memo: dict[tuple[object, ...], PolicyAnswer] = {}
        self._entities: dict[tuple[Principal, Resource], cedarpy.Entities] = {}

    def evaluate(
        self,
        principal: Principal,
        resource: Resource,
        action: Action,
        *,
        stated_reason: str = "",
        anomaly: int = 0,
    ) -> PolicyAnswer:
        key = (principal, resource, action, stated_reason, anomaly)
        answer = self._memo.get(key)
        if answer is None:
            answer = self._evaluate(principal, resource, action, stated_reason, anomaly)
            if len(self._memo) >= _MEMO_LIMIT:
                self._memo.clear()
            self._memo[key] = answer
        return answer

    def _entities_for(self, principal: Principal, resource: Resource) -> cedarpy.Entities:
        key = (principal, resource)
        entities = self._entities.get(key)
        if entities is None:
            entities = cedarpy.Entities.from_json_str(
                _entities_json(principal, resource), schema=self.bundle.schema
            )
            if len(self._entities) >= _ENTITY_LIMIT:
                self._entities.clear()
            self._entities[key] = entities
        return entities

    def _evaluate(
        self,
        principal: Principal,
        resource: Resource,
        action: Action,
        stated_reason: str,
        anomaly: int,
    ) -> PolicyAnswer:
        bundle = self.bundle
        request = cedar_request(principal, resource, action, stated_reason, anomaly)
        # Entities are built with the schema (so action groups resolve); passing the schema
        # again here would only re-validate the request we built ourselves.
        entities = self._entities_for(principal, resource)
        result = cedarpy.is_authorized(request, bundle.policy_set, entities)
        fired = tuple(result.diagnostics.reasons)
        if result.diagnostics.errors:
            # A policy that errors is skipped by Cedar; a skipped forbid must not let
            # anything through, so any evaluation error refuses the action.
            return PolicyAnswer(
                Outcome.DENY,
                fired,
                (
                    "a policy failed to evaluate; refusing to be safe: "
                    + "; ".join(str(e) for e in result.diagnostics.errors)[:300],
                ),
            )
        if result.allowed:
            if all(bundle.policies[pid].after_approval for pid in fired):
                # Only permits that apply after a human's approval matched, and no forbid
                # held the action for one: hold it, rather than allow it citing an approval
                # that never happened (a shipped forbid edited away does this).
                return PolicyAnswer(
                    Outcome.HOLD,
                    fired,
                    (*self._reasons(fired), _AFTER_APPROVAL),
                    self._safeguards(fired),
                    approvers=1,
                )
            return PolicyAnswer(Outcome.ALLOW, fired, self._reasons(fired), self._safeguards(fired))
        if not fired:
            return PolicyAnswer(Outcome.DENY, (), (_default_deny(action, resource),))
        forbids = [bundle.policies[pid] for pid in fired]
        if not all(p.approvable for p in forbids):
            hard = tuple(p.id for p in forbids if not p.approvable)
            return PolicyAnswer(Outcome.DENY, hard, self._reasons(hard))
        underlying = cedarpy.is_authorized(request, bundle.permits_only, entities)
        if not underlying.allowed or underlying.diagnostics.errors:
            return PolicyAnswer(Outcome.DENY, fired, (_default_deny(action, resource),))
        permits = tuple(underlying.diagnostics.reasons)
        return PolicyAnswer(
            Outcome.HOLD,
            fired,
            self._reasons(fired),
            self._safeguards(permits),
            approvers=max(p.approvers for p in forbids),
        )

    def _reasons(self, policy_ids: tuple[str, ...]) -> tuple[str, ...]:
        policies = self.bundle.policies
        return tuple(
            f"{pid}: {policies[pid].reason}" if policies[pid].reason else f"policy {pid}"
            for pid in policy_ids
        )

    def _safeguards(self, policy_ids: tuple[str, ...]) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for pid in policy_ids:
            for safeguard in self.bundle.policies[pid].safeguards:
                seen[safeguard] = None
        return tuple(seen)


def _default_deny(action: Action, resource: Resource) -> str:
    return (
        f"no policy permits a {action.verb.value} action on {resource.name} "
        f"({resource.environment})"
    )
