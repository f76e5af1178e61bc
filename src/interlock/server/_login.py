"""Logging a human in: throttled, locked out after repeated failures, recorded.

Shared by the JSON API (`POST /v1/session`) and the console's login form.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from interlock.identity import AuthenticationFailed
from interlock.model import Human
from interlock.server._auth import ApiRefusal, Session, client_address, plane_of


@dataclass(frozen=True, slots=True)
class LoggedIn:
    human: Human
    cookie: str
    session: Session


def log_in(request: Request, name: str, password: str, code: str) -> LoggedIn:
    """A new session, or `ApiRefusal` (401 wrong, 423 locked, 429 too many attempts)."""
    plane = plane_of(request)
    address = client_address(request)
    wait = plane.guard.admit(address)
    if wait:
        plane.metrics.inc("interlock_logins_total", result="throttled")
        plane.audit.append(
            "auth", {"event": "human_login_throttled", "user": name[:128], "address": address}
        )
        raise ApiRefusal(
            429,
            "too many login attempts from this address: wait a minute",
            {"Retry-After": str(int(wait) + 1)},
        )
    locked = plane.guard.locked_for(name)
    if locked:
        plane.metrics.inc("interlock_logins_total", result="locked")
        plane.audit.append(
            "auth", {"event": "human_login_locked", "user": name[:128], "address": address}
        )
        raise ApiRefusal(
            423,
            f"too many failed logins for this user: locked for {int(locked // 60) + 1} min",
            {"Retry-After": str(int(locked) + 1)},
        )
    try:
        human = plane.humans.authenticate(name, password, code)
    except AuthenticationFailed as failed:
        plane.metrics.inc("interlock_logins_total", result="failed")
        if plane.guard.failed(name):
            plane.audit.append(
                "auth",
                {
                    "event": "human_locked_out",
                    "user": name[:128],
                    "address": address,
                    "seconds": plane.settings.lockout_seconds,
                },
            )
        raise ApiRefusal(401, str(failed)) from None
    plane.guard.succeeded(name)
    plane.metrics.inc("interlock_logins_total", result="ok")
    cookie, session = plane.sessions.create(human)
    return LoggedIn(human, cookie, session)
