"""Logging a human in: throttled, locked out after repeated failures, recorded, and never
blocked for someone who holds the second factor.

Shared by the JSON API (`POST /v1/session`) and the console's login form. Over a limit
(`LoginGuard`), an attempt whose TOTP code is current for the claimed user still gets the
full password-and-code check, once per code; every other attempt gets the limit's answer
(429 or 423) without a password hash being computed, so a flood costs the server little
and tells the sender nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from interlock.identity import AuthenticationFailed
from interlock.model import Human
from interlock.server._auth import (
    ApiRefusal,
    Session,
    Throttle,
    client_address,
    plane_of,
)
from interlock.server._plane import ControlPlane

_EVENTS = {429: "human_login_throttled", 423: "human_login_locked"}


@dataclass(frozen=True, slots=True)
class LoggedIn:
    human: Human
    cookie: str
    session: Session


def log_in(request: Request, name: str, password: str, code: str) -> LoggedIn:
    """A new session, or `ApiRefusal` (401 wrong, 423 locked, 429 too many attempts)."""
    plane = plane_of(request)
    address = client_address(request)
    throttle = plane.guard.check(name, address)
    if throttle is not None and not _proves_code(plane, name, code):
        _refuse(plane, throttle, name, address)
    try:
        human = plane.humans.authenticate(name, password, code)
    except AuthenticationFailed as failed:
        plane.metrics.inc("interlock_logins_total", result="failed")
        if plane.guard.failed(name, address):
            plane.audit.append(
                "auth",
                {
                    "event": "human_locked_out",
                    "user": name[:128],
                    "address": address,
                    "seconds": plane.settings.lockout_seconds,
                },
            )
        if throttle is not None:  # the same answer as any attempt over the limit
            raise ApiRefusal(throttle.status, throttle.message, throttle.headers) from None
        raise ApiRefusal(401, str(failed)) from None
    plane.guard.succeeded(name, address)
    plane.metrics.inc("interlock_logins_total", result="ok")
    if throttle is not None:
        plane.audit.append(
            "auth",
            {
                "event": "human_login_past_limit",
                "user": human.name,
                "address": address,
                "limit": _EVENTS[throttle.status],
            },
        )
    cookie, session = plane.sessions.create(human)
    return LoggedIn(human, cookie, session)


def _proves_code(plane: ControlPlane, name: str, code: str) -> bool:
    """A current TOTP code of `name`, not presented past a limit before."""
    return plane.humans.code_is_current(name, code) and plane.guard.claim_proof(name, code)


def _refuse(plane: ControlPlane, throttle: Throttle, name: str, address: str) -> None:
    event = _EVENTS[throttle.status]
    plane.metrics.inc(
        "interlock_logins_total", result="throttled" if throttle.status == 429 else "locked"
    )
    if plane.guard.first_refusal(event, name, address):
        plane.audit.append("auth", {"event": event, "user": name[:128], "address": address})
    raise ApiRefusal(throttle.status, throttle.message, throttle.headers)
