"""`interlock serve`: the control plane (REST API, approvals, console) on a loopback port."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Annotated

import typer
from rich.markup import escape

from interlock.cli._common import HomeOption, bind_or_fail, fail, fail_from, out
from interlock.errors import InterlockError
from interlock.home import require_home

LOOPBACK = ("127.0.0.1", "::1", "localhost")


def serve(
    port: Annotated[
        int | None,
        typer.Option("--port", "-p", help="Port (default: [server] listen, 8900)."),
    ] = None,
    host: Annotated[
        str | None,
        typer.Option("--host", help="Address to bind (default 127.0.0.1: loopback only)."),
    ] = None,
    home: HomeOption = None,
) -> None:
    """Run the control plane: REST API (/docs), approvals with notifications, web console."""
    import uvicorn

    from interlock.server import create_app, load_server_settings

    try:
        found = require_home(home)
        settings = load_server_settings(found.config_path)
        settings = replace(
            settings,
            host=host if host is not None else settings.host,
            port=port if port is not None else settings.port,
        )
        app = create_app(found, settings)
    except InterlockError as exc:
        fail_from(exc)
    if not 0 < settings.port < 65536:
        fail(f"--port {settings.port} is not a valid port")
    if settings.host not in LOOPBACK:
        out.print(
            f"[yellow]warning:[/] listening on {escape(settings.host)}, not loopback: put TLS "
            "in front (sessions are cookies; set [server] secure_cookies = true)"
        )
    listener = bind_or_fail(settings.host, settings.port, "--host/--port, or [server] listen")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    out.print(f"interlock control plane on {settings.console_url()}  (API docs: /docs)")
    out.print("[dim]log in with a user from `interlock user add`; Ctrl-C to stop[/]")
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=settings.host,
            port=settings.port,
            log_level="warning",
            proxy_headers=False,
            server_header=False,
        )
    )
    server.run(sockets=[listener])
