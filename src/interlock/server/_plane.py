"""Everything the control plane's routes share, built once from the home.

One `ControlPlane` per app: the audit log (shared by threads, see `_threads`), the approval
store, the agent, resource and user registries, the agent-token verifier, the policies in
force, the sessions and login guard, metrics, the audit follower that feeds live streams
and webhooks. Routes reach it as `request.app.state.plane`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping

from argon2 import PasswordHasher

from interlock.approvals import (
    ApprovalRequest,
    ApprovalStore,
    Separation,
    Status,
    separation_for,
)
from interlock.baseline import tracker_for_home
from interlock.checking import Checker
from interlock.enforce import EnforcementPoint
from interlock.errors import InterlockError
from interlock.gate import Gate
from interlock.home import Home
from interlock.identity import (
    AgentRegistry,
    AgentVerifier,
    HumanRegistry,
    IdentityError,
    IdentityState,
    ResourceRegistry,
    Sealer,
    max_ttl_from_config,
    registered_agents,
    registered_resources,
    resource_targets,
)
from interlock.model import Resource
from interlock.policy import PolicyBundle
from interlock.server._auth import LoginGuard, SessionStore
from interlock.server._events import AuditFollower
from interlock.server._metrics import Metrics
from interlock.server._settings import ServerSettings, load_server_settings
from interlock.server._threads import shared_audit_log
from interlock.server._webhooks import WebhookDispatcher, WebhookRegistry
from interlock.state import baseline_storage, webhook_storage

CATALOGUE_TTL = 1.0
DECIDE_WAIT_HINT = "or send it with `Prefer: wait=SECONDS` to wait for the decision"


class ControlPlane:
    def __init__(
        self,
        home: Home,
        settings: ServerSettings | None = None,
        *,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self.home = home
        self.settings = settings if settings is not None else load_server_settings(home.config_path)
        self.audit = shared_audit_log(home)
        self.state = IdentityState(home.database)
        sealer = Sealer.for_home(home, create=True)
        self.approvals = ApprovalStore(home.database, audit=self.audit)
        self.agents = AgentRegistry(
            self.state,
            audit=self.audit,
            max_ttl=max_ttl_from_config(home),
            breaker=baseline_storage(home),
        )
        self.resources = ResourceRegistry(
            self.state,
            sealer,
            audit=self.audit,
            configured=frozenset(home.load_config().resources),
        )
        self.humans = HumanRegistry(self.state, sealer, audit=self.audit, hasher=hasher)
        self.verifier = AgentVerifier(self.state, audit=self.audit)
        self.hmac_key = home.hmac_key.read_bytes()
        self.bundle: PolicyBundle = home.load_policies()
        self.gate = Gate(self.bundle, tracker_for_home(home, audit=self.audit))
        self.point = EnforcementPoint(
            gate=self.gate,
            audit=self.audit,
            approvals=self.approvals,
            hmac_key=self.hmac_key,
            wait_hint=DECIDE_WAIT_HINT,
            shadow=home.load_config().enforcement.shadow("decide"),
        )
        self.sessions = SessionStore(self.settings)
        self.guard = LoginGuard(self.settings)
        self.metrics = Metrics()
        self.webhooks = WebhookRegistry(home, webhook_storage(home), sealer, audit=self.audit)
        self.dispatcher = WebhookDispatcher(
            self.webhooks,
            self.metrics,
            self.audit,
            console_url=self.settings.console_url(),
            interactive=self.slack_interactive,
        )
        self.follower = AuditFollower(self)
        self.port: int | None = None
        self._catalogue: dict[str, Resource] = {}
        self._catalogue_at = 0.0
        self._lock = threading.Lock()
        self.metrics.gauge(
            "interlock_holds_waiting",
            "Approval requests pending a human decision.",
            lambda: float(len(self.approvals.requests([Status.PENDING], limit=10_000))),
        )

    # -- lifecycle

    def start(self) -> None:
        self.dispatcher.start()
        self.follower.start()

    def stop(self) -> None:
        self.follower.stop()
        self.dispatcher.stop()

    def close(self) -> None:
        self.stop()
        self.approvals.close()
        self.audit.store.close()
        self.state.close()
        self.webhooks.state.close()

    # -- what decisions are made against

    def catalogue(self) -> Mapping[str, Resource]:
        """Registered and configured resources (interlock.toml wins), cached for a second."""
        now = time.monotonic()
        with self._lock:
            if now - self._catalogue_at > CATALOGUE_TTL:
                self._catalogue = {
                    **registered_resources(self.home),
                    **self.home.load_config().resources,
                }
                self._catalogue_at = now
            return self._catalogue

    def forget_catalogue(self) -> None:
        with self._lock:
            self._catalogue_at = 0.0

    def reload_policies(self) -> PolicyBundle:
        """Load the home's policies again; a file that does not validate keeps the old set."""
        bundle = self.home.load_policies()
        with self._lock:
            self.bundle = bundle
            self.gate = Gate(bundle, self.gate.baseline)
            self.point.gate = self.gate
        return bundle

    def what_if_checker(self) -> Checker:
        """For "try an action": registered agents under their grants, nothing recorded."""
        return Checker(
            self.gate,
            resources=self.catalogue(),
            agents=registered_agents(self.home),
            targets=resource_targets(self.home),
        )

    # -- approvals: who may decide

    def separation(self, request: ApprovalRequest) -> Separation:
        """Must the approver differ from the agent's owner? (config flag or policy annotation)"""
        return separation_for(
            request, self.bundle.policies, everywhere=self.settings.owner_separation
        )

    def slack_interactive(self) -> bool:
        """Whether Slack approvals are set up: a `[slack]` table and its signing secret."""
        import os

        try:
            slack = self.home.load_config().slack
        except InterlockError:
            return False
        return slack.enabled and bool(os.environ.get(slack.signing_secret_env))

    def agent_status(self, request: ApprovalRequest) -> str:
        """active, suspended, revoked, …, or "" for an agent the registry does not know."""
        for key in (request.agent_id, request.agent):
            try:
                return str(self.agents.get(key).status)
            except IdentityError:
                continue
        return ""

    def agent_owner(self, request: ApprovalRequest) -> tuple[str, str]:
        """(owner, task) of the request's agent, or ("", "") for an unregistered one."""
        try:
            record = self.agents.get(request.agent_id)
        except IdentityError:
            try:
                record = self.agents.get(request.agent)
            except IdentityError:
                return "", ""
        return record.owner, record.task
