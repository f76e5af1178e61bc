"""The web console: server-rendered pages, forms that work without JavaScript, and a small
script (static/console.js) for live updates and confirmations.

Every page needs a logged-in human (else the login page); every form carries the
session's CSRF token; agent tokens are refused here exactly as on the API. The console
calls the same functions as the API routes, so the two cannot drift apart.
"""

from __future__ import annotations

import hmac
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from interlock.approvals import Status
from interlock.errors import InterlockError
from interlock.identity import IdentityError
from interlock.model import Human
from interlock.server._api_approvals import LIVE, decide, find
from interlock.server._api_audit import verification
from interlock.server._api_policies import bundle_json, try_action, validate_files
from interlock.server._auth import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    ApiRefusal,
    Session,
    check_csrf,
    console_human,
    no_agent_credentials,
    plane_of,
    set_session_cookie,
)
from interlock.server._login import log_in
from interlock.server._models import PolicyFile, TryBody, ValidateBody
from interlock.server._views import (
    approval_view,
    decision_results,
    query,
    record_json,
    resource_rows,
)

router = APIRouter(include_in_schema=False)
_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
_API_PREFIXES = ("/v1/", "/metrics", "/healthz", "/openapi.json", "/docs", "/redoc")


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith(_API_PREFIXES)


def render(
    request: Request, name: str, session: Session | None, status: int = 200, **context: Any
) -> HTMLResponse:
    html = _ENV.get_template(name).render(
        user=session.human if session else None,
        csrf=session.csrf if session else "",
        path=request.url.path,
        **context,
    )
    return HTMLResponse(html, status_code=status)


def refusal_page(request: Request, status: int, message: str) -> Response:
    if status == 401:
        return _to_login(request)
    return render(request, "refusal.html", None, status, status_code=status, message=message)


def _to_login(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def _session(request: Request, *roles: str) -> Session:
    session = console_human(request, *roles)
    if session is None:
        raise ApiRefusal(401, "log in first")
    return session


def _posted(request: Request, csrf_token: str, *roles: str) -> Session:
    session = _session(request, *roles)
    check_csrf(request, session, csrf_token)
    return session


def _safe_next(target: str) -> str:
    # Only paths on this site: never `//evil.example` or `https://…`.
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/approvals"


# --- login --------------------------------------------------------------------------------


@router.get("/login")
def login_page(request: Request, next: str = "/approvals") -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", None, next=_safe_next(next), login_csrf=token)
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", path="/login")
    return response


@router.post("/login", dependencies=[Depends(no_agent_credentials)])
def login_submit(
    request: Request,
    name: str = Form(max_length=128),
    password: str = Form(max_length=1024),
    code: str = Form(max_length=16),
    csrf_token: str = Form(default="", max_length=100),
    next: str = Form(default="/approvals", max_length=2000),
) -> Response:
    plane = plane_of(request)
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), csrf_token.encode()):
        return render(
            request,
            "login.html",
            None,
            403,
            next=_safe_next(next),
            login_csrf=expected,
            error="the login form expired: try again",
        )
    try:
        done = log_in(request, name, password, code)
    except ApiRefusal as refused:
        return render(
            request,
            "login.html",
            None,
            refused.status_code,
            next=_safe_next(next),
            login_csrf=expected,
            error=str(refused.detail),
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(request, response, plane, done.cookie)
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: str = Form(default="", max_length=100)) -> Response:
    session = _posted(request, csrf_token)
    plane_of(request).sessions.end(request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    del session
    return response


@router.get("/")
def home_page(request: Request) -> Response:
    return RedirectResponse("/approvals", status_code=303)


# --- approvals ----------------------------------------------------------------------------


def _queue(request: Request) -> list[dict[str, Any]]:
    plane = plane_of(request)
    return [approval_view(plane, r) for r in plane.approvals.requests(LIVE, limit=200)]


@router.get("/approvals")
def approvals_page(request: Request) -> Response:
    session = _session(request)
    plane = plane_of(request)
    recent = [
        approval_view(plane, r)
        for r in plane.approvals.requests(
            (Status.USED, Status.DENIED, Status.CANCELLED, Status.EXPIRED), limit=20
        )
    ]
    return render(request, "approvals.html", session, queue=_queue(request), recent=recent)


@router.get("/console/approvals/rows")
def approvals_rows(request: Request) -> Response:
    session = _session(request)
    return render(request, "_approval_rows.html", session, queue=_queue(request))


@router.get("/approvals/{request_id}")
def approval_page(request_id: str, request: Request, done: str = "") -> Response:
    session = _session(request)
    plane = plane_of(request)
    view = approval_view(plane, find(plane, request_id))
    return render(request, "approval.html", session, r=view, done=done[:200], error="")


def _decide_form(
    request: Request, request_id: str, verb: str, comment: str, csrf: str, confirm: str = ""
) -> Response:
    session = _posted(request, csrf)
    plane = plane_of(request)
    try:
        if verb == "approve":
            expected = approval_view(plane, find(plane, request_id))["confirm_target"]
            if expected and confirm.strip() != expected:
                raise ApiRefusal(
                    422,
                    f"this action is irreversible on production: type {expected} to approve it",
                )
        if verb == "suspend":
            current = find(plane, request_id)
            plane.agents.suspend(session.human, current.agent_id or current.agent)
            plane.verifier.invalidate()
            note = "agent suspended from its approval request" + (f": {comment}" if comment else "")
            decide(plane, request_id, session.human, "deny", note)
        else:
            decide(plane, request_id, session.human, verb, comment)
    except IdentityError as exc:
        view = approval_view(plane, find(plane, request_id))
        return render(request, "approval.html", session, 409, r=view, done="", error=str(exc))
    except ApiRefusal as refused:
        if refused.status_code == 404:
            raise
        view = approval_view(plane, find(plane, request_id))
        return render(
            request,
            "approval.html",
            session,
            refused.status_code,
            r=view,
            done="",
            error=str(refused.detail),
        )
    return RedirectResponse(f"/approvals/{quote(request_id)}?done={verb}", status_code=303)


def _decision_route(verb: str) -> None:
    """Registers `POST /approvals/{id}/VERB`: the three decision forms differ only in verb."""

    def form(
        request_id: str,
        request: Request,
        comment: str = Form(default="", max_length=1000),
        csrf_token: str = Form(default="", max_length=100),
        confirm: str = Form(default="", max_length=300),
    ) -> Response:
        return _decide_form(request, request_id, verb, comment, csrf_token, confirm)

    router.post(f"/approvals/{{request_id}}/{verb}", name=f"{verb}_approval_form")(form)


for _verb in ("approve", "deny", "cancel", "suspend"):
    _decision_route(_verb)


# --- audit --------------------------------------------------------------------------------


@router.get("/audit")
def audit_page(
    request: Request,
    agent: str = "",
    resource: str = "",
    decision: str = "",
    type: str = "",
    all: str = "",
) -> Response:
    session = _session(request)
    plane = plane_of(request)
    filters = {
        "agent": agent[:200] or None,
        "resource": resource[:200] or None,
        "decision": decision[:20] or None,
        "type_": type[:40] or None,
    }
    results = decision_results(plane.audit.records(0))
    records = [
        record_json(r, results)
        for r in query(plane.audit.records(0), 200, bookkeeping=bool(all), **filters)
    ]
    try:
        verified: dict[str, Any] = verification(plane)
    except InterlockError as exc:
        verified = {"ok": False, "problems": [str(exc)], "records": 0, "signed_through": 0}
    head = plane.audit.store.head()
    return render(
        request,
        "audit.html",
        session,
        records=records,
        verified=verified,
        filters={
            "agent": agent,
            "resource": resource,
            "decision": decision,
            "type": type,
            "all": bool(all),
        },
        head=head.seq if head else 0,
    )


# --- agents and resources -----------------------------------------------------------------


@router.get("/agents")
def agents_page(request: Request, done: str = "", error: str = "") -> Response:
    session = _session(request)
    now = time.time()
    agents = [a.to_json(now) for a in plane_of(request).agents.agents()]
    return render(
        request, "agents.html", session, agents=agents, done=done[:200], error=error[:300]
    )


def _agent_action(request: Request, name: str, verb: str, csrf: str) -> Response:
    roles = () if verb == "suspend" else ("admin",)
    session = _posted(request, csrf, *roles)
    plane = plane_of(request)
    human: Human = session.human
    try:
        if verb == "suspend":
            plane.agents.suspend(human, name)
        elif verb == "resume":
            plane.agents.resume(human, name)
        else:
            plane.agents.revoke(human, name)
    except IdentityError as exc:
        return RedirectResponse(f"/agents?error={quote(str(exc))}", status_code=303)
    plane.verifier.invalidate()
    past = {"suspend": "suspended", "resume": "resumed", "revoke": "revoked"}[verb]
    return RedirectResponse(f"/agents?done={quote(f'{name} {past}')}", status_code=303)


def _agent_route(verb: str) -> None:
    """Registers `POST /agents/{name}/VERB` for the console's suspend, resume, revoke buttons."""

    def form(
        name: str, request: Request, csrf_token: str = Form(default="", max_length=100)
    ) -> Response:
        return _agent_action(request, name, verb, csrf_token)

    router.post(f"/agents/{{name}}/{verb}", name=f"{verb}_form")(form)


for _verb in ("suspend", "resume", "revoke"):
    _agent_route(_verb)


@router.get("/resources")
def resources_page(request: Request) -> Response:
    session = _session(request)
    plane = plane_of(request)
    return render(request, "resources.html", session, resources=resource_rows(plane))


# --- policies -----------------------------------------------------------------------------


def _policies(request: Request, session: Session, status: int = 200, **extra: Any) -> Response:
    context: dict[str, Any] = {
        "validation": None,
        "tried": None,
        "form": {"kind": "sql", "payload": "", "env": "", "agent": "", "resource": ""},
        "error": "",
        "policy_text": "",
    }
    context.update(extra)
    return render(
        request,
        "policies.html",
        session,
        status,
        bundle=bundle_json(plane_of(request).bundle),
        **context,
    )


@router.get("/policies")
def policies_page(request: Request) -> Response:
    return _policies(request, _session(request))


@router.post("/policies/validate")
def validate_form(
    request: Request,
    text: str = Form(default="", max_length=200_000),
    csrf_token: str = Form(default="", max_length=100),
) -> Response:
    session = _posted(request, csrf_token)
    files = [PolicyFile(name="console.cedar", text=text)] if text.strip() else []
    result = validate_files(plane_of(request), ValidateBody(files=files))
    return _policies(request, session, validation=result, policy_text=text)


@router.post("/policies/try")
def try_form(
    request: Request,
    kind: str = Form(max_length=16),
    payload: str = Form(max_length=100_000),
    env: str = Form(default="", max_length=64),
    agent: str = Form(default="", max_length=128),
    resource: str = Form(default="", max_length=128),
    csrf_token: str = Form(default="", max_length=100),
) -> Response:
    session = _posted(request, csrf_token)
    form = {"kind": kind, "payload": payload, "env": env, "agent": agent, "resource": resource}
    try:
        body = TryBody.model_validate(
            {
                "kind": kind,
                "payload": payload,
                "env": env or None,
                "agent": agent or None,
                "resource": resource or None,
            }
        )
        tried = try_action(plane_of(request), body)
    except (ApiRefusal, ValueError) as exc:
        message = str(exc.detail) if isinstance(exc, ApiRefusal) else "unknown kind"
        return _policies(request, session, 422, form=form, error=message)
    return _policies(request, session, tried=tried, form=form)
