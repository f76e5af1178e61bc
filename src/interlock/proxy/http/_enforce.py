"""The HTTP proxy's side of the one enforcement pipeline.

`Enforcer` holds what is particular to HTTP: the routes (with their sealed credentials
revealed once at start), the agent token check, the before hooks a snapshot safeguard
needs, and the group commit of decision records (`_batch`). Deciding, recording, approvals,
waits and schedules are `interlock.enforce.EnforcementPoint`'s; nothing here touches the
approval store.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import replace

from interlock.approvals import ApprovalStore
from interlock.audit import AuditLog
from interlock.baseline import tracker_for_home
from interlock.classify import classify
from interlock.enforce import (
    DELAY,
    ActionRequest,
    EnforcementPoint,
    Verdict,
    only_takeable,
    require_safeguards,
    safeguards_context,
)
from interlock.errors import ConfigError
from interlock.gate import Gate
from interlock.home import Home
from interlock.identity import AgentVerifier, IdentityState, ResourceRegistry, Sealer
from interlock.model import Agent, Decision, Outcome, Resource
from interlock.proxy.http._action import with_operations
from interlock.proxy.http._batch import DecisionBatcher
from interlock.proxy.http._config import ProxyConfig
from interlock.proxy.http._export import Exports
from interlock.proxy.http._routes import Route

log = logging.getLogger("interlock.proxy.http")
WAIT_HINT = "or send it with `Prefer: wait=300` to wait for the decision"


class Enforcer:
    """Authenticates agents, and decides and records their requests through the pipeline."""

    def __init__(
        self,
        *,
        routes: Mapping[str, Route],
        resources: Mapping[str, Resource],
        point: EnforcementPoint,
        verifier: AgentVerifier,
        audit: AuditLog,
        exports: Exports | None = None,
    ) -> None:
        self.routes = dict(routes)
        self.exports = exports  # before hooks that copy to the vault (`_export`)
        self.resources = dict(resources)
        self.point = point
        self.verifier = verifier
        self.audit = audit
        self._decisions = DecisionBatcher(audit)

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
        hooks = [hook for route in routes.values() for hook in route.before]
        exports = Exports.for_home(home, hooks, registry)
        state.close()
        point = EnforcementPoint(
            gate=Gate(home.load_policies(), tracker_for_home(home, audit=audit)),
            audit=audit,
            approvals=ApprovalStore(home.database, audit=audit),
            hmac_key=home.hmac_key.read_bytes(),
            approval_ttl=config.approval_ttl,
            wait_hint=WAIT_HINT,
            shadow=home.load_config().enforcement.shadow("proxy_http"),
        )
        return cls(
            routes=routes,
            resources=catalogue,
            point=point,
            verifier=AgentVerifier(IdentityState(home.database), audit=audit),
            audit=audit,
            exports=exports,
        )

    # -- the checks, in order

    def authenticate(self, token: str) -> Agent:
        """The agent behind the token; `AgentTokenRefused` (reason recorded) otherwise."""
        return self.verifier.verify(token).agent

    async def decide(
        self,
        request: ActionRequest,
        route: Route,
        classified: Mapping[str, object],
        decision: Decision | None = None,
    ) -> Verdict:
        """Classify `classified` and decide (unless `decision` is given), then record the
        decision, in the group commit of this loop turn, before anything is forwarded."""
        if decision is None:
            verdict = self.point.judge(request, classify("http", classified))
        else:
            verdict = self.point.judge(request, decision=decision)
        if decision is None and verdict.decision.safeguards:
            decided = verdict.decision

            def can_take(name: str) -> bool:
                return _can_take(name, route, decided)

            where = f"route {route.name!r}"
            # Only the safeguards that will really run are recorded and shown for approval.
            safe = only_takeable(require_safeguards(decided, can_take, where), can_take, where)
            noted = replace(
                request, context={**request.context, **safeguards_context(decided, can_take)}
            )
            verdict = self.point.verdict(noted, safe)
        record = await self._decisions.append("decision", self.point.decision_record(verdict))
        if self.point.baseline is not None:  # a small SQLite write: off the event loop
            learned = verdict.but(seq=record.seq)
            await asyncio.get_running_loop().run_in_executor(None, self.point.learn, learned)
        if verdict.outcome is Outcome.ALLOW and not verdict.decision.risk.is_dangerous:
            return verdict.but(seq=record.seq)  # no approval request can come of it
        # The line a human reads if an approval request is opened or the action scheduled.
        summary = with_operations(request.summary, verdict.decision)
        return verdict.but(seq=record.seq, request=replace(request, summary=summary))

    def flush(self) -> None:
        """Write deferred outcome records now (never raises)."""
        self.point.flush()

    def close(self) -> None:
        self.point.close()
        self.audit.store.close()


def _can_take(safeguard: str, route: Route, decision: Decision) -> bool:
    """The HTTP proxy delays (a cancel window, inline or in the background) and takes a
    snapshot with the route's before hook for the operation; nothing else."""
    if safeguard == DELAY:
        return True
    if safeguard != "snapshot":
        return False
    # Every dangerous action needs a hook of its own: one hook does not cover another call.
    dangerous = [d.action for d in decision.actions if d.action.verb.is_dangerous]
    return bool(dangerous) and all(
        any(hook.operation == action.operation for hook in route.before) for action in dangerous
    )
