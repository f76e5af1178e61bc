"""The enforcement pipeline: one place that decides, records, holds, waits and approves.

    ActionRequest ─judge─▶ Verdict ─record─▶ (decision record, seq) ─resolve─▶ Verdict
                  classify + gate      written before anything runs    HOLD: claim a human's
                  (pure, microseconds)                                 approval for exactly
                                                                       this action, or open one
    held Verdict ─poll─▶ approved (claimed, runs once) | refused by a human | lapsed | pending
    allowed Verdict with a delay ─schedule─▶ cancel window ─start_scheduled─▶ runs
    any Verdict ─settle─▶ outcome record (forwarded, refused, held, approved, …)

Every enforcement point (HTTP proxy, PostgreSQL proxy, coding-agent hooks, `/v1/decide`)
translates its protocol into an `ActionRequest` and renders the `Verdict` back; none of
them touches the approval store. The steps are synchronous: they cost microseconds for the
gate and one SQLite transaction for a record or an approval change, so asynchronous callers
run them off their event loop (`ApprovalWaiter` does for waits).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Sequence
from typing import Any, TypedDict

from interlock.approvals import (
    DEFAULT_TTL,
    ApprovalError,
    ApprovalRequest,
    ApprovalStore,
    Status,
)
from interlock.audit import AuditLog
from interlock.baseline import BREAKER_ACTOR, BaselineTracker, carries_credential
from interlock.classify import classify
from interlock.enforce import _messages as say
from interlock.enforce._metrics import DECISIONS_LOG, PointMetrics, decision_line
from interlock.enforce._request import ActionRequest, _payload_bytes, request_fingerprint
from interlock.enforce._verdict import Verdict
from interlock.errors import InterlockError
from interlock.gate import Gate
from interlock.model import (
    SELF_PROTECTION_RULE,
    SELF_PROTOCOL,
    Action,
    ActionDecision,
    Agent,
    Decision,
    Outcome,
    Resource,
    Verb,
)
from interlock.protect import Places, installation_places, tampering_actions
from interlock.redact import redact_value

log = logging.getLogger("interlock.enforce")
NOT_RECORDED = "(not recorded: no approval store)"
BREAKER_RULE = BREAKER_ACTOR


class _ApprovalFields(TypedDict):
    """The keywords `ApprovalStore.open_request` and `.schedule` share."""

    fingerprint: str
    agent: Agent
    resource: Resource
    decision: Decision
    summary: str
    source: str
    decision_seq: int | None


class EnforcementPoint:
    """Decides, records and resolves requests for one enforcement point's agents."""

    def __init__(
        self,
        *,
        gate: Gate,
        audit: AuditLog | None,
        approvals: ApprovalStore | None,
        hmac_key: bytes,
        approval_ttl: float = DEFAULT_TTL,
        wait_hint: str = "",
        places: Places | None = None,
        shadow: bool = False,
        enforced_in_shadow: frozenset[str] = frozenset(),
        baseline: BaselineTracker | None = None,
    ) -> None:
        """`baseline`: the behavioural baseline the gate scores with (by default the gate's
        own, when it is a `BaselineTracker`); it learns from every recorded decision."""
        self.gate = gate
        self.baseline = (
            baseline
            if baseline is not None
            else gate.baseline
            if isinstance(gate.baseline, BaselineTracker)
            else None
        )
        self.places = places if places is not None else installation_places()
        self.audit = audit
        self.approvals = approvals
        self._key = hmac_key
        self.approval_ttl = approval_ttl
        self.wait_hint = wait_hint
        # Shadow mode: decide and record everything, enforce nothing but Interlock's own
        # protection (an attempt on Interlock is not a policy being tried out).
        self.shadow = shadow
        self.enforced_in_shadow = frozenset({SELF_PROTECTION_RULE, *enforced_in_shadow})
        self.metrics = PointMetrics()  # what /metrics of the process serving this point shows

    # -- deciding (pure)

    def judge(
        self,
        request: ActionRequest,
        actions: Sequence[Action] | None = None,
        decision: Decision | None = None,
    ) -> Verdict:
        """Classify (unless `actions` or a ready `decision` is given) and decide; no I/O
        (but for the first sight of an agent's profile)."""
        suspended = self.suspended(request)
        if suspended is not None:
            return suspended
        if decision is None:
            if actions is None:
                actions = classify(request.kind, request.payload, cwd=request.cwd or None)
            actions = (*actions, *self._tampering(request, actions))
            decision = self.gate.decide(
                request.agent,
                request.resource,
                actions,
                stated_reason=request.stated_reason,
                session=request.session_id,
                credential=self._credential(request),
            )
        return self.verdict(request, decision)

    def suspended(self, request: ActionRequest) -> Verdict | None:
        """A refusal when the agent's circuit breaker tripped (until a human resumes it)."""
        reason = self.refusal(request.agent)
        if reason is None:
            return None
        return self.verdict(request, suspended_decision(request.agent, reason))

    def refusal(self, agent: Agent) -> str | None:
        """Why the agent is suspended by its breaker right now, or None (checked every
        quarter second at most, so a trip anywhere reaches every point within a second)."""
        return self.baseline.refusal(agent) if self.baseline is not None else None

    def _credential(self, request: ActionRequest) -> bool:
        return self.baseline is not None and carries_credential(request.payload)

    def _tampering(self, request: ActionRequest, actions: Sequence[Action]) -> list[Action]:
        """Attempts on Interlock itself (never cached: symlinks change between calls)."""
        if any(a.protocol == SELF_PROTOCOL for a in actions):
            return []
        return tampering_actions(
            request.kind, request.payload, self.places, cwd=request.cwd or None, actions=actions
        )

    def verdict(self, request: ActionRequest, decision: Decision) -> Verdict:
        """The verdict for a decision made elsewhere (a fence, a size limit, a hook rule)."""
        if self.shadowed(decision):
            message, hint = say.shadowed(decision, request.noun)
            return Verdict(
                Outcome.ALLOW, decision, request, "", message=message, hint=hint, shadow=True
            )
        if decision.outcome is Outcome.DENY:
            message, hint = say.denied(decision, request.noun)
        elif decision.outcome is Outcome.HOLD:
            message, hint = say.held(decision, request.noun, NOT_RECORDED)
        else:
            message, hint = say.allowed(decision, request.noun)
        # Only a request that may meet the approval store needs its fingerprint: an allowed
        # one gets it when it is scheduled (a delay), never on the hot path of reads.
        fingerprint = (
            "" if decision.outcome is Outcome.ALLOW else request_fingerprint(self._key, request)
        )
        return Verdict(decision.outcome, decision, request, fingerprint, message=message, hint=hint)

    def shadowed(self, decision: Decision) -> bool:
        """In shadow mode, whether this hold or refusal is recorded but not enforced (every
        one but Interlock's protection of itself)."""
        return (
            self.shadow
            and decision.outcome is not Outcome.ALLOW
            and not self.enforced_in_shadow.intersection(decision.policies)
        )

    # -- recording

    def decision_record(self, verdict: Verdict) -> dict[str, Any]:
        """The body of a decision record: one shape for every enforcement point."""
        request = verdict.request
        agent = request.agent
        body: dict[str, Any] = {
            "principal": {"type": "agent", "name": agent.name, "id": agent.id},
            "resource": {
                "name": request.resource.name,
                "environment": request.resource.environment,
            },
            "kind": request.kind,
            "payload_hmac": self.payload_hmac(request.payload),
            "decision": verdict.decision.to_json(),
            "source": request.source,
        }
        if request.session_id:
            body["session_id"] = request.session_id
        if request.stated_reason:
            body["stated_reason"] = request.stated_reason
        body.update(request.context)
        if self.shadow:
            # `decision` is what would have applied; `enforced` is what happened.
            body["shadow"] = True
            body["enforced"] = verdict.outcome.value
        self.metrics.inc(
            "interlock_decisions_total",
            source=request.source.partition(":")[0] or "unknown",
            decision=verdict.decision.outcome.value,
        )
        if DECISIONS_LOG.isEnabledFor(logging.INFO):
            DECISIONS_LOG.info("%s", decision_line(body))
        return body

    def payload_hmac(self, payload: object) -> str:
        """A keyed digest of the payload: equal payloads match, the text is not recoverable."""
        return hmac.new(self._key, _payload_bytes(payload), hashlib.sha256).hexdigest()

    def record(self, verdict: Verdict) -> Verdict:
        """Write the decision record (before anything runs); raises if it cannot be written."""
        if self.audit is None:
            return verdict
        seq = self.audit.append("decision", self.decision_record(verdict)).seq
        if SELF_PROTECTION_RULE in verdict.decision.policies:
            self.audit.append("incident", self._incident(verdict, seq))
        recorded = verdict.but(seq=seq)
        self.learn(recorded)
        return recorded

    def learn(self, verdict: Verdict) -> None:
        """The baseline learns from a recorded decision (and its breaker may trip). Points
        that write decision records themselves (the HTTP proxy's group commit) call it after.
        Never raises: the decision stands whatever the baseline makes of it."""
        if self.baseline is None or BREAKER_RULE in verdict.decision.policies:
            return
        request = verdict.request
        try:
            self.baseline.observe(
                request.agent,
                request.resource,
                verdict.decision,
                seq=verdict.seq,
                credential=self._credential(request),
                incident=SELF_PROTECTION_RULE in verdict.decision.policies,
                enforce=not self.shadow,  # in shadow mode a trip is recorded, not enforced
            )
        except InterlockError as exc:
            log.error("the baseline did not learn from record %d: %s", verdict.seq, exc)

    def _incident(self, verdict: Verdict, seq: int) -> dict[str, Any]:
        """An attempt on Interlock itself: its own record, for humans and the breaker."""
        request = verdict.request
        return {
            "incident": "self_protection",
            "decision_seq": seq,
            "source": request.source,
            "agent": {"name": request.agent.name, "id": request.agent.id},
            "session_id": request.session_id,
            "targets": [
                t
                for d in verdict.decision.actions
                if d.action.protocol == SELF_PROTOCOL
                for t in (d.action.operation, *d.action.targets)
            ][:20],
        }

    def decide(
        self,
        request: ActionRequest,
        actions: Sequence[Action] | None = None,
        decision: Decision | None = None,
    ) -> Verdict:
        """judge → record → resolve: the whole synchronous path."""
        return self.resolve(self.record(self.judge(request, actions, decision)))

    # -- holds and approvals

    def resolve(
        self,
        verdict: Verdict,
        *,
        delay: float = 0.0,
        ttl: float | None = None,
        **detail: object,
    ) -> Verdict:
        """A hold meets the approval store: a human's approval of exactly this action is
        claimed (the verdict becomes ALLOW, once); otherwise the request is opened (or the
        open one found, so retries never pile up requests for humans to read). `ttl` bounds
        the life of a request opened here (default: the point's approval TTL)."""
        if verdict.outcome is not Outcome.HOLD or self.approvals is None:
            return verdict
        request = verdict.request
        granted = self.approvals.find_approved(verdict.fingerprint, request.agent_key)
        if granted is not None:
            claimed = self._claim(verdict, granted, delay, detail)
            if claimed is not None:
                return claimed
        opened = self.approvals.open_request(
            **self._approval_fields(verdict),
            ttl=ttl if ttl is not None else self.approval_ttl,
        )
        if opened.status is Status.APPROVED:  # approved between our two reads
            claimed = self._claim(verdict, opened, delay, detail)
            if claimed is not None:
                return claimed
        message, hint = say.held(
            verdict.decision, request.noun, opened.id, wait_hint=self.wait_hint
        )
        return verdict.but(approval=opened, message=message, hint=hint)

    def poll(
        self,
        verdict: Verdict,
        *,
        final: bool,
        waited: float = 0.0,
        delay: float = 0.0,
        **detail: object,
    ) -> Verdict | None:
        """Where a held request stands. None while a human has not decided (unless `final`:
        then the wait is over). A settled verdict has its outcome recorded."""
        if verdict.outcome is not Outcome.HOLD or verdict.approval is None:
            return verdict
        assert self.approvals is not None
        request_id = verdict.approval.id
        try:
            status = self.approvals.status(request_id)
        except ApprovalError:
            status = Status.EXPIRED
        if status is Status.PENDING and not final:
            return None
        waited = round(waited, 1)
        if status is Status.APPROVED:
            approval = self.approvals.get(request_id)
            claimed = self._claim(verdict.but(waited=waited), approval, delay, detail)
            if claimed is not None:
                return claimed
            status = Status.EXPIRED  # decided, claimed or expired between two reads
        noun = verdict.request.noun
        if status is Status.PENDING:
            message, hint = say.held(
                verdict.decision, noun, request_id, waited=waited, wait_hint=self.wait_hint
            )
            self.settle(verdict, "held", waited_seconds=waited, **detail)
            return verdict.but(message=message, hint=hint, waited=waited)
        if status in (Status.DENIED, Status.CANCELLED):
            approval = self.approvals.get(request_id)
            last = approval.votes[-1] if approval.votes else None
            message, hint = say.refused_by_human(
                verdict.decision,
                noun,
                request_id,
                status.value,
                last.human if last is not None else "a human",
                last.comment if last is not None else "",
            )
            self.settle(verdict, status.value, waited_seconds=waited, **detail)
            return verdict.but(
                outcome=Outcome.DENY, approval=approval, message=message, hint=hint, waited=waited
            )
        message, hint = say.lapsed(noun, request_id, status.value)
        self.settle(verdict, status.value, waited_seconds=waited, **detail)
        return verdict.but(message=message, hint=hint, waited=waited)

    def _claim(
        self,
        verdict: Verdict,
        approval: ApprovalRequest,
        delay: float,
        detail: dict[str, object],
    ) -> Verdict | None:
        assert self.approvals is not None
        claimed = self.approvals.claim(approval.id, verdict.fingerprint, delay=delay)
        if claimed is None:
            return None
        message, hint = say.approved(claimed.id, claimed.approvals)
        allowed = verdict.but(outcome=Outcome.ALLOW, approval=claimed, message=message, hint=hint)
        extra = {"waited_seconds": verdict.waited} if verdict.waited else {}
        self.settle(allowed, "approved", **extra, **detail)
        if DECISIONS_LOG.isEnabledFor(logging.INFO):
            # the gate's line for this request said HOLD: the log must say it runs after all
            request = verdict.request
            body = {
                "principal": {"name": request.agent.name},
                "resource": {
                    "name": request.resource.name,
                    "environment": request.resource.environment,
                },
                "decision": verdict.decision.to_json(),
                "source": request.source,
            }
            DECISIONS_LOG.info("%s approval=%s", decision_line(body, "APPROVED"), claimed.id)
        return allowed

    def release(self, approval_id: str, reason: str) -> bool:
        """Give back a claimed approval whose action did not happen (see
        `ApprovalStore.release`); whether it was given back."""
        if self.approvals is None or not approval_id:
            return False
        return self.approvals.release(approval_id, reason)

    # -- the delay safeguard

    def schedule(self, verdict: Verdict, delay: float) -> Verdict:
        """An allowed action with a cancel window: scheduled now, runs after `delay`."""
        if self.approvals is None:
            return verdict
        request = verdict.request
        if not verdict.fingerprint:
            verdict = verdict.but(fingerprint=request_fingerprint(self._key, request))
        scheduled = self.approvals.schedule(**self._approval_fields(verdict), delay=delay)
        message, hint = say.scheduled(verdict.decision, request.noun, scheduled.id, delay)
        return verdict.but(approval=scheduled, message=message, hint=hint)

    def still_scheduled(self, verdict: Verdict) -> bool:
        """True while the cancel window is open and nobody cancelled the action."""
        if self.approvals is None or verdict.approval is None:
            return True
        try:
            return self.approvals.status(verdict.approval.id) is Status.SCHEDULED
        except ApprovalError:
            return False

    def start_scheduled(self, verdict: Verdict) -> bool:
        """The window is over: True when the action may run now (it is marked used)."""
        if self.approvals is None or verdict.approval is None:
            return True
        return self.approvals.start(verdict.approval.id)

    # -- outcomes and other records

    def settle(self, verdict: Verdict, outcome: str, **detail: object) -> None:
        """Complete the decision with what happened, now. Never raises: by now the agent has
        its answer, so a failure to record is logged for the operator instead."""
        self._outcome(verdict, outcome, detail, defer=False)

    def settle_later(self, verdict: Verdict, outcome: str, **detail: object) -> None:
        """`settle`, written with the next record or flush (one commit per request, not two)."""
        self._outcome(verdict, outcome, detail, defer=True)

    def _outcome(
        self, verdict: Verdict, outcome: str, detail: dict[str, object], *, defer: bool
    ) -> None:
        if self.baseline is not None:
            self.baseline.note_outcome(verdict.request.agent, outcome, detail.get("status"))
        if self.audit is None or not verdict.seq:
            return
        request = verdict.request
        self.metrics.inc(
            "interlock_outcomes_total",
            source=request.source.partition(":")[0] or "unknown",
            outcome=outcome,
        )
        body: dict[str, Any] = {
            "decision_seq": verdict.seq,
            "outcome": outcome,
            "source": request.source,
        }
        if request.session_id:
            body["session_id"] = request.session_id
        if verdict.approval is not None:
            body["approval_request"] = verdict.approval.id
        body.update(detail)
        try:
            if defer:
                self.audit.defer("outcome", body)
            else:
                self.audit.append("outcome", body)
        except InterlockError as exc:
            log.error("outcome of audit record %d (%s) not recorded: %s", verdict.seq, outcome, exc)

    def event(self, type_: str, body: dict[str, Any]) -> None:
        """Another record (a safeguard taken, a session closed); raises if it cannot be written."""
        if self.audit is not None:
            self.audit.append(type_, body)

    def flush(self) -> None:
        """Write deferred outcome records now (idle timers, shutdown); never raises."""
        if self.audit is None:
            return
        try:
            self.audit.flush()
        except InterlockError as exc:
            log.error("deferred audit records not written yet: %s", exc)

    def close(self) -> None:
        """Write deferred records and let go of the approval store (at shutdown)."""
        self.flush()
        if self.approvals is not None:
            self.approvals.close()

    def _approval_fields(self, verdict: Verdict) -> _ApprovalFields:
        """What an approval request (held or scheduled) records of the verdict it is for."""
        request = verdict.request
        return _ApprovalFields(
            fingerprint=verdict.fingerprint,
            agent=request.agent,
            resource=request.resource,
            decision=verdict.decision,
            summary=self._summary(verdict),
            source=request.source,
            decision_seq=verdict.seq or None,
        )

    def _summary(self, verdict: Verdict) -> str:
        request = verdict.request
        if request.summary:
            return str(redact_value(request.summary))[:500]
        decision = verdict.decision
        what = "; ".join(
            d.action.detail or d.action.operation
            for d in decision.actions
            if d.outcome is decision.outcome
        )
        return str(redact_value(f"{request.kind} on {request.resource.name}: {what}"))[:500]


def suspended_decision(agent: Agent, reason: str) -> Decision:
    """The decision for every request of an agent its circuit breaker suspended."""
    why = (
        f"agent {agent.name!r} is suspended ({reason}); only a human resumes it "
        f"(`interlock agent resume {agent.name}` or the console)"
    )
    action = Action("breaker", "breaker:suspended", Verb.UNKNOWN, reason=why)
    return Decision(
        Outcome.DENY,
        Verb.UNKNOWN,
        (ActionDecision(action, Outcome.DENY, (why,), (BREAKER_RULE,)),),
        (why,),
        (BREAKER_RULE,),
    )
