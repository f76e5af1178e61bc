"""Humans: users with an argon2id password and a TOTP second factor, and the human gate.

Only humans approve held actions, change policies, and create agents or resources.
`require_human` is the one door: it accepts an authenticated human (or a login to check)
and refuses everything else; an agent token presented there is also recorded as an
incident, because an agent trying a human path is exactly the behaviour Interlock exists
to catch.

Locally, the CLI operator is the human: whoever can read the home's `keys/` can already
read every secret, so `local_operator` trusts the OS user, unless the process carries an
agent token (`$INTERLOCK_AGENT_TOKEN`), in which case it is an agent and is refused. The
control plane will require `authenticate_human` for every human action.
"""

from __future__ import annotations

import getpass
import hmac
import os
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from interlock.audit import AuditLog
from interlock.errors import InputError, InterlockError
from interlock.home import Home, find_home
from interlock.identity._errors import AuthenticationFailed, HumanRequired, IdentityError
from interlock.identity._keys import Sealer
from interlock.identity._scope import check_name
from interlock.identity._sealed import SealedRegistry
from interlock.identity._tokens import (
    AgentGrant,
    Clock,
    iso,
    looks_like_agent_token,
    token_ids_if_any,
)
from interlock.model import Agent, Human
from interlock.state import AlreadyStored, HumanStorage, StoredHuman, identity_storage

ROLES = ("approver", "admin")
AGENT_TOKEN_ENV = "INTERLOCK_AGENT_TOKEN"  # noqa: S105 (a variable name)
MIN_PASSWORD = 12
MAX_PASSWORD = 1024
TOTP_ISSUER = "Interlock"
_TOTP_STEP = 30


@dataclass(frozen=True, slots=True)
class HumanLogin:
    """What a person presents: name, password and the current TOTP code."""

    name: str
    password: str = field(repr=False)
    code: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Enrolment:
    """The result of `user add`: shown once, never stored in the clear."""

    name: str
    role: str
    totp_secret: str = field(repr=False)
    provisioning_uri: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class HumanRecord:
    name: str
    role: str
    created_at: float
    created_by: str

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role,
            "created_at": iso(self.created_at),
            "created_by": self.created_by,
        }


def _totp_purpose(name: str) -> str:
    return f"totp:{name}"


class HumanRegistry(SealedRegistry[HumanStorage]):
    """Users in the identity state; the TOTP secret is sealed with the master key."""

    def __init__(
        self,
        state: HumanStorage,
        sealer: Sealer | None = None,
        *,
        audit: AuditLog | None = None,
        clock: Clock = time.time,
        hasher: PasswordHasher | None = None,
    ) -> None:
        super().__init__(state, sealer, audit=audit, clock=clock)
        self.hasher = hasher if hasher is not None else PasswordHasher()
        self._dummy_hash: str | None = None
        self._dummy_totp = pyotp.random_base32()

    @classmethod
    def for_home(cls, home: Home, *, clock: Clock = time.time) -> HumanRegistry:
        return cls(
            identity_storage(home),
            Sealer.for_home(home, create=True),
            audit=home.audit_log(),
            clock=clock,
        )

    def _no_key(self) -> InterlockError:
        return IdentityError("no identity master key: users cannot be enrolled")

    def add(self, by: Human, name: str, *, role: str, password: str) -> Enrolment:
        admin = _require_admin(by)
        check_name(name, "user")
        if role not in ROLES:
            raise InputError(f"role {role!r} is not valid: expected {' or '.join(ROLES)}")
        if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise InputError(f"the password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters")
        secret = pyotp.random_base32()
        sealed = self.sealer.seal(secret, _totp_purpose(name))
        human = StoredHuman(
            name, role, self.hasher.hash(password), sealed, 0, self.clock(), admin.name
        )
        try:
            self.state.add_human(human)
        except AlreadyStored:
            raise IdentityError(f"a user named {name!r} already exists") from None
        self._log("user_added", user=name, role=role, by=admin.name)
        uri = pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name=TOTP_ISSUER)
        return Enrolment(name, role, secret, uri)

    def users(self) -> list[HumanRecord]:
        return [
            HumanRecord(h.name, h.role, h.created_at, h.created_by) for h in self.state.humans()
        ]

    def remove(self, by: Human, name: str) -> None:
        admin = _require_admin(by)
        if not self.state.remove_human(name):
            raise IdentityError(f"no user named {name!r} (see `interlock user list`)")
        self._log("user_removed", user=name, by=admin.name)

    def authenticate(self, name: str, password: str, code: str) -> Human:
        """The human, or `AuthenticationFailed` with one message whatever was wrong.

        An unknown name still costs one argon2 verification and one TOTP computation, so
        the time taken does not say which part failed. A code is accepted once (replay of
        the same 30-second step is refused) with one step of clock drift either way.
        """
        row = self.state.human(name)
        stored_hash = row.password_hash if row is not None else self._dummy()
        try:
            password_ok: bool = self.hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            password_ok = False
        totp_secret = self._dummy_totp
        if row is not None:
            try:
                totp_secret = self.sealer.open(row.totp_sealed, _totp_purpose(name))
            except InterlockError:
                row = None  # unreadable enrolment: fail like an unknown user
        step = self._matching_step(totp_secret, code)
        reason = None
        if row is None:
            reason = "unknown_user"
        elif not password_ok:
            reason = "wrong_password"
        elif step is None:
            reason = "wrong_code"
        elif not self.state.claim_totp_step(name, step):
            reason = "code_reused"
        if reason is not None:
            self._log("human_login_refused", type_="auth", user=name, reason=reason)
            raise AuthenticationFailed()
        assert row is not None
        if self.hasher.check_needs_rehash(stored_hash):
            self.state.set_password_hash(name, self.hasher.hash(password))
        self._log("human_login", type_="auth", user=name)
        return Human(name=name, role=row.role)

    def code_is_current(self, name: str, code: str) -> bool:
        """Whether `code` is a TOTP code `name` could log in with now (not yet used).

        Cheap (no password hash), claims nothing and records nothing: the control plane
        lets a throttled login through to `authenticate` only when this holds, so a flood
        cannot lock out a person who holds the second factor. An unknown name costs the
        same TOTP computation.
        """
        row = self.state.human(name)
        secret = self._dummy_totp
        if row is not None:
            try:
                secret = self.sealer.open(row.totp_sealed, _totp_purpose(name))
            except InterlockError:
                row = None
        step = self._matching_step(secret, code)
        return row is not None and step is not None and step > row.totp_last_step

    def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash(secrets.token_hex(16))
        return self._dummy_hash

    def _matching_step(self, secret: str, code: str) -> int | None:
        totp = pyotp.TOTP(secret, interval=_TOTP_STEP)
        current = int(self.clock()) // _TOTP_STEP
        found = None
        for step in (current - 1, current, current + 1):
            expected = totp.generate_otp(step)
            if hmac.compare_digest(expected.encode(), code.strip().encode()[:16]):
                found = step
        return found

    def require(self, credential: object, *, action: str) -> Human:
        return require_human(credential, humans=self, audit=self.audit, action=action)

    def _log(self, event: str, *, type_: str = "identity", **body: Any) -> None:
        if self.audit is not None:
            self.audit.append(type_, {"event": event, **body})


def _require_admin(by: object) -> Human:
    if not isinstance(by, Human):
        raise HumanRequired("only a human administrator can manage users")
    if by.role != "admin":
        raise HumanRequired(f"{by.name} is an {by.role}: only an admin can manage users")
    return by


def require_human(
    credential: object,
    *,
    humans: HumanRegistry | None = None,
    audit: AuditLog | None = None,
    home: Home | None = None,
    action: str = "administer",
) -> Human:
    """The human behind `credential`, or `HumanRequired`.

    Accepted: a `Human` (already authenticated by the caller: the local operator, a control
    plane session) or a `HumanLogin` (checked with `humans`). An agent token, an `Agent` or
    an `AgentGrant` is refused and recorded as an `incident` in the audit log (from `audit`,
    or the home's log).
    """
    if isinstance(credential, Human):
        return credential
    if isinstance(credential, HumanLogin):
        if humans is None:
            raise HumanRequired("no user registry to check the login against")
        return humans.authenticate(credential.name, credential.password, credential.code)
    agent_body: dict[str, Any] | None = None
    if isinstance(credential, str) and looks_like_agent_token(credential):
        ids = token_ids_if_any(credential.strip())
        agent_body = {"presented": "agent_token"}
        if ids is not None:
            agent_body.update(grant_id=ids.token_id, agent_id=ids.agent_id)
    elif isinstance(credential, AgentGrant):
        agent_body = {
            "presented": "agent_grant",
            "grant_id": credential.token_id,
            "agent_id": credential.agent.id,
            "agent": credential.agent.name,
        }
    elif isinstance(credential, Agent):
        agent_body = {"presented": "agent", "agent_id": credential.id, "agent": credential.name}
    if agent_body is None:
        raise HumanRequired(f"{action}: only an authenticated human can do this")
    log = audit
    if log is None:
        found = home if home is not None else find_home()
        log = found.audit_log() if found is not None else None
    if log is not None:
        log.append(
            "incident", {"event": "agent_credential_on_human_path", "action": action, **agent_body}
        )
    raise HumanRequired(
        f"{action}: agent credentials are refused here; only a human can do this "
        "(this attempt was recorded)"
    )


def authenticate_human(
    name: str, password: str, totp_code: str, *, home: Home | None = None
) -> Human:
    """Check a person's name, password and TOTP code against the home's users."""
    found = home if home is not None else find_home()
    if found is None:
        raise AuthenticationFailed()
    return HumanRegistry.for_home(found).authenticate(name, password, totp_code)


def local_operator(home: Home | None = None, *, action: str = "administer") -> Human:
    """The human running the CLI on this machine: the OS user, with the admin role.

    The home's files are the local trust anchor (whoever can read `keys/` can read every
    secret anyway). A process that carries an agent token in `$INTERLOCK_AGENT_TOKEN` is an
    agent, not the operator: it is refused and the attempt recorded as an incident.
    """
    presented = os.environ.get(AGENT_TOKEN_ENV, "")
    if presented.strip():
        require_human(presented, home=home, action=action)
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = f"uid{os.getuid()}"
    return Human(name=f"local:{user}", role="admin")
