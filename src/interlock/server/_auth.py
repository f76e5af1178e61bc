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
address (`login_rate` a minute) and a user name is locked after `lockout_after` consecutive
failures for `lockout_seconds`, whatever the password (so the lock says nothing about
which names exist). Sessions and counters live in this process's memory: a restart logs
everyone out.
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


class LoginGuard:
    """Rate limit per client address; lockout per user name after consecutive failures."""

    def __init__(self, settings: ServerSettings, clock: Callable[[], float] = time.monotonic):
        self.settings = settings
        self.clock = clock
        self._attempts: dict[str, deque[float]] = {}
        self._failures: dict[str, int] = {}
        self._locked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def admit(self, address: str) -> float:
        """0 when this address may try now, else the seconds to wait."""
        now = self.clock()
        with self._lock:
            window = self._attempts.setdefault(address, deque())
            while window and now - window[0] >= 60.0:
                window.popleft()
            if len(window) >= self.settings.login_rate:
                return max(1.0, 60.0 - (now - window[0]))
            window.append(now)
            if len(self._attempts) > 10_000:  # forget quiet addresses, bounded memory
                for key in [k for k, v in self._attempts.items() if not v]:
                    del self._attempts[key]
            return 0.0

    def locked_for(self, name: str) -> float:
        now = self.clock()
        with self._lock:
            until = self._locked_until.get(name.lower(), 0.0)
            return max(0.0, until - now)

    def failed(self, name: str) -> bool:
        """Count a failure; True when this one locks the name."""
        key = name.lower()
        with self._lock:
            count = self._failures.get(key, 0) + 1
            self._failures[key] = count
            if count >= self.settings.lockout_after:
                self._locked_until[key] = self.clock() + self.settings.lockout_seconds
                self._failures[key] = 0
                return True
            return False

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(name.lower(), None)


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
