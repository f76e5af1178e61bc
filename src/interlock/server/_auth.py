"""Who is asking: console sessions, CSRF, login throttling, and the principal checks.

Two kinds of caller and never a mix:

- **Agents** present their Interlock token (`Authorization: Bearer ilk_…`). Only
  `POST /v1/decide` accepts them, and the decision is for that agent under its grant.
- **Humans** log in with name, password and TOTP code (`POST /v1/session` or the console's
  login form) and get a session cookie (HttpOnly, SameSite=Strict, Secure over TLS). Every
  state-changing call made with that cookie must also carry the session's CSRF token
  (`X-CSRF-Token` header for the API, a `csrf_token` field in console forms).

An agent token presented on any human path is refused with `require_human`, which records
the attempt as an `incident` in the audit log. Login attempts are limited per client
address (`login_rate` a minute), and a user name is locked after `lockout_after` consecutive
failures from one address (and after four times as many from all addresses) for
`lockout_seconds`, whatever the password (so the lock says nothing about which names
exist). No limit stops a person who presents a current TOTP code: see `LoginGuard`.
Sessions and counters live in this process's memory: a restart logs everyone out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi import HTTPException, Request
from fastapi.responses import Response

from interlock.identity import (
    AgentGrant,
    AgentTokenRefused,
    HumanRequired,
    looks_like_agent_token,
    require_human,
)
from interlock.model import Human
from interlock.server._settings import ServerSettings

if TYPE_CHECKING:
    from interlock.server._plane import ControlPlane

SESSION_COOKIE = "interlock_session"
LOGIN_COOKIE = "interlock_login"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ROLES_ANY = ("approver", "admin")
ROLES_ADMIN = ("admin",)


class ApiRefusal(HTTPException):
    """An HTTP refusal whose body is `{"error": message}` (see the app's handler)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(status_code=status, detail=message, headers=headers)


# --- sessions ---------------------------------------------------------------------------


@dataclass(slots=True)
class Session:
    human: Human
    csrf: str = field(repr=False)
    created: float
    seen: float


class SessionStore:
    """Sessions by the SHA-256 of their cookie value (the value itself is never kept)."""

    def __init__(self, settings: ServerSettings, clock: Callable[[], float] = time.time):
        self.settings = settings
        self.clock = clock
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(cookie: str) -> str:
        return hashlib.sha256(cookie.encode("utf-8", "surrogateescape")).hexdigest()

    def create(self, human: Human) -> tuple[str, Session]:
        cookie = secrets.token_urlsafe(32)
        now = self.clock()
        session = Session(human, secrets.token_urlsafe(32), now, now)
        with self._lock:
            self._sessions[self._key(cookie)] = session
        return cookie, session

    def get(self, cookie: str) -> Session | None:
        now = self.clock()
        key = self._key(cookie)
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                return None
            if (
                now - session.seen > self.settings.session_idle
                or now - session.created > self.settings.session_max
            ):
                del self._sessions[key]
                return None
            session.seen = now
            return session

    def end(self, cookie: str) -> None:
        with self._lock:
            self._sessions.pop(self._key(cookie), None)

    def end_user(self, name: str) -> None:
        with self._lock:
            for key in [k for k, s in self._sessions.items() if s.human.name == name]:
                del self._sessions[key]


# --- login throttling ------------------------------------------------------------------


_KEY_LIMIT = 10_000  # tracked addresses / (user, address) pairs before quiet ones are dropped
USER_LOCK_FACTOR = 4  # failures from every address together that lock a name everywhere
PROOF_MEMORY = 120.0  # seconds a TOTP code used past a limit is remembered (> its validity)


@dataclass(frozen=True, slots=True)
class Throttle:
    """A limit this login attempt is over: the HTTP status, the message, the wait."""

    status: int
    message: str
    wait: float

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(int(self.wait) + 1)}


class LoginGuard:
    """Slows password guessing down without letting anyone lock the humans out.

    Limits: `login_rate` attempts a minute per source address; `lockout_after` consecutive
    failures lock one user name *from one address* for `lockout_seconds`; and
    `USER_LOCK_FACTOR` times as many from all addresses together lock the name everywhere
    (a guesser spread over many addresses). A limit only closes the cheap path: an attempt
    that carries a current TOTP code of the claimed user still gets its full check, each
    code once (`claim_proof`), so a flood from a shared address (loopback) or failed logins
    in someone's name never lock out the person holding the second factor, nor the kill
    switch behind their session. Guessing the code is the only way past a limit, and each
    guess that misses is answered like any other throttled attempt.
    """

    def __init__(self, settings: ServerSettings, clock: Callable[[], float] = time.monotonic):
        self.settings = settings
        self.clock = clock
        self._attempts: dict[str, deque[float]] = {}
        self._failures: dict[tuple[str, str], int] = {}
        self._user_failures: dict[str, int] = {}
        self._locked_until: dict[tuple[str, str], float] = {}
        self._user_locked_until: dict[str, float] = {}
        self._proofs: dict[tuple[str, str], float] = {}
        self._refusals: dict[tuple[str, str, str], float] = {}
        self._lock = threading.Lock()

    def check(self, name: str, address: str) -> Throttle | None:
        """The limit this attempt is over, or None (and then it is counted)."""
        now = self.clock()
        key = (_user_key(name), address)
        with self._lock:
            window = self._attempts.setdefault(address, deque())
            while window and now - window[0] >= 60.0:
                window.popleft()
            if len(window) >= self.settings.login_rate:
                return Throttle(
                    429,
                    "too many login attempts from this address: wait a minute (the right "
                    "password with a current code still logs in)",
                    max(1.0, 60.0 - (now - window[0])),
                )
            locked = max(self._locked_until.get(key, 0.0), self._user_locked_until.get(key[0], 0.0))
            if locked > now:
                return Throttle(
                    423,
                    f"too many failed logins for this user: locked for "
                    f"{int((locked - now) // 60) + 1} min (the right password with a current "
                    "code still logs in)",
                    locked - now,
                )
            window.append(now)
            if len(self._attempts) > _KEY_LIMIT:  # forget quiet addresses, bounded memory
                for quiet in [k for k, v in self._attempts.items() if not v]:
                    del self._attempts[quiet]
            return None

    def claim_proof(self, name: str, code: str) -> bool:
        """True the first time `code` is presented for `name` past a limit (then never again
        while it could still be valid): one full check per code, whoever sends it."""
        now = self.clock()
        key = (_user_key(name), code.strip()[:16])
        with self._lock:
            for old in [k for k, until in self._proofs.items() if until <= now]:
                del self._proofs[old]
            if key in self._proofs:
                return False
            self._proofs[key] = now + PROOF_MEMORY
            return True

    def first_refusal(self, event: str, name: str, address: str) -> bool:
        """True for the first refusal of its kind for (name, address) in a minute: a flood
        is recorded once a minute, not once a request (metrics count every one)."""
        now = self.clock()
        key = (event, _user_key(name), address)
        with self._lock:
            if self._refusals.get(key, 0.0) > now:
                return False
            if len(self._refusals) > _KEY_LIMIT:
                self._refusals = {k: t for k, t in self._refusals.items() if t > now}
            self._refusals[key] = now + 60.0
            return True

    def failed(self, name: str, address: str) -> bool:
        """Count a failure; True when it locks the name (from this address, or everywhere)."""
        user = _user_key(name)
        key = (user, address)
        now = self.clock()
        with self._lock:
            count = self._failures.get(key, 0) + 1
            total = self._user_failures.get(user, 0) + 1
            self._failures[key] = count
            self._user_failures[user] = total
            locks = False
            if count >= self.settings.lockout_after:
                self._locked_until[key] = now + self.settings.lockout_seconds
                self._failures[key] = 0
                locks = True
            if total >= self.settings.lockout_after * USER_LOCK_FACTOR:
                self._user_locked_until[user] = now + self.settings.lockout_seconds
                self._user_failures[user] = 0
                locks = True
            if len(self._failures) > _KEY_LIMIT or len(self._user_failures) > _KEY_LIMIT:
                self._forget_unlocked(now)
            return locks

    def succeeded(self, name: str, address: str) -> None:
        user = _user_key(name)
        with self._lock:
            self._failures.pop((user, address), None)
            self._user_failures.pop(user, None)

    def _forget_unlocked(self, now: float) -> None:
        """Bounded memory: drop counters that lock nothing (called with the lock held)."""
        self._locked_until = {k: t for k, t in self._locked_until.items() if t > now}
        self._user_locked_until = {k: t for k, t in self._user_locked_until.items() if t > now}
        self._failures = {k: v for k, v in self._failures.items() if k in self._locked_until}
        self._user_failures = {
            k: v for k, v in self._user_failures.items() if k in self._user_locked_until
        }


def _user_key(name: str) -> str:
    return name.lower()[:128]


# --- principals --------------------------------------------------------------------------


def plane_of(request: Request) -> ControlPlane:
    plane: ControlPlane = request.app.state.plane
    return plane


def client_address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def bearer(request: Request) -> str:
    value = request.headers.get("authorization", "")
    scheme, _, credential = value.partition(" ")
    return credential.strip() if scheme.lower() == "bearer" else ""


def refuse_agent_credentials(request: Request, plane: ControlPlane) -> None:
    """An agent token anywhere on a human path: refused and recorded as an incident."""
    presented = [bearer(request), request.headers.get("x-interlock-token", "")]
    presented += list(request.cookies.values())
    for value in presented:
        if value and looks_like_agent_token(value):
            try:
                require_human(
                    value, audit=plane.audit, action=f"{request.method} {request.url.path}"
                )
            except HumanRequired as refused:
                raise ApiRefusal(403, str(refused)) from None


async def no_agent_credentials(request: Request) -> None:
    """Dependency for human entry points that need no session (the login itself)."""
    refuse_agent_credentials(request, plane_of(request))


def session_of(request: Request, plane: ControlPlane) -> tuple[str, Session] | None:
    cookie = request.cookies.get(SESSION_COOKIE, "")
    if not cookie:
        return None
    session = plane.sessions.get(cookie)
    return (cookie, session) if session is not None else None


def check_csrf(request: Request, session: Session, presented: str | None) -> None:
    """The session's CSRF token must come with every state-changing call, from our origin."""
    origin = request.headers.get("origin")
    if origin is not None and origin != "null":
        expected = f"{request.url.scheme}://{request.headers.get('host', '')}"
        if origin.rstrip("/") != expected:
            raise ApiRefusal(403, "cross-origin request refused")
    if not presented or not hmac.compare_digest(presented.encode(), session.csrf.encode()):
        raise ApiRefusal(403, "missing or wrong CSRF token (send the X-CSRF-Token header)")


HumanDependency = Callable[[Request], Coroutine[Any, Any, Human]]


def api_human(*roles: str) -> HumanDependency:
    """Dependency: the logged-in human with one of `roles`; CSRF header on unsafe methods."""
    allowed = roles or ROLES_ANY

    async def dependency(request: Request) -> Human:
        plane = plane_of(request)
        refuse_agent_credentials(request, plane)
        found = session_of(request, plane)
        if found is None:
            raise ApiRefusal(
                401, "log in first (POST /v1/session)", {"WWW-Authenticate": "Session"}
            )
        _, session = found
        if request.method not in SAFE_METHODS:
            check_csrf(request, session, request.headers.get(CSRF_HEADER))
        return _with_role(session.human, allowed)

    return dependency


def _with_role(human: Human, allowed: tuple[str, ...]) -> Human:
    if human.role not in allowed:
        raise ApiRefusal(
            403, f"{human.name} is an {human.role}: this needs the {' or '.join(allowed)} role"
        )
    return human


def console_human(request: Request, *roles: str) -> Session | None:
    """The console's session (None: send to the login page). Role refusals are 403."""
    plane = plane_of(request)
    refuse_agent_credentials(request, plane)
    found = session_of(request, plane)
    if found is None:
        return None
    _with_role(found[1].human, roles or ROLES_ANY)
    return found[1]


async def api_agent(request: Request) -> AgentGrant:
    """Dependency: the agent behind the bearer token (refusal reason in the audit log)."""
    plane = plane_of(request)
    token = bearer(request)
    if not token:
        if session_of(request, plane) is not None:
            raise ApiRefusal(403, "this endpoint is for agents: send the agent's token")
        raise ApiRefusal(401, "send the agent's token as `Authorization: Bearer ilk_…`")
    try:
        return plane.verifier.verify(token)
    except AgentTokenRefused as refused:
        raise ApiRefusal(401, str(refused), {"WWW-Authenticate": "Bearer"}) from None


def set_session_cookie(
    request: Request, response: Response, plane: ControlPlane, value: str
) -> None:
    mode = plane.settings.secure_cookies
    secure = mode == "always" or (mode == "auto" and request.url.scheme == "https")
    response.set_cookie(
        SESSION_COOKIE, value, httponly=True, samesite="strict", secure=secure, path="/"
    )
