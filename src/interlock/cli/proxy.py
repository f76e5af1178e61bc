"""`interlock proxy http`: run the HTTP/GraphQL enforcement proxy from interlock.toml."""

from __future__ import annotations

import logging
from typing import Annotated, Any

import typer
from rich.markup import escape

from interlock.cli._common import HomeOption, bind_failure, fail, fail_from, log_decisions, out
from interlock.errors import InterlockError
from interlock.home import require_home

app = typer.Typer(
    rich_markup_mode=None,
    help="Enforcement proxies in front of your resources.",
    no_args_is_help=True,
)


@app.command("http")
def http(
    listen: Annotated[
        str | None,
        typer.Option("--listen", help="HOST:PORT (default: [proxy.http] listen, 127.0.0.1:8181)."),
    ] = None,
    home: HomeOption = None,
) -> None:
    """Run the HTTP/GraphQL proxy: agents' requests are checked, recorded and forwarded with
    the real credential injected."""
    from interlock.config import DEFAULT_HTTP_LISTEN, parse_listen
    from interlock.proxy.http import HttpProxy, load_fronted_config, serve

    try:
        found = require_home(home)
        config = load_fronted_config(found)
        if listen is not None:
            from dataclasses import replace

            host, port = parse_listen(listen, "--listen", example=DEFAULT_HTTP_LISTEN)
            config = replace(config, host=host, port=port)
    except InterlockError as exc:
        fail_from(exc)
    if not config.routes:
        fail(
            f"{found.config_path}: nothing to front: register an HTTP API with "
            "`interlock resource add NAME --kind http --upstream URL` (it is served at /NAME), "
            "or add a [proxy.http.routes.NAME] table (see docs/proxy-http.md)"
        )
    if config.host not in ("127.0.0.1", "::1", "localhost"):
        out.print(f"[yellow]warning:[/] listening on {escape(config.host)}, not loopback")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    log_decisions(config.log_decisions)

    def ready(proxy: HttpProxy) -> None:
        out.print(f"interlock proxy http listening on http://{config.host}:{proxy.port}")
        for route in proxy.routes:
            injected = "credential injected" if route.credential else "no credential"
            out.print(
                f"  {escape(route.prefix)}/… → {escape(route.upstream)} "
                f"([dim]{escape(route.resource)}, {injected}[/])"
            )
        out.print(
            f"[dim]Prometheus metrics: http://{config.host}:{proxy.port}/metrics; Ctrl-C to stop[/]"
        )

    callbacks: dict[str, Any] = {"callback": ready}
    try:
        serve(found, config, ready=callbacks)
    except OSError as exc:
        fail(bind_failure(exc, config.host, config.port, "--listen, or [proxy.http] listen"))
    except InterlockError as exc:
        fail(str(exc))
