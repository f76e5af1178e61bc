"""Approval requests for held statements, through `interlock.approvals`.

A hold opens (or finds) a request bound to this agent, this resource and this exact
statement text — a keyed fingerprint, so a changed byte is a different statement the
approval does not cover. When a human has approved it (`interlock approvals approve ID`) and
the agent sends the same statement again — or while the session still waits for it (wait
for approval mode) — the request is claimed (single use) and the statement runs, safeguards
first.
"""

from __future__ import annotations

from interlock.approvals import ApprovalRequest, ApprovalStore, Status, action_fingerprint
from interlock.model import Agent, Decision, Resource

SOURCE = "proxy:pg"


class ApprovalBook:
    """The PostgreSQL proxy's view of the approval store."""

    def __init__(self, store: ApprovalStore, hmac_key: bytes) -> None:
        self.store = store
        self._key = hmac_key

    def fingerprint(self, agent: Agent, resource: Resource, text: str) -> str:
        return action_fingerprint(self._key, ("pg", agent.id or agent.name, resource.name, text))

    def request(
        self, agent: Agent, resource: Resource, text: str, decision: Decision, decision_seq: int
    ) -> str:
        """The id of the pending (or approved, not yet used) request for this statement."""
        summary = "; ".join(
            d.action.detail or d.action.operation
            for d in decision.actions
            if d.outcome is decision.outcome
        )
        request = self.store.open_request(
            fingerprint=self.fingerprint(agent, resource, text),
            agent=agent,
            resource=resource,
            decision=decision,
            summary=f"SQL on {resource.name}: {summary}"[:500],
            source=SOURCE,
            decision_seq=decision_seq or None,
        )
        return request.id

    def take_granted(self, agent: Agent, resource: Resource, text: str) -> str | None:
        """Claim the approved request for this very statement, if there is one."""
        fingerprint = self.fingerprint(agent, resource, text)
        found = self.store.find_approved(fingerprint, agent.id or agent.name)
        if found is None:
            return None
        claimed = self.store.claim(found.id, fingerprint)
        return claimed.id if claimed is not None else None

    def status(self, request_id: str) -> Status:
        """What a waiting session polls: one indexed read."""
        return self.store.status(request_id)

    def get(self, request_id: str) -> ApprovalRequest:
        return self.store.get(request_id)

    def claim(self, request_id: str, agent: Agent, resource: Resource, text: str) -> bool:
        """Use the approved request `request_id` for this very statement, once."""
        fingerprint = self.fingerprint(agent, resource, text)
        return self.store.claim(request_id, fingerprint) is not None
