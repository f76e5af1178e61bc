"""`/v1/session`: a human logs in (name, password, TOTP code), looks, and logs out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from interlock.model import Human
from interlock.server._auth import (
    SESSION_COOKIE,
    api_human,
    no_agent_credentials,
    plane_of,
    set_session_cookie,
)
from interlock.server._login import log_in
from interlock.server._models import LoginBody
from interlock.server._views import iso

router = APIRouter(prefix="/v1/session", tags=["session"])


@router.post(
    "",
    summary="Log in: name, password and the current TOTP code",
    dependencies=[Depends(no_agent_credentials)],
)
def login(body: LoginBody, request: Request, response: Response) -> dict[str, Any]:
    plane = plane_of(request)
    done = log_in(request, body.name, body.password, body.code)
    set_session_cookie(request, response, plane, done.cookie)
    return {
        "name": done.human.name,
        "role": done.human.role,
        "csrf_token": done.session.csrf,
        "expires_at": iso(done.session.created + plane.settings.session_max),
    }


@router.get("", summary="Who is logged in")
def whoami(request: Request, human: Annotated[Human, Depends(api_human())]) -> dict[str, Any]:
    return {"name": human.name, "role": human.role}


@router.delete("", summary="Log out")
def logout(
    request: Request, response: Response, human: Annotated[Human, Depends(api_human())]
) -> dict[str, Any]:
    plane_of(request).sessions.end(request.cookies.get(SESSION_COOKIE, ""))
    response.delete_cookie(SESSION_COOKIE, path="/")
    return {"logged_out": human.name}
