"""The one point where the HTTP proxy asks the gate: token in, verdict out, recorded first.

`Enforcer` owns everything a request is checked against: the routes (with their sealed
credentials revealed once at start), the agent verifier, the gate, the audit log and the
approval store. Its methods are synchronous and quick (microseconds for the gate, an
SQLite append for the record); the asyncio shell calls them and does the waiting.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace

from interlock.approvals import ApprovalRequest, ApprovalStore, Status, action_fingerprint
from interlock.audit import AuditLog
from interlock.classify import classify
from interlock.errors import ConfigError, InterlockError
from interlock.gate import Gate
from interlock.home import Home
from interlock.identity import AgentVerifier, IdentityState, ResourceRegistry, Sealer
from interlock.model import Agent, Decision, Outcome, Resource
from interlock.proxy.http._action import classify_payload, describe_request
from interlock.proxy.http._batch import DecisionBatcher
from interlock.proxy.http._config import ProxyConfig
from interlock.proxy.http._routes import Route, before_hooks

log = logging.getLogger("interlock.proxy.http")
SOURCE = "proxy:http"
NO_SNAPSHOT_POLICY = "proxy-snapshot-unavailable"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The gate's decision on one request, recorded as audit record `seq`, and what happens
    now (`outcome`: a held action a human approved is ALLOW)."""

    outcome: Outcome
    decision: Decision
    seq: int
    agent: Agent
    resource: Resource
    fingerprint: str
    summary: str
    approval: ApprovalRequest | None = None

    @property
    def approval_id(self) -> str:
        return self.approval.id if self.approval is not None else ""


class Enforcer:
    """Authenticates, classifies, decides and records; opens, claims and polls approvals."""

    def __init__(
        self,
        *,
        routes: Mapping[str, Route],
        resources: Mapping[str, Resource],
        gate: Gate,
        verifier: AgentVerifier,
        audit: AuditLog,
        approvals: ApprovalStore,
        hmac_key: bytes,
        approval_ttl: float = 3600.0,
    ) -> None:
        self.routes = dict(routes)
        self.resources = dict(resources)
        self.gate = gate
        self.verifier = verifier
        self.audit = audit
        self._decisions = DecisionBatcher(audit)
        self._approvals = approvals
        self._hmac_key = hmac_key
        self.approval_ttl = approval_ttl

    @classmethod
    def for_home(cls, home: Home, config: ProxyConfig) -> Enforcer:
        """Everything from the home; credentials are revealed here, once, and kept in memory."""
        from interlock.identity import registered_resources

        audit = home.audit_log()
        state = IdentityState(home.database)
        registry = ResourceRegistry(state, Sealer.for_home(home))
        catalogue = {**registered_resources(home), **home.load_config().resources}
        records = {r.resource.name: r for r in registry.resources()}
        routes: dict[str, Route] = {}
        for name, spec in config.routes.items():
            resource = catalogue.get(spec.resource)
            if resource is None:
                raise ConfigError(
                    f"[proxy.http.routes.{name}]: no resource named {spec.resource!r} "
                    "(register it with `interlock resource add`)"
                )
            record = records.get(spec.resource)
            upstream = spec.upstream or (record.upstream if record else "")
            if not upstream:
                raise ConfigError(
                    f"[proxy.http.routes.{name}]: no upstream (set `upstream`, or register "
                    f"the resource with --upstream)"
                )
            credential = None
            if record is not None and record.has_credential:
                credential = registry.reveal_credential(spec.resource)
            routes[name] = Route(
                name=name,
                prefix=spec.prefix,
                upstream=upstream.rstrip("/"),
                resource=spec.resource,
                credential=credential,
                credential_header=spec.credential_header,
                credential_format=spec.credential_format,
                classify_host=spec.classify_host,
                wait=spec.wait,
                delay=spec.delay,
                before=spec.before,
            )
        state.close()
        return cls(
            routes=routes,
            resources=catalogue,
            gate=Gate(home.load_policies()),
            verifier=AgentVerifier(IdentityState(home.database), audit=audit),
            audit=audit,
            approvals=ApprovalStore(home.database, audit=audit),
            hmac_key=home.hmac_key.read_bytes(),
            approval_ttl=config.approval_ttl,
        )

    # -- the checks, in order

    def authenticate(self, token: str) -> Agent:
        """The agent behind the token; `AgentTokenRefused` (reason recorded) otherwise."""
        return self.verifier.verify(token).agent

    async def decide(
        self,
        agent: Agent,
        route: Route,
        method: str,
        rest: str,
        headers: Mapping[str, str],
        body: bytes,
        decision: Decision | None = None,
    ) -> Verdict:
        """Classify and decide (unless `decision` is given), then record the decision before
        anything is forwarded."""
        resource = self.resources[route.resource]
        if decision is None:
            actions = classify("http", classify_payload(method, route, rest, headers, body))
            decision = self.gate.decide(agent, resource, actions)
            if (
                "snapshot" in decision.safeguards
                and decision.outcome is Outcome.ALLOW
                and not before_hooks(route, decision)
            ):
                decision = _hold_without_snapshot(decision, route)
        fingerprint = action_fingerprint(
            self._hmac_key, (agent.id or agent.name, route.resource, method, rest, body)
        )
        record_body = self.audit.decision_body(
            principal=agent,
            resource=resource,
            kind="http",
            payload=fingerprint,
            decision=decision,
            source=SOURCE,
        )
        record = await self._decisions.append("decision", record_body)
        summary = describe_request(method, route, rest, decision)
        return Verdict(
            decision.outcome, decision, record.seq, agent, resource, fingerprint, summary
        )

    # -- approvals

    def resolve(self, verdict: Verdict, delay: float = 0.0) -> Verdict:
        """A held action: claim the approval granted for exactly it (ALLOW; with `delay`
        the claim opens its cancel window), or open (or find) a request (HOLD)."""
        agent_id = verdict.agent.id or verdict.agent.name
        approval = self._approvals.find_approved(verdict.fingerprint, agent_id)
        if approval is not None:
            return self._claim(verdict, approval, delay)
        approval = self._approvals.open_request(
            fingerprint=verdict.fingerprint,
            agent=verdict.agent,
            resource=verdict.resource,
            decision=verdict.decision,
            summary=verdict.summary,
            source=SOURCE,
            ttl=self.approval_ttl,
            decision_seq=verdict.seq,
        )
        if approval.status is Status.APPROVED:
            return self._claim(verdict, approval, delay)
        return replace(verdict, outcome=Outcome.HOLD, approval=approval)

    def poll(self, verdict: Verdict, *, final: bool, delay: float = 0.0) -> Verdict | None:
        """A held action being waited on: None while pending (unless `final`), else the
        settled verdict (approved: claimed, ALLOW; denied or cancelled: DENY)."""
        assert verdict.approval is not None
        status = self._approvals.status(verdict.approval.id)
        if status is Status.PENDING and not final:
            return None
        approval = self._approvals.get(verdict.approval.id)
        if status is Status.APPROVED:
            return self._claim(verdict, approval, delay)
        if status in (Status.DENIED, Status.CANCELLED):
            return replace(verdict, outcome=Outcome.DENY, approval=approval)
        return replace(verdict, outcome=Outcome.HOLD, approval=approval)

    def _claim(self, verdict: Verdict, approval: ApprovalRequest, delay: float) -> Verdict:
        claimed = self._approvals.claim(approval.id, verdict.fingerprint, delay=delay)
        if claimed is None:  # decided, claimed or expired between two reads
            expired = replace(approval, status=Status.EXPIRED)
            return replace(verdict, outcome=Outcome.HOLD, approval=expired)
        return replace(verdict, outcome=Outcome.ALLOW, approval=claimed)

    def schedule(self, verdict: Verdict, delay: float) -> Verdict:
        """An allowed action with a delay: a scheduled request humans can cancel."""
        scheduled = self._approvals.schedule(
            fingerprint=verdict.fingerprint,
            agent=verdict.agent,
            resource=verdict.resource,
            decision=verdict.decision,
            summary=verdict.summary,
            source=SOURCE,
            delay=delay,
            decision_seq=verdict.seq,
        )
        return replace(verdict, approval=scheduled)

    def still_scheduled(self, verdict: Verdict) -> bool:
        return self._approvals.status(verdict.approval_id) is Status.SCHEDULED

    def start_scheduled(self, verdict: Verdict) -> bool:
        """The window is over: True when the action may run now (marked used)."""
        return self._approvals.start(verdict.approval_id)

    def refresh(self, verdict: Verdict) -> Verdict:
        """The verdict with its approval request as it is now (who cancelled it)."""
        return replace(verdict, approval=self._approvals.get(verdict.approval_id))

    # -- records

    def settle(self, verdict: Verdict, outcome: str, detail: Mapping[str, object]) -> None:
        """Complete the decision with what happened; a failure to record is reported, not
        raised (the response has already gone to the agent)."""
        try:
            self.audit.defer_outcome(verdict.seq, outcome, detail)
        except InterlockError as exc:
            log.error("outcome of audit record %d (%s) not recorded: %s", verdict.seq, outcome, exc)

    def flush(self) -> None:
        """Write deferred outcome records now."""
        try:
            self.audit.flush()
        except InterlockError as exc:
            log.error("deferred audit records not written yet: %s", exc)

    def event(self, type_: str, body: Mapping[str, object]) -> None:
        self.audit.append(type_, dict(body))

    def close(self) -> None:
        self.flush()
        self._approvals.close()
        self.audit.store.close()


def _hold_without_snapshot(decision: Decision, route: Route) -> Decision:
    why = (
        f"{NO_SNAPSHOT_POLICY}: the policy asks for a snapshot before this destructive action "
        f"and route {route.name!r} has no snapshot hook, so a human must approve running it "
        "without one"
    )
    return replace(
        decision,
        outcome=Outcome.HOLD,
        actions=tuple(
            replace(d, outcome=Outcome.HOLD, reasons=(*d.reasons, why))
            if d.action.verb.is_dangerous
            else d
            for d in decision.actions
        ),
        reasons=(*decision.reasons, why),
        policies=(*decision.policies, NO_SNAPSHOT_POLICY),
        approvers=max(1, decision.approvers),
    )
