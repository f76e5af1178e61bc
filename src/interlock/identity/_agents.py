"""The agent registry: create, list, suspend, resume, revoke, rotate, and child tokens.

Humans create agents (`by` is a `Human`); an agent can only ever mint a *child* token for
a sub-agent, strictly inside its own grant (see `_scope.narrow`). A child hangs off the
token that minted it: revoking, suspending or rotating the parent refuses the child too.
Every change that can take access away bumps the revocation epoch in the same transaction.
"""

from __future__ import annotations

import time
from dataclasses import KW_ONLY, dataclass
from typing import Any

from interlock.audit import AuditLog
from interlock.config import read_config
from interlock.errors import InputError
from interlock.home import Home
from interlock.identity._errors import HumanRequired, IdentityError, WideningRefused
from interlock.identity._scope import (
    Scope,
    check_name,
    format_duration,
    make_scope,
    narrow,
)
from interlock.identity._tokens import (
    AgentVerifier,
    Clock,
    MintedToken,
    iso,
    mint,
    new_id,
    note_local_change,
)
from interlock.model import Agent, Human, Verb
from interlock.state import (
    AgentStorage,
    AlreadyStored,
    BaselineStorage,
    StoredAgent,
    StoredToken,
    identity_storage,
)

DEFAULT_TTL = 8 * 3600
DEFAULT_MAX_TTL = 24 * 3600
STATUSES = ("active", "suspended", "revoked")
BREAKER_ACTOR = "circuit-breaker"
"""Who the audit log names when the circuit breaker suspends an agent (never a human)."""


def max_ttl_from_config(home: Home) -> int:
    """`[identity] max_ttl` from interlock.toml (default 24h): no token lives longer."""
    return read_config(home.config_path).identity.max_ttl


@dataclass(frozen=True, slots=True)
class TokenRecord:
    id: str
    parent_token_id: str | None
    scope: Scope
    issued_at: float
    expires_at: float
    revoked_at: float | None

    def state(self, now: float) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if now >= self.expires_at else "active"


@dataclass(frozen=True, slots=True)
class AgentRecord:
    """An agent as stored (never with a token's text)."""

    id: str
    name: str
    parent_id: str | None
    owner: str
    task: str
    scope: Scope
    status: str
    created_at: float
    created_by: str
    changed_at: float
    tokens: tuple[TokenRecord, ...] = ()

    def live_token(self, now: float) -> TokenRecord | None:
        live = [t for t in self.tokens if t.state(now) == "active"]
        return max(live, key=lambda t: t.issued_at) if live else None

    def to_json(self, now: float) -> dict[str, Any]:
        live = self.live_token(now)
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "parent_id": self.parent_id,
            "owner": self.owner,
            "task": self.task,
            "environments": sorted(self.scope.environments),
            "resources": None if self.scope.resources is None else sorted(self.scope.resources),
            "max_risk": self.scope.max_verb.value,
            "created_at": iso(self.created_at),
            "created_by": self.created_by,
            "token_id": live.id if live else None,
            "expires_at": iso(live.expires_at) if live else None,
            "tokens": [
                {
                    "id": t.id,
                    "state": t.state(now),
                    "issued_at": iso(t.issued_at),
                    "expires_at": iso(t.expires_at),
                    "parent_token_id": t.parent_token_id,
                }
                for t in self.tokens
            ],
        }


def _scope_of(stored: StoredAgent | StoredToken) -> Scope:
    return Scope(stored.environments, stored.resources, Verb(stored.max_verb))


def _token(
    agent_id: str,
    token_id: str,
    parent_token_id: str | None,
    digest: bytes,
    scope: Scope,
    issued_at: float,
    expires_at: float,
) -> StoredToken:
    return StoredToken(
        token_id,
        agent_id,
        parent_token_id,
        digest,
        scope.environments,
        scope.resources,
        scope.max_verb.value,
        issued_at,
        expires_at,
        None,
    )


def _require_human(by: object) -> Human:
    if not isinstance(by, Human):
        raise HumanRequired("only a human can create, change or revoke agents")
    return by


@dataclass(eq=False)
class AgentRegistry:
    """Agents and their tokens in the identity state."""

    state: AgentStorage
    _: KW_ONLY
    audit: AuditLog | None = None
    clock: Clock = time.time
    max_ttl: int = DEFAULT_MAX_TTL
    breaker: BaselineStorage | None = None  # open breaker trips close when a human resumes

    @classmethod
    def for_home(cls, home: Home, *, clock: Clock = time.time) -> AgentRegistry:
        from interlock.state import baseline_storage

        return cls(
            identity_storage(home),
            audit=home.audit_log(),
            clock=clock,
            max_ttl=max_ttl_from_config(home),
            breaker=baseline_storage(home),
        )

    # -- reading ---------------------------------------------------------------------------

    def get(self, name_or_id: str) -> AgentRecord:
        """An agent by id, or by name (the live one; a revoked one if none is live)."""
        stored = self.state.agent(name_or_id)
        if stored is None:
            raise IdentityError(f"no agent named {name_or_id!r} (see `interlock agent list`)")
        return self._record(stored)

    def agents(self, *, include_revoked: bool = False) -> list[AgentRecord]:
        return [self._record(a) for a in self.state.agents(include_revoked=include_revoked)]

    def _record(self, stored: StoredAgent) -> AgentRecord:
        tokens = tuple(
            TokenRecord(
                t.id, t.parent_token_id, _scope_of(t), t.issued_at, t.expires_at, t.revoked_at
            )
            for t in self.state.tokens(stored.id)
        )
        return AgentRecord(
            id=stored.id,
            name=stored.name,
            parent_id=stored.parent_id,
            owner=stored.owner,
            task=stored.task,
            scope=_scope_of(stored),
            status=stored.status,
            created_at=stored.created_at,
            created_by=stored.created_by,
            changed_at=stored.changed_at,
            tokens=tokens,
        )

    # -- creating --------------------------------------------------------------------------

    def _ttl(self, ttl: int | None, default: int = DEFAULT_TTL) -> int:
        if ttl is None:
            return min(default, self.max_ttl)
        if ttl <= 0:
            raise InputError("the token lifetime must be longer than zero")
        if ttl > self.max_ttl:
            raise InputError(
                f"--ttl {format_duration(ttl)} is longer than the configured maximum "
                f"{format_duration(self.max_ttl)} ([identity] max_ttl in interlock.toml)"
            )
        return ttl

    def create(
        self,
        by: Human,
        name: str,
        *,
        environments: list[str] | frozenset[str],
        task: str,
        owner: str,
        resources: list[str] | frozenset[str] | None = None,
        max_verb: Verb = Verb.WRITE,
        ttl: int | None = None,
    ) -> tuple[AgentRecord, MintedToken]:
        """Register an agent and mint its first token (returned once, never stored)."""
        human = _require_human(by)
        check_name(name, "agent")
        if not task.strip():
            raise InputError("an agent needs a --task saying what it is for")
        if not owner.strip():
            raise InputError("an agent needs an --owner (the human accountable for it)")
        scope = make_scope(environments, resources, max_verb)
        lifetime = self._ttl(ttl)
        agent_id, minted = self._insert(
            name=name,
            parent_id=None,
            parent_token_id=None,
            owner=owner.strip(),
            task=task.strip(),
            scope=scope,
            lifetime=lifetime,
            created_by=human.name,
        )
        self._log("agent_created", agent_id, name, minted, by=human.name, scope=scope)
        return self.get(agent_id), minted

    def mint_child(
        self,
        parent_token: str,
        name: str,
        *,
        environments: list[str] | None = None,
        resources: list[str] | None = None,
        max_verb: Verb | None = None,
        ttl: int | None = None,
        task: str = "",
    ) -> tuple[AgentRecord, MintedToken]:
        """A sub-agent's token, minted by an agent with its own token, strictly inside its grant.

        Omitted dimensions are inherited; every dimension asked for must be inside the
        parent's, and the child never outlives the parent: each widening raises
        `WideningRefused`. A refused parent token raises `AgentTokenRefused`.
        """
        verifier = AgentVerifier(self.state, audit=self.audit, clock=self.clock)
        parent = verifier.verify(parent_token)
        check_name(name, "sub-agent")
        parent_scope = Scope(
            parent.agent.environments or frozenset(), parent.resources, parent.agent.max_verb
        )
        scope = narrow(
            parent_scope, environments=environments, resources=resources, max_verb=max_verb
        )
        now = self.clock()
        remaining = parent.expires_at - now
        if ttl is None:
            lifetime = min(self._ttl(None), int(remaining))
        else:
            lifetime = self._ttl(ttl)
            if now + lifetime > parent.expires_at:
                raise WideningRefused(
                    f"a child token cannot outlive its parent: --ttl {format_duration(ttl)} "
                    f"asked, the parent expires in {format_duration(remaining)}"
                )
        if lifetime <= 0:
            raise WideningRefused("the parent token expires too soon to mint a child")
        full_name = f"{parent.agent.name}/{name}"
        agent_id, minted = self._insert(
            name=full_name,
            parent_id=parent.agent.id,
            parent_token_id=parent.token_id,
            owner=parent.agent.owner,
            task=task.strip() or parent.agent.task,
            scope=scope,
            lifetime=lifetime,
            created_by=f"agent:{parent.agent.id}",
            expires_at=min(now + lifetime, parent.expires_at),
        )
        self._log(
            "child_minted",
            agent_id,
            full_name,
            minted,
            by=f"agent:{parent.agent.id}",
            scope=scope,
            parent_grant_id=parent.token_id,
        )
        return self.get(agent_id), minted

    def _insert(
        self,
        *,
        name: str,
        parent_id: str | None,
        parent_token_id: str | None,
        owner: str,
        task: str,
        scope: Scope,
        lifetime: int,
        created_by: str,
        expires_at: float | None = None,
    ) -> tuple[str, MintedToken]:
        now = self.clock()
        agent_id = new_id()
        minted, digest = mint(agent_id)
        expires = now + lifetime if expires_at is None else expires_at
        agent = StoredAgent(
            agent_id,
            name,
            parent_id,
            owner,
            task,
            scope.environments,
            scope.resources,
            scope.max_verb.value,
            "active",
            now,
            created_by,
            now,
        )
        try:
            self.state.add_agent(
                agent,
                _token(agent_id, minted.token_id, parent_token_id, digest, scope, now, expires),
            )
        except AlreadyStored:
            raise IdentityError(
                f"an agent named {name!r} already exists (revoke it first, or pick another name)"
            ) from None
        return agent_id, MintedToken(minted.token, minted.token_id, agent_id, expires)

    # -- taking access away ----------------------------------------------------------------

    def revoke(self, by: Human, name_or_id: str) -> AgentRecord:
        """Revoke an agent, every token it holds and every sub-agent minted below it."""
        human = _require_human(by)
        record = self.get(name_or_id)
        if record.status == "revoked":
            raise IdentityError(f"agent {record.name!r} is already revoked")
        ids = self.state.revoke_agent(record.id, self.clock())
        note_local_change()
        self._log(
            "agent_revoked", record.id, record.name, None, by=human.name, descendants=len(ids) - 1
        )
        return self.get(record.id)

    def suspend(self, by: Human, name_or_id: str) -> AgentRecord:
        """Refuse the agent (and its sub-agents) everywhere until `resume`."""
        return self._set_status(by, name_or_id, "active", "suspended", "agent_suspended")

    def resume(self, by: Human, name_or_id: str) -> AgentRecord:
        """Let a suspended agent work again: a human only, whoever suspended it (a human or
        the circuit breaker, whose open trips close here)."""
        human = _require_human(by)
        record = self._set_status(human, name_or_id, "suspended", "active", "agent_resumed")
        if self.breaker is not None:
            self.breaker.resume_trips(record.id, human.name, self.clock())
        return record

    def trip(self, agent_id: str, reason: str) -> None:
        """The circuit breaker's suspension: taking access away needs no human (giving it
        back does, `resume`). A no-op for an agent that is not active."""
        record = self.get(agent_id)
        if record.status != "active":
            return
        self.state.set_agent_status(record.id, "suspended", self.clock())
        note_local_change()
        self._log("agent_suspended", record.id, record.name, None, by=BREAKER_ACTOR, reason=reason)

    def _set_status(
        self, by: Human, name_or_id: str, before: str, after: str, event: str
    ) -> AgentRecord:
        human = _require_human(by)
        record = self.get(name_or_id)
        if record.status != before:
            raise IdentityError(f"agent {record.name!r} is {record.status}, not {before}")
        self.state.set_agent_status(record.id, after, self.clock())
        note_local_change()
        self._log(event, record.id, record.name, None, by=human.name)
        return self.get(record.id)

    def rotate(self, by: Human, name_or_id: str, *, ttl: int | None = None) -> MintedToken:
        """A new token with the same scope; the old ones (and children minted from them) are
        revoked in the same transaction."""
        human = _require_human(by)
        record = self.get(name_or_id)
        if record.status != "active":
            raise IdentityError(f"agent {record.name!r} is {record.status}: resume it first")
        if record.parent_id is not None:
            raise IdentityError(
                f"agent {record.name!r} is a sub-agent: its parent mints it a new child token"
            )
        now = self.clock()
        lifetime = self._ttl(ttl)
        minted, digest = mint(record.id)
        self.state.replace_tokens(
            record.id,
            _token(record.id, minted.token_id, None, digest, record.scope, now, now + lifetime),
            now,
        )
        note_local_change()
        fresh = MintedToken(minted.token, minted.token_id, record.id, now + lifetime)
        self._log("agent_rotated", record.id, record.name, fresh, by=human.name)
        return fresh

    # -- audit -----------------------------------------------------------------------------

    def _log(
        self,
        event: str,
        agent_id: str,
        name: str,
        minted: MintedToken | None,
        *,
        by: str,
        scope: Scope | None = None,
        **extra: Any,
    ) -> None:
        if self.audit is None:
            return
        body: dict[str, Any] = {"event": event, "agent_id": agent_id, "agent": name, "by": by}
        if minted is not None:
            body["grant_id"] = minted.token_id
            body["expires_at"] = iso(minted.expires_at)
        if scope is not None:
            body["environments"] = sorted(scope.environments)
            body["resources"] = None if scope.resources is None else sorted(scope.resources)
            body["max_risk"] = scope.max_verb.value
        body.update(extra)
        self.audit.append("identity", body)


def registered_agents(home: Home) -> dict[str, Agent]:
    """The grants of registered agents by name, for `interlock check --agent NAME`.

    A suspended agent is returned with no environments, so every action it asks about is
    refused by its grant; revoked agents are left out.
    """
    state = identity_storage(home)
    try:
        agents = AgentRegistry(state).agents()
    finally:
        state.close()
    return {
        a.name: Agent(
            name=a.name,
            id=a.id,
            environments=a.scope.environments if a.status == "active" else frozenset(),
            max_verb=a.scope.max_verb,
            owner=a.owner,
            task=a.task,
            resources=a.scope.resources,
        )
        for a in agents
    }
