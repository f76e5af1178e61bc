"""The PostgreSQL proxy's enforcement point: where statements meet the gate.

`StatementGate.check` is the one place a statement from an agent is classified, decided
and recorded; the session forwards nothing it has not answered. In order:

1. the vault fence: a statement naming `interlock_vault` or `interlock_trash` is refused
   (those schemas hold the safeguards; the agent acts as the resource's role upstream, so
   only this check keeps it out of them);
2. `classify("sql", text)` (cached per statement text by the registry) → actions;
3. `Gate.decide(agent, resource, actions)` (memoised per action by the evaluator);
4. a hold is answered by a granted, unused approval for the very same statement, if any;
   otherwise it opens a request, which the session may wait on (`settle` answers once a
   human has decided: approved → on to step 5; denied, expired or not decided in time →
   the refusal, naming the human and their comment);
5. the audit record is written before the answer goes back; a safeguard plan is attached
   to an allowed destructive statement.

Recording allowed reads: each distinct read statement is recorded the first time a session
sends it (up to `READS_RECORDED_PER_SESSION`); later repeats are counted in the session's
closing record. Writes, destructive statements, refusals and holds are all recorded, every
time, before anything is forwarded.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from interlock.approvals import ApprovalError, Status
from interlock.audit import AuditLog
from interlock.classify import classify
from interlock.errors import InterlockError
from interlock.gate import Gate
from interlock.model import Action, Agent, Decision, Outcome, Resource, Verb
from interlock.proxy.pg._approvals import ApprovalBook
from interlock.proxy.pg._results import Plan
from interlock.proxy.pg._ruling import ALLOW, PendingRuling, Ruling, SafeguardPlan
from interlock.proxy.pg._safeguards import (
    PROTECTED_SCHEMAS,
    SNAPSHOT,
    SNAPSHOT_OPERATIONS,
    SOFT_DROP,
    SOFT_DROP_NAMES,
    Saved,
    snapshot_plan,
    soft_drop_plan,
)
from interlock.proxy.pg._shape import read_shape

VAULT_FENCE = "pg-vault-fence"
SAFEGUARD_RULE = "pg-safeguard-required"
READS_RECORDED_PER_SESSION = 256
_MEMO_LIMIT = 2048


@dataclass(slots=True)
class SessionCounts:
    statements: int = 0
    reads_unrecorded: int = 0
    refused: int = 0
    held: int = 0
    safeguards: int = 0


@dataclass(frozen=True, slots=True)
class SafeguardTaking:
    """A safeguard plan handed to the session: what its record will say once it ran."""

    decision_seq: int
    mode: str  # snapshot | soft_drop
    saved: list[Saved]  # filled by the plan as it goes


@dataclass(slots=True)
class StatementGate:
    """The enforcement point bound to one session's agent and resource."""

    gate: Gate
    agent: Agent
    resource: Resource
    audit: AuditLog | None
    approvals: ApprovalBook | None = None
    session_id: str = ""
    counts: SessionCounts = field(default_factory=SessionCounts)
    _reads_seen: set[str] = field(default_factory=set)
    _memo: dict[str, Decision] = field(default_factory=dict)
    _holds: dict[str, tuple[Decision, int, float]] = field(default_factory=dict)

    # -- the one enforcement point

    def check(self, text: str, *, extended: bool) -> Ruling | PendingRuling:
        """Classify and decide on the event loop; what records or reads approvals (SQLite)
        comes back as a `PendingRuling` that the shell finishes off the loop."""
        self.counts.statements += 1
        decision = self._memo.get(text)
        if decision is not None:  # an allowed read or write seen before in this session
            if decision.risk is Verb.READ:
                self.counts.reads_unrecorded += 1
                return ALLOW
            return PendingRuling(partial(self._allow_recorded, text, decision, extended))
        shape = read_shape(text)
        if shape is not None:
            decision = self._memo.get(shape)
            if decision is not None:  # the same read with other numbers: see `_shape`
                self.counts.reads_unrecorded += 1
                return ALLOW
        fenced = self._fence(text)
        actions = classify("sql", shape) if shape is not None else ()
        if not actions or not all(_plain_read(a) for a in actions):
            actions, shape = classify("sql", text), None
        if fenced is not None:
            decision = _refusal_decision(actions, fenced, VAULT_FENCE)
        else:
            decision = self.gate.decide(self.agent, self.resource, actions)
        if decision.outcome is Outcome.ALLOW and not _dangerous(decision):
            if len(self._memo) >= _MEMO_LIMIT:
                self._memo.clear()
            key = shape if shape is not None else text
            if not decision.safeguards:
                self._memo[key] = decision
            if decision.risk is Verb.READ:
                if key in self._reads_seen or len(self._reads_seen) >= READS_RECORDED_PER_SESSION:
                    self.counts.reads_unrecorded += 1
                    return ALLOW
                self._reads_seen.add(key)
            return PendingRuling(partial(self._allow_recorded, text, decision, extended))
        return PendingRuling(partial(self._decide, text, decision, extended))

    def _allow_recorded(self, text: str, decision: Decision, extended: bool) -> Ruling:
        self._record(text, decision, extended)
        return ALLOW

    def _decide(self, text: str, decision: Decision, extended: bool) -> Ruling:
        """The rest of `check` for a refusal, a hold or a dangerous statement (blocking)."""
        if decision.outcome is Outcome.DENY:
            self._record(text, decision, extended)
            self.counts.refused += 1
            return _deny_ruling(decision)
        approved_by: str | None = None
        if decision.outcome is Outcome.HOLD:
            approved_by = self._approved(text)
            if approved_by is None:
                return self._hold(text, decision, extended)
        seq = self._record(text, decision, extended, approval=approved_by)
        return self._with_safeguard(text, decision, seq, extended, approved=approved_by)

    # -- holds and approvals

    def _approved(self, text: str) -> str | None:
        if self.approvals is None:
            return None
        return self.approvals.take_granted(self.agent, self.resource, text)

    def _hold(self, text: str, decision: Decision, extended: bool) -> Ruling:
        self.counts.held += 1
        seq = self._record(text, decision, extended)
        request_id = "(not recorded: no audit log)"
        if self.approvals is not None:
            request_id = self.approvals.request(self.agent, self.resource, text, decision, seq)
        verdict = _hold_ruling(decision, request_id)
        if self.approvals is None:
            return verdict
        if len(self._holds) >= _MEMO_LIMIT:
            self._holds.clear()
        self._holds[request_id] = (decision, seq, time.monotonic())
        return Ruling(False, verdict.message, verdict.hint, held=request_id)

    def settle(self, request_id: str, text: str, *, extended: bool, final: bool) -> Ruling | None:
        """The verdict on a held statement the session waits on, once a human has decided."""
        if self.approvals is None or request_id not in self._holds:
            raise ApprovalError(f"no approval request {request_id!r} is held by this session")
        try:
            status = self.approvals.status(request_id)
        except ApprovalError:
            status = Status.EXPIRED
        if status is Status.PENDING and not final:
            return None
        decision, seq, since = self._holds.pop(request_id)
        waited = round(time.monotonic() - since, 1)
        if status is Status.APPROVED:
            if self.approvals.claim(request_id, self.agent, self.resource, text):
                self._outcome(seq, "approved", request_id, waited)
                new_seq = self._record(text, decision, extended, approval=request_id)
                return self._with_safeguard(text, decision, new_seq, extended, approved=request_id)
            status = Status.EXPIRED  # decided, claimed or expired between two reads
        self.counts.refused += 1
        if status is Status.PENDING:
            self._outcome(seq, "held", request_id, waited)
            held = _hold_ruling(decision, request_id, waited)
            return Ruling(False, held.message, held.hint)
        if status in (Status.DENIED, Status.CANCELLED):
            request = self.approvals.get(request_id)
            last = request.votes[-1] if request.votes else None
            self._outcome(seq, status.value, request_id, waited)
            said = f': "{last.comment}"' if last is not None and last.comment else ""
            return Ruling(
                False,
                f"A human ({last.human if last is not None else 'a human'}) {status.value} "
                f"approval request {request_id} for {_operations(decision)}{said}. "
                "It will not run.",
                "Do not retry it or look for another way to do it; tell the user, and continue "
                "with other work.",
            )
        self._outcome(seq, "expired", request_id, waited)
        return Ruling(
            False,
            f"Interlock did not run this statement: approval request {request_id} is "
            f"{status.value}, not approved",
            "send the same statement again to open a new request, and tell the user",
        )

    def abandon(self, request_id: str, reason: str) -> None:
        held = self._holds.pop(request_id, None)
        if held is not None:
            _, seq, since = held
            self._outcome(
                seq, "abandoned", request_id, round(time.monotonic() - since, 1), reason=reason
            )

    def _outcome(
        self, seq: int, outcome: str, request_id: str, waited: float, **detail: object
    ) -> None:
        if self.audit is None or not seq:
            return
        with contextlib.suppress(InterlockError):
            self.audit.append(
                "outcome",
                {
                    "decision_seq": seq,
                    "outcome": outcome,
                    "approval_request": request_id,
                    "waited_seconds": waited,
                    "source": "proxy:pg",
                    "session_id": self.session_id,
                    **detail,
                },
            )

    # -- safeguards

    def _with_safeguard(
        self, text: str, decision: Decision, seq: int, extended: bool, *, approved: str | None
    ) -> Ruling:
        dangerous = [d.action for d in decision.actions if d.action.verb.is_dangerous]
        wanted = set(decision.safeguards)
        if not wanted or not dangerous:
            return ALLOW
        saved: list[Saved] = []
        only = dangerous[0] if len(decision.actions) == 1 else None
        if (
            wanted & SOFT_DROP_NAMES
            and not extended
            and only is not None
            and only.operation == "sql:DROP TABLE"
            and only.targets
        ):
            targets = only.targets

            def soft() -> Plan:
                return soft_drop_plan(targets, seq, saved)

            done = partial(self._safeguard_done, SafeguardTaking(seq, SOFT_DROP, saved))
            return Ruling(True, safeguard=SafeguardPlan(soft, True, "DROP TABLE", done))
        if wanted & ({SNAPSHOT} | SOFT_DROP_NAMES) and all(
            a.operation in SNAPSHOT_OPERATIONS and a.targets for a in dangerous
        ):
            targets = tuple(t for a in dangerous for t in a.targets)
            operation = ", ".join(dict.fromkeys(a.operation for a in dangerous))

            def snap() -> Plan:
                return snapshot_plan(targets, seq, operation, saved)

            done = partial(self._safeguard_done, SafeguardTaking(seq, SNAPSHOT, saved))
            return Ruling(True, safeguard=SafeguardPlan(snap, done=done))
        operations = ", ".join(dict.fromkeys(a.operation for a in dangerous))
        if approved is not None:
            # A human said yes to exactly this statement: irreversible is their call.
            self._append(
                "safeguard",
                {
                    "decision_seq": seq,
                    "status": "impossible",
                    "operations": operations,
                    "approval": approved,
                },
            )
            return ALLOW
        self.counts.refused += 1
        self._append(
            "safeguard", {"decision_seq": seq, "status": "impossible", "operations": operations}
        )
        return Ruling(
            False,
            "Interlock refused this statement: policy requires a safeguard "
            f"({', '.join(sorted(wanted))}) that it cannot take for {operations} "
            f"({SAFEGUARD_RULE})",
            "snapshots cover DROP TABLE, TRUNCATE, DELETE, UPDATE, MERGE and INSERT on named "
            "tables; ask a human to run anything else",
        )

    def _safeguard_done(self, taking: SafeguardTaking, summary: str, ok: bool) -> None:
        if ok:
            self.counts.safeguards += 1
        self._append(
            "safeguard",
            {
                "decision_seq": taking.decision_seq,
                "mode": taking.mode,
                "status": "taken" if ok else "failed",
                "summary": summary,
                "resource": {"name": self.resource.name, "environment": self.resource.environment},
                "tables": [s.to_json() for s in taking.saved],
            },
        )

    # -- recording

    def _record(
        self, text: str, decision: Decision, extended: bool, *, approval: str | None = None
    ) -> int:
        if self.audit is None:
            return 0
        body: dict[str, Any] = {
            "principal": {"type": "agent", "name": self.agent.name, "id": self.agent.id},
            "resource": {"name": self.resource.name, "environment": self.resource.environment},
            "kind": "sql",
            "payload_hmac": self.audit.fingerprint(text),
            "decision": decision.to_json(),
            "source": "proxy:pg",
            "session_id": self.session_id,
            "protocol_message": "Parse" if extended else "Query",
        }
        if approval is not None:
            body["approval"] = approval
        return self.audit.append("decision", body).seq

    def _append(self, type_: str, body: dict[str, Any]) -> None:
        if self.audit is not None:
            self.audit.append(type_, {"source": "proxy:pg", "session_id": self.session_id, **body})

    def finish(self, reason: str) -> None:
        c = self.counts
        with contextlib.suppress(InterlockError):
            self._append(
                "session",
                {
                    "event": "pg_session_closed",
                    "agent": self.agent.name,
                    "resource": self.resource.name,
                    "reason": reason,
                    "statements": c.statements,
                    "reads_not_recorded_individually": c.reads_unrecorded,
                    "refused": c.refused,
                    "held": c.held,
                    "safeguards": c.safeguards,
                },
            )

    @staticmethod
    def _fence(text: str) -> str | None:
        lowered = text.lower()
        for schema in PROTECTED_SCHEMAS:
            if schema in lowered:
                return f"the statement names {schema}, where Interlock keeps safeguards"
        return None


def _plain_read(action: Action) -> bool:
    return action.verb is Verb.READ and action.operation == "sql:SELECT"


def _dangerous(decision: Decision) -> bool:
    return any(d.action.verb.is_dangerous for d in decision.actions)


def _refusal_decision(actions: tuple[Action, ...], reason: str, rule: str) -> Decision:
    from interlock.model import ActionDecision, most_severe

    decisions = tuple(ActionDecision(a, Outcome.DENY, (reason,), (rule,)) for a in actions)
    return Decision(
        Outcome.DENY,
        most_severe(a.verb for a in actions),
        decisions,
        (reason,),
        (rule,),
    )


def _operations(decision: Decision) -> str:
    held = [d.action for d in decision.actions if d.outcome is decision.outcome]
    return ", ".join(dict.fromkeys(a.operation for a in held)) or "this statement"


def _hold_ruling(decision: Decision, request_id: str, waited: float = 0.0) -> Ruling:
    policies = ", ".join(decision.policies) or "policy"
    why = "Why: " + "; ".join(decision.reasons[:3])
    if waited:
        return Ruling(
            False,
            f"Interlock held this statement for a human's approval and no human decided within "
            f"{waited:g} s: approval request {request_id} ({policies})",
            f"Do not look for another way to do this. The request stays open: once a human "
            f"approves {request_id}, send the same statement again. {why}",
        )
    return Ruling(
        False,
        f"Interlock is holding this statement for a human's approval: approval request "
        f"{request_id} ({policies})",
        f"Do not look for another way to do this. Wait until a human approves "
        f"{request_id}, then send the same statement again (or connect with "
        f"options=-c interlock.wait=SECONDS to wait on the connection). {why}",
    )


def _deny_ruling(decision: Decision) -> Ruling:
    policies = ", ".join(decision.policies) or "no permitting policy"
    why = "; ".join(decision.reasons[:3]) or "refused"
    return Ruling(
        False,
        f"Interlock refused this statement ({policies}): {why}",
        "This is enforced by policy, not a transient error: do not retry it or look for "
        "another way; ask the user if the change is really needed.",
    )
