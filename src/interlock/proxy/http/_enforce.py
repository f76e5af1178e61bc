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

from interlock.approvals import ApprovalRequest, ApprovalStore, action_fingerprint
from interlock.audit import AuditLog
from interlock.classify import classify
from interlock.errors import ConfigError, InterlockError
from interlock.gate import Gate
from interlock.home import Home
from interlock.identity import AgentVerifier, IdentityState, ResourceRegistry, Sealer
from interlock.model import Action, ActionDecision, Agent, Decision, Outcome, Resource, Verb
from interlock.proxy.http._batch import DecisionBatcher
from interlock.proxy.http._config import BeforeHook, ProxyConfig
from interlock.proxy.http._exchange import Route, classify_payload, describe_request

log = logging.getLogger("interlock.proxy.http")
SOURCE = "proxy:http"
MAX_BODY_POLICY = "proxy-max-body"
NO_SNAPSHOT_POLICY = "proxy-snapshot-unavailable"
DEFAULT_DELAY = 30.0


@dataclass(frozen=True, slots=True)
class Verdict:
    """The gate's decision on one request, already recorded as audit record `seq`."""

    decision: Decision
    seq: int
    agent: Agent
    resource: Resource
    route: Route
    fingerprint: str
    summary: str
    hooks: tuple[tuple[BeforeHook, str], ...] = ()  # before hooks to run, with their target

    @property
    def outcome(self) -> Outcome:
        return self.decision.outcome

    def delay(self) -> float:
        """Seconds this allowed action must wait (its cancel window), 0 for none."""
        if not self.decision.risk.is_dangerous:
            return 0.0
        seconds = self.route.delay
        for safeguard in self.decision.safeguards:
            name, _, value = safeguard.partition(":")
            if name.strip() == "delay":
                try:
                    seconds = max(seconds, float(value.strip().rstrip("s")))
                except ValueError:
                    seconds = max(seconds, self.route.delay or DEFAULT_DELAY)
        return seconds


class Enforcer:
    """Authenticates, classifies, decides and records; opens and claims approvals."""

    def __init__(
        self,
        *,
        routes: Mapping[str, Route],
        before: Mapping[str, tuple[BeforeHook, ...]],
        resources: Mapping[str, Resource],
        gate: Gate,
        verifier: AgentVerifier,
        audit: AuditLog,
        approvals: ApprovalStore,
        hmac_key: bytes,
        approval_ttl: float = 3600.0,
    ) -> None:
        self.routes = dict(routes)
        self.before = dict(before)
        self.resources = dict(resources)
        self.gate = gate
        self.verifier = verifier
        self.audit = audit
        self._decisions = DecisionBatcher(audit)
        self.approvals = approvals
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
        before: dict[str, tuple[BeforeHook, ...]] = {}
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
            )
            before[name] = spec.before
        state.close()
        return cls(
            routes=routes,
            before=before,
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
    ) -> Verdict:
        """Classify and decide, then record the decision before anything is forwarded."""
        resource = self.resources[route.resource]
        actions = classify("http", classify_payload(method, route, rest, headers, body))
        decision = self.gate.decide(agent, resource, actions)
        hooks: tuple[tuple[BeforeHook, str], ...] = ()
        if "snapshot" in decision.safeguards and decision.outcome is not Outcome.DENY:
            hooks = self._hooks_for(route, decision)
            if not hooks and decision.outcome is Outcome.ALLOW:
                decision = _hold_without_snapshot(decision, route)
        return await self._record(agent, resource, route, method, rest, body, decision, hooks)

    async def refuse_oversized(
        self, agent: Agent, route: Route, method: str, rest: str, size: int | None, limit: int
    ) -> Verdict:
        """A body too large to classify is an unknown action, refused (and recorded)."""
        resource = self.resources[route.resource]
        action = Action(
            "http",
            f"http:{method}",
            Verb.UNKNOWN,
            (route.prefix + rest.split("?", 1)[0],),
            reason=f"body of {size if size is not None else 'more than ' + str(limit)} bytes "
            f"is over the {limit}-byte limit: it cannot be classified",
        )
        why = f"{MAX_BODY_POLICY}: requests larger than {limit} bytes are not forwarded"
        decision = Decision(
            Outcome.DENY,
            Verb.UNKNOWN,
            (ActionDecision(action, Outcome.DENY, (action.reason, why), (MAX_BODY_POLICY,)),),
            (action.reason, why),
            (MAX_BODY_POLICY,),
        )
        return await self._record(agent, resource, route, method, rest, b"", decision, ())

    async def _record(
        self,
        agent: Agent,
        resource: Resource,
        route: Route,
        method: str,
        rest: str,
        body: bytes,
        decision: Decision,
        hooks: tuple[tuple[BeforeHook, str], ...],
    ) -> Verdict:
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
        return Verdict(
            decision,
            record.seq,
            agent,
            resource,
            route,
            fingerprint,
            describe_request(method, route, rest, decision),
            hooks,
        )

    def _hooks_for(self, route: Route, decision: Decision) -> tuple[tuple[BeforeHook, str], ...]:
        found = []
        for item in decision.actions:
            for hook in self.before.get(route.name, ()):
                if hook.operation == item.action.operation:
                    target = item.action.targets[0] if item.action.targets else ""
                    found.append((hook, target))
        return tuple(found)

    # -- approvals

    def approved_for(self, verdict: Verdict) -> ApprovalRequest | None:
        return self.approvals.find_approved(
            verdict.fingerprint, verdict.agent.id or verdict.agent.name
        )

    def open_request(self, verdict: Verdict) -> ApprovalRequest:
        return self.approvals.open_request(
            fingerprint=verdict.fingerprint,
            agent=verdict.agent,
            resource=verdict.resource,
            decision=verdict.decision,
            summary=verdict.summary,
            source=SOURCE,
            ttl=self.approval_ttl,
            decision_seq=verdict.seq,
        )

    def schedule(self, verdict: Verdict, delay: float) -> ApprovalRequest:
        return self.approvals.schedule(
            fingerprint=verdict.fingerprint,
            agent=verdict.agent,
            resource=verdict.resource,
            decision=verdict.decision,
            summary=verdict.summary,
            source=SOURCE,
            delay=delay,
            decision_seq=verdict.seq,
        )

    def outcome(self, seq: int, outcome: str, **detail: object) -> None:
        """Complete decision `seq` with what happened; a failure to record is reported, not
        raised (the response has already gone to the agent)."""
        try:
            self.audit.defer_outcome(seq, outcome, detail)
        except InterlockError as exc:
            log.error("outcome of audit record %d (%s) not recorded: %s", seq, outcome, exc)

    def flush(self) -> None:
        """Write deferred outcome records now."""
        try:
            self.audit.flush()
        except InterlockError as exc:
            log.error("deferred audit records not written yet: %s", exc)

    def event(self, type_: str, body: dict[str, object]) -> None:
        self.audit.append(type_, body)

    def close(self) -> None:
        self.flush()
        self.approvals.close()
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
