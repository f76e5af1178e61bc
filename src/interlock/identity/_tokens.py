"""Agent tokens: their format, minting, and the verifier every enforcement point calls.

    ilk_<agent id>_<token id>_<secret>

The ids are 12 hex digits, so the verifier finds the record without scanning; the secret is
32 random bytes in unpadded base64url (43 characters, which may themselves contain `_`:
the token splits on the first three underscores only). Only SHA-256 of the whole token is
stored; comparisons use `hmac.compare_digest`, and an unknown id is compared against a dummy
digest so every well-formed token costs the same work.

`AgentVerifier` caches verified tokens by token id (with their digest, never the token) so a
warm verification is a split, one SHA-256 and a dict lookup. The cache is dropped whenever
the `revocation_epoch` in SQLite changes, which the verifier re-reads at most every 250 ms,
and at once when this process itself revoked or suspended something: a revoked or suspended
agent is refused by every process sharing the state within a second.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from interlock.audit import AuditLog
from interlock.errors import InterlockError
from interlock.home import Home, require_home
from interlock.identity._errors import AgentTokenRefused, RefusalReason
from interlock.model import Agent, Resource, Verb
from interlock.state import StoredAgent, StoredToken, TokenStorage, identity_storage

Clock = Callable[[], float]
"""Seconds since the epoch (`time.time`); tests inject their own."""

TOKEN_PREFIX = "ilk_"  # noqa: S105 (a prefix, not a secret)
MAX_CHAIN_DEPTH = 8
_ID = re.compile(r"^[0-9a-f]{12}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{43}$")
_MAX_TOKEN_LENGTH = 128
_DUMMY_DIGEST = hashlib.sha256(b"interlock: no such token").digest()

_EXPLAIN = {
    RefusalReason.WRONG_PREFIX: "not an Interlock agent token (no ilk_ prefix)",
    RefusalReason.MALFORMED: "agent token has the wrong shape (parts or ids)",
    RefusalReason.BAD_ENCODING: "agent token secret is not base64url of 32 bytes",
    RefusalReason.UNKNOWN_TOKEN: "no such agent token id",
    RefusalReason.WRONG_SECRET: "agent token secret does not match its id",
    RefusalReason.EXPIRED: "agent token has expired",
    RefusalReason.TOKEN_REVOKED: "agent token was revoked (or replaced by rotation)",
    RefusalReason.AGENT_REVOKED: "the agent was revoked",
    RefusalReason.AGENT_SUSPENDED: "the agent is suspended",
    RefusalReason.PARENT_REVOKED: "the token this child token was minted from was revoked",
    RefusalReason.PARENT_SUSPENDED: "the agent this child token was minted by is suspended",
    RefusalReason.PARENT_EXPIRED: "the token this child token was minted from has expired",
}

# Bumped after every revoke/suspend/resume/rotate committed by this process, so verifiers in
# the same process drop their cache at once instead of at the next epoch poll.
_local_generation = [0]


def note_local_change() -> None:
    _local_generation[0] += 1


def new_id() -> str:
    return secrets.token_hex(6)


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def looks_like_agent_token(value: str) -> bool:
    """True for anything presented in the shape of an agent token (used to refuse agents on
    human paths, so a mangled token counts too)."""
    return value.strip().startswith(TOKEN_PREFIX)


@dataclass(frozen=True, slots=True)
class MintedToken:
    """A token just minted: the only moment its text exists outside the agent."""

    token: str = field(repr=False)
    token_id: str
    agent_id: str
    expires_at: float


def mint(agent_id: str) -> tuple[MintedToken, bytes]:
    """A new token for `agent_id` (expiry filled in by the caller) and its digest to store."""
    token_id = new_id()
    secret = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    text = f"{TOKEN_PREFIX}{agent_id}_{token_id}_{secret}"
    return MintedToken(text, token_id, agent_id, 0.0), token_digest(text)


@dataclass(frozen=True, slots=True)
class TokenIds:
    agent_id: str
    token_id: str


def parse_token(token: object) -> TokenIds:
    """The ids of a well-formed token; raises `AgentTokenRefused` saying what is malformed."""
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX):
        raise AgentTokenRefused(RefusalReason.WRONG_PREFIX)
    parts = token.split("_", 3)
    if len(token) > _MAX_TOKEN_LENGTH or len(parts) != 4:
        raise AgentTokenRefused(RefusalReason.MALFORMED)
    _, agent_id, token_id, secret = parts
    if not _ID.match(agent_id) or not _ID.match(token_id):
        raise AgentTokenRefused(RefusalReason.MALFORMED)
    if not _SECRET.match(secret):
        raise AgentTokenRefused(RefusalReason.BAD_ENCODING)
    try:
        raw = base64.urlsafe_b64decode(secret + "=")
    except (binascii.Error, ValueError):
        raise AgentTokenRefused(RefusalReason.BAD_ENCODING) from None
    # 43 characters carry 258 bits: the last two must be zero in the canonical encoding.
    if len(raw) != 32 or base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != secret:
        raise AgentTokenRefused(RefusalReason.BAD_ENCODING)
    return TokenIds(agent_id, token_id)


def token_ids_if_any(token: str) -> TokenIds | None:
    try:
        return parse_token(token)
    except AgentTokenRefused:
        return None


@dataclass(frozen=True, slots=True)
class AgentGrant:
    """A verified agent token: the agent (as the gate sees it) plus what the model lacks.

    `agent.environments` and `agent.max_verb` are the token's scope; `resources` limits it to
    named resources (None: every resource of those environments); `expires_at` is the
    earliest expiry along the token's chain of parents.
    """

    agent: Agent
    token_id: str
    expires_at: float
    resources: frozenset[str] | None = None
    parent_id: str | None = None

    def allows_resource(self, name: str) -> bool:
        return self.resources is None or name in self.resources

    def resource_refusal(self, resource: Resource) -> str | None:
        """Why this grant rules out `resource` before any policy is asked, or None."""
        if not self.allows_resource(resource.name):
            granted = ", ".join(sorted(self.resources or ())) or "none"
            return (
                f"agent {self.agent.name!r} is not granted the resource {resource.name!r} "
                f"(granted: {granted})"
            )
        return None

    def expires_iso(self) -> str:
        return iso(self.expires_at)


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class _Cached:
    digest: bytes
    grant: AgentGrant


class AgentVerifier:
    """Turns an agent token into an `AgentGrant`, or refuses it with a recorded reason."""

    def __init__(
        self,
        state: TokenStorage,
        *,
        audit: AuditLog | None = None,
        clock: Clock = time.time,
        epoch_interval: float = 0.25,
        max_cached: int = 10_000,
    ) -> None:
        self._state = state
        self._audit = audit
        self._clock = clock
        self._interval = epoch_interval
        self._max_cached = max_cached
        self._cache: dict[str, _Cached] = {}
        self._lock = threading.Lock()
        self._epoch = state.revocation_epoch()
        self._generation = _local_generation[0]
        self._next_poll = time.monotonic() + epoch_interval

    def verify(self, token: str) -> AgentGrant:
        """The grant of a valid token; raises `AgentTokenRefused` (generic message) otherwise."""
        self._refresh()
        if isinstance(token, str):
            parts = token.split("_", 3)
            if len(parts) == 4:
                hit = self._cache.get(parts[2])
                if (
                    hit is not None
                    and hmac.compare_digest(hit.digest, token_digest(token))
                    and self._clock() < hit.grant.expires_at
                ):
                    return hit.grant
        return self._verify_cold(token)

    def invalidate(self) -> None:
        with self._lock:
            self._cache.clear()

    def _refresh(self) -> None:
        now = time.monotonic()
        if self._generation == _local_generation[0] and now < self._next_poll:
            return
        with self._lock:
            self._next_poll = now + self._interval
            if self._generation != _local_generation[0]:
                self._generation = _local_generation[0]
                self._cache.clear()
            epoch = self._state.revocation_epoch()
            if epoch != self._epoch:
                self._epoch = epoch
                self._cache.clear()

    def _verify_cold(self, token: str) -> AgentGrant:
        ids: TokenIds | None = None
        try:
            ids = parse_token(token)
            grant, digest = self._load(ids, token)
        except AgentTokenRefused as refused:
            self._record(refused.reason, ids)
            raise
        with self._lock:
            if len(self._cache) >= self._max_cached:
                self._cache.clear()
            self._cache[ids.token_id] = _Cached(digest, grant)
        return grant

    def _load(self, ids: TokenIds, token: str) -> tuple[AgentGrant, bytes]:
        found = self._state.token(ids.token_id)
        actual = token_digest(token)
        if found is None or found[0].agent_id != ids.agent_id:
            hmac.compare_digest(actual, _DUMMY_DIGEST)  # the same work as a real comparison
            raise AgentTokenRefused(RefusalReason.UNKNOWN_TOKEN)
        stored, agent = found
        if not hmac.compare_digest(actual, stored.digest):
            raise AgentTokenRefused(RefusalReason.WRONG_SECRET)
        now = self._clock()
        if agent.status == "revoked":
            raise AgentTokenRefused(RefusalReason.AGENT_REVOKED)
        if agent.status == "suspended":
            raise AgentTokenRefused(RefusalReason.AGENT_SUSPENDED)
        if stored.revoked_at is not None:
            raise AgentTokenRefused(RefusalReason.TOKEN_REVOKED)
        if now >= stored.expires_at:
            raise AgentTokenRefused(RefusalReason.EXPIRED)
        expires_at = stored.expires_at
        parent_token = stored.parent_token_id
        for _ in range(MAX_CHAIN_DEPTH):
            if parent_token is None:
                break
            parent = self._state.token(parent_token)
            if parent is None or parent[1].status == "revoked" or parent[0].revoked_at is not None:
                raise AgentTokenRefused(RefusalReason.PARENT_REVOKED)
            if parent[1].status == "suspended":
                raise AgentTokenRefused(RefusalReason.PARENT_SUSPENDED)
            if now >= parent[0].expires_at:
                raise AgentTokenRefused(RefusalReason.PARENT_EXPIRED)
            expires_at = min(expires_at, parent[0].expires_at)
            parent_token = parent[0].parent_token_id
        else:
            raise AgentTokenRefused(RefusalReason.MALFORMED)  # a chain deeper than minting allows
        return _grant(stored, agent, expires_at), actual

    def _record(self, reason: RefusalReason, ids: TokenIds | None) -> None:
        if self._audit is None:
            return
        body: dict[str, Any] = {
            "event": "agent_token_refused",
            "reason": reason.value,
            "detail": _EXPLAIN[reason],
        }
        if ids is not None:
            # The token id is recorded as `grant_id` (the audit redactor masks any field whose
            # name says "token"); the secret never leaves this function.
            body["grant_id"] = ids.token_id
            body["agent_id"] = ids.agent_id
        with contextlib.suppress(InterlockError):  # the refusal stands, recorded or not
            self._audit.append("auth", body)


def _grant(token: StoredToken, agent: StoredAgent, expires_at: float) -> AgentGrant:
    """The token's scope, under the agent's name, owner and task."""
    return AgentGrant(
        agent=Agent(
            name=agent.name,
            id=agent.id,
            environments=token.environments,
            max_verb=Verb(token.max_verb),
            owner=agent.owner,
            task=agent.task,
            resources=token.resources,
        ),
        token_id=token.id,
        expires_at=expires_at,
        resources=token.resources,
        parent_id=agent.parent_id,
    )


_verifiers: dict[Path, AgentVerifier] = {}
_verifiers_lock = threading.Lock()


def verifier_for_home(home: Home | None = None) -> AgentVerifier:
    """The process-wide verifier of a home (found as the CLI finds it when not given)."""
    home = home if home is not None else require_home()
    with _verifiers_lock:
        verifier = _verifiers.get(home.root)
        if verifier is None:
            verifier = AgentVerifier(identity_storage(home), audit=home.audit_log())
            _verifiers[home.root] = verifier
        return verifier


def verify_agent_grant(token: str, *, home: Home | None = None) -> AgentGrant:
    """Verify `token` against the home's state: its grant, or `AgentTokenRefused`."""
    return verifier_for_home(home).verify(token)


def verify_agent_token(token: str, *, home: Home | None = None) -> Agent:
    """What proxies and hooks call: the agent a token stands for, or `AgentTokenRefused`
    (message: "invalid or expired agent token"; the precise reason is in the audit log)."""
    return verify_agent_grant(token, home=home).agent
