"""The FastAPI application: routers, error shapes, security headers, lifecycle."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from argon2 import PasswordHasher
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from interlock import __version__
from interlock.errors import InterlockError
from interlock.home import Home
from interlock.server import (
    _api_approvals,
    _api_audit,
    _api_decide,
    _api_policies,
    _api_registry,
    _api_session,
    _console,
    _slack,
)
from interlock.server._plane import ControlPlane
from interlock.server._settings import ServerSettings

STATIC = Path(__file__).parent / "static"
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


def create_app(
    home: Home,
    settings: ServerSettings | None = None,
    *,
    hasher: PasswordHasher | None = None,
) -> FastAPI:
    """The control plane for `home`: REST API under /v1, the console, health and metrics.

    `hasher` replaces the argon2 parameters (tests use cheap ones); `settings` replaces
    `[server]` from interlock.toml.
    """
    plane = ControlPlane(home, settings, hasher=hasher)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        plane.start()
        try:
            yield
        finally:
            plane.stop()

    app = FastAPI(
        title="Interlock control plane",
        version=__version__,
        description=(
            "Decisions for agents (agent token), approvals, agents, resources, policies and "
            "the audit log for humans (session cookie from POST /v1/session, plus the "
            "X-CSRF-Token header on every state-changing call)."
        ),
        lifespan=lifespan,
    )
    app.state.plane = plane
    for module in (
        _api_session,
        _api_decide,
        _api_approvals,
        _api_registry,
        _api_policies,
        _api_audit,
        _slack,
    ):
        app.include_router(module.router)
    app.include_router(_console.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code in (401, 403) and _console.wants_html(request):
            return _console.refusal_page(request, exc.status_code, str(exc.detail))
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def bad_input(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            {"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")}
            for e in exc.errors()
        ]
        return JSONResponse({"error": "the request is not valid", "problems": problems}, 422)

    @app.exception_handler(InterlockError)
    async def interlock_error(request: Request, exc: InterlockError) -> Response:
        return JSONResponse({"error": str(exc)}, status_code=400)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response: Response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if not request.url.path.startswith(("/docs", "/redoc")):
            response.headers.setdefault("Content-Security-Policy", _CSP)
        if request.url.path.startswith(("/v1/", "/approvals", "/agents", "/audit")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    return app
