"""What the identity registries need from storage: agents and their tokens, humans,
registered resources, and the revocation epoch.

The rules (who may create what, how a child token narrows, when a token is refused) live
in `interlock.identity`; storage keeps records and makes each method one transaction.
Every method that can take access away (revoke, suspend, resume, rotate) bumps the
revocation epoch in the same transaction, so every verifier sharing the state notices.
Secrets never reach storage in the clear: tokens as SHA-256 digests, TOTP secrets and
credentials sealed with the master key.

The records are plain (not frozen) dataclasses: the token verifier's cold path builds two
per lookup, and a frozen dataclass costs several times as much to build. Storage returns
fresh records, so changing one changes nothing stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(slots=True)
class StoredAgent:
    """An agent: its grant (environments, resources or None for all, highest verb)."""

    id: str
    name: str
    parent_id: str | None
    owner: str
    task: str
    environments: frozenset[str]
    resources: frozenset[str] | None
    max_verb: str
    status: str  # "active" | "suspended" | "revoked"
    created_at: float
    created_by: str
    changed_at: float


@dataclass(slots=True)
class StoredToken:
    """One agent token: the digest of its text (never the text) and its own scope."""

    id: str
    agent_id: str
    parent_token_id: str | None
    digest: bytes
    environments: frozenset[str]
    resources: frozenset[str] | None
    max_verb: str
    issued_at: float
    expires_at: float
    revoked_at: float | None


@dataclass(slots=True)
class StoredHuman:
    """A user: argon2id password hash, sealed TOTP secret, the last TOTP step accepted."""

    name: str
    role: str
    password_hash: str
    totp_sealed: bytes
    totp_last_step: int
    created_at: float
    created_by: str


@dataclass(slots=True)
class StoredResource:
    """A registered resource; `credential_sealed` is None when it has no credential."""

    name: str
    kind: str
    environment: str
    tags: frozenset[str]
    owner: str
    upstream: str
    credential_sealed: bytes | None
    credential_set_at: float | None
    created_at: float
    created_by: str


class TokenStorage(Protocol):
    """What the token verifier reads."""

    def token(self, token_id: str) -> tuple[StoredToken, StoredAgent] | None:
        """A token with the agent it belongs to."""
        ...

    def revocation_epoch(self) -> int:
        """A number that changes whenever access was taken away (or given back)."""
        ...


class AgentStorage(TokenStorage, Protocol):
    """Agents and their tokens."""

    def agent(self, name_or_id: str) -> StoredAgent | None:
        """By id; else by name: the live agent, or the newest revoked one."""
        ...

    def agents(self, *, include_revoked: bool = False) -> list[StoredAgent]:
        """By name, then age."""
        ...

    def tokens(self, agent_id: str) -> list[StoredToken]:
        """An agent's tokens, oldest first."""
        ...

    def add_agent(self, agent: StoredAgent, token: StoredToken) -> None:
        """An agent with its first token; `AlreadyStored` when a live agent has its name."""
        ...

    def revoke_agent(self, agent_id: str, at: float) -> list[str]:
        """Revoke the agent, every agent minted below it and all their tokens; bumps the
        epoch. Returns the ids revoked, the agent's first."""
        ...

    def set_agent_status(self, agent_id: str, status: str, at: float) -> None:
        """Suspend or resume; bumps the epoch."""
        ...

    def replace_tokens(self, agent_id: str, token: StoredToken, at: float) -> None:
        """Revoke the agent's live tokens and add `token`; bumps the epoch."""
        ...


class HumanStorage(Protocol):
    """Users."""

    def human(self, name: str) -> StoredHuman | None: ...

    def humans(self) -> list[StoredHuman]:
        """By name."""
        ...

    def add_human(self, human: StoredHuman) -> None:
        """`AlreadyStored` when the name is taken."""
        ...

    def remove_human(self, name: str) -> bool:
        """False when there was no such user."""
        ...

    def set_password_hash(self, name: str, password_hash: str) -> None: ...

    def claim_totp_step(self, name: str, step: int) -> bool:
        """Record `step` as the user's last accepted TOTP step, only if it is later than the
        one recorded: False means the code was already used (a replay)."""
        ...


class ResourceStorage(Protocol):
    """Registered resources, their credentials sealed."""

    def resource(self, name: str) -> StoredResource | None: ...

    def resources(self) -> list[StoredResource]:
        """By name."""
        ...

    def add_resource(self, resource: StoredResource) -> None:
        """`AlreadyStored` when the name is taken."""
        ...

    def remove_resource(self, name: str) -> bool:
        """False when there was no such resource."""
        ...


class IdentityStorage(AgentStorage, HumanStorage, ResourceStorage, Protocol):
    """All identity records, in one state (SQLite today; PostgreSQL for teams)."""

    def close(self) -> None: ...
