"""`interlock proxy pg`, `interlock undo AUDIT_ID`, `interlock trash list | purge`.

    proxy pg   run the PostgreSQL wire-protocol proxy (agents connect with their token)
    undo       restore what a safeguard kept (snapshot from the vault, soft drop from the trash,
               a coding agent's workspace)
    trash      list or purge the vault and trash of a resource, with retention

`undo` and `trash` are human commands: they connect to the resource's server directly with
its sealed credential and are recorded in the audit log.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from interlock.cli._common import (
    HomeOption,
    JsonOption,
    bind_failure,
    bind_or_fail,
    fail,
    fail_from,
    log_decisions,
    out,
    print_json,
)
from interlock.config import parse_listen
from interlock.errors import InterlockError
from interlock.home import Home, require_home

trash_app = typer.Typer(
    rich_markup_mode=None,
    help="The trash: soft-dropped tables kept in their database (the fast path, not a backup; "
    "the vault holds the backups): list, purge.",
    no_args_is_help=True,
)


def pg(
    listen: Annotated[str, typer.Option("--listen", help="HOST:PORT to listen on.")] = (
        "127.0.0.1:6432"
    ),
    tls_cert: Annotated[
        Path | None, typer.Option("--tls-cert", help="PEM certificate: accept TLS from agents.")
    ] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", help="PEM private key.")] = None,
    allow_cleartext_on_loopback: Annotated[
        bool,
        typer.Option(
            "--allow-cleartext-on-loopback",
            help="Accept agent tokens without TLS (loopback listeners only; for local use).",
        ),
    ] = False,
    statement_timeout_ms: Annotated[
        int | None, typer.Option("--statement-timeout-ms", help="Default statement timeout.")
    ] = None,
    row_limit: Annotated[
        int | None, typer.Option("--row-limit", help="Default maximum rows per result.")
    ] = None,
    metrics_listen: Annotated[
        str | None,
        typer.Option(
            "--metrics-listen",
            help="HOST:PORT for Prometheus /metrics (default: [proxy.pg] metrics_listen; none).",
        ),
    ] = None,
    home: HomeOption = None,
) -> None:
    """Run the PostgreSQL proxy: every statement is checked and recorded before it runs."""
    from dataclasses import replace

    from interlock.proxy.pg import build_server, load_settings, run_loop, tls_context

    host, _, port_text = listen.rpartition(":")
    if not host or not port_text.isdigit():
        fail(f"--listen {listen}: expected HOST:PORT")
    loopback = host in ("127.0.0.1", "::1", "localhost")
    if (tls_cert is None) != (tls_key is None):
        fail("give both --tls-cert and --tls-key")
    if tls_cert is None and not allow_cleartext_on_loopback:
        fail(
            "agents send their token as the password: give --tls-cert/--tls-key, or "
            "--allow-cleartext-on-loopback for a loopback-only listener"
        )
    if allow_cleartext_on_loopback and not loopback:
        fail("--allow-cleartext-on-loopback needs a loopback --listen address")
    try:
        found = require_home(home)
        settings = load_settings(found.config_path)
        defaults = settings.defaults
        if statement_timeout_ms is not None:
            defaults = replace(defaults, statement_timeout_ms=statement_timeout_ms)
        if row_limit is not None:
            defaults = replace(defaults, row_limit=row_limit)
        settings = replace(settings, defaults=defaults)
        context = tls_context(tls_cert, tls_key) if tls_cert and tls_key else None
        metrics_at = metrics_listen if metrics_listen is not None else settings.metrics_listen
        metrics_host, metrics_port = (
            parse_listen(metrics_at, "--metrics-listen", example="127.0.0.1:9188")
            if metrics_at
            else ("", 0)
        )
    except (InterlockError, OSError) as exc:
        fail(str(exc))
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    log_decisions(settings.log_decisions)
    metrics_socket = (
        bind_or_fail(metrics_host, metrics_port, "--metrics-listen, or [proxy.pg] metrics_listen")
        if metrics_at
        else None
    )

    async def main() -> None:
        server = build_server(
            found,
            host=host,
            port=int(port_text),
            ssl_context=context,
            allow_cleartext=allow_cleartext_on_loopback,
            settings=settings,
        )
        try:
            await server.start()
            if metrics_socket is not None:
                await _serve_metrics(server, metrics_socket)
            mode = "TLS" if context else "cleartext on loopback (no TLS)"
            out.print(f"interlock proxy pg listening on {host}:{server.port} ({mode})")
            if metrics_socket is not None:
                out.print(f"[dim]Prometheus metrics: http://{metrics_at}/metrics[/]")
            out.print(
                f"[dim]agents connect as postgresql://AGENT:TOKEN@{host}:{server.port}/"
                "RESOURCE; Ctrl-C to stop[/]"
            )
            await server.serve_forever()
        finally:
            await server.close()

    try:
        run_loop(main())
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        fail(bind_failure(exc, host, int(port_text), "--listen"))
    except InterlockError as exc:
        fail(str(exc))


async def _serve_metrics(server: Any, sock: Any) -> None:
    """`/metrics` of the PostgreSQL proxy on its own (HTTP) listener: the counters of the
    proxy's enforcement point, in Prometheus' text format."""
    from aiohttp import web

    async def metrics(request: web.Request) -> web.Response:
        point = getattr(server.logins, "point", None)
        text = point.metrics.render() if point is not None else ""
        return web.Response(
            text=text, headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"}
        )

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock).start()


# --- undo -------------------------------------------------------------------------------


def _safeguard_record(home: Home, audit_id: int) -> dict[str, Any]:
    found: dict[str, Any] | None = None
    for record in home.audit_log().records():
        if record.type != "safeguard":
            continue
        body = dict(record.body)
        if body.get("status") == "taken" and audit_id in (record.seq, body.get("decision_seq")):
            found = body
    if found is None:
        fail(
            f"no safeguard was taken for audit record {audit_id} "
            "(interlock audit list shows decisions and their safeguards)"
        )
    return found


async def _connect(home: Home, resource: str) -> Any:
    from interlock.identity import IdentityState, ResourceRegistry, reveal_credential
    from interlock.proxy.pg import Connection, parse_upstream

    record = ResourceRegistry(IdentityState(home.database)).get(resource)
    if record.resource.kind != "postgres":
        fail(f"resource {resource} is not a postgres resource")
    target = parse_upstream(record.resource, record.upstream)
    password = reveal_credential(home, resource) if record.has_credential else None
    return await Connection.open(
        target.host, target.port, target.database, target.user, password, tls=target.tls
    )


def _run_plan(home: Home, resource: str, plan: Any) -> str:
    """Run a plan (undo, purge) on the resource's server over one connection, closed after."""

    async def run() -> str:
        conn = await _connect(home, resource)
        try:
            summary: str = await conn.run(plan)
            return summary
        finally:
            await conn.close()

    return asyncio.run(run())


def resource_server(home: Home, resource: str) -> tuple[str, str | None]:
    """The libpq URL (no password) and the sealed credential of a postgres resource."""
    from interlock.identity import IdentityState, ResourceRegistry, reveal_credential
    from interlock.proxy.pg import parse_upstream, target_url

    record = ResourceRegistry(IdentityState(home.database)).get(resource)
    if record.resource.kind != "postgres" or not record.upstream:
        fail(f"resource {escape(resource)} is not a postgres resource with an upstream")
    target = parse_upstream(record.resource, record.upstream)
    password = reveal_credential(home, resource) if record.has_credential else None
    return target_url(target), password


def restore_resource(home: Home, snapshot_id: str, resource: str) -> str:
    """Put back, in the resource's own database, what a vault snapshot holds and is gone."""
    from interlock.proxy.pg import restore
    from interlock.vault import open_vault

    vault = open_vault(home)
    snapshot = vault.get(snapshot_id)
    url, password = resource_server(home, resource)
    database = snapshot.manifest.labels.get("database")
    if database:
        from urllib.parse import quote, urlsplit, urlunsplit

        url = urlunsplit(urlsplit(url)._replace(path="/" + quote(str(database), safe="")))
    return restore(vault, snapshot, url, password, only_missing=True, workdir=home.root / "state")


def undo(
    audit_id: Annotated[int, typer.Argument(help="The decision's (or safeguard's) audit id.")],
    json_out: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Restore what a safeguard kept: the tables before a destructive statement (PostgreSQL
    proxy), or the workspace before a coding agent's destructive command (hooks)."""
    from interlock.identity import local_operator
    from interlock.proxy.pg import ClientError, PlanFailed, RestoreFailed, Saved, undo_plan
    from interlock.vault import VaultError

    try:
        found_home = require_home(home)
        operator = local_operator(found_home, action="undo")
    except InterlockError as exc:
        fail_from(exc)
    from interlock.cli._local_undo import undo_local

    if undo_local(found_home, audit_id, operator.name, json_out):
        return
    body = _safeguard_record(found_home, audit_id)
    resource = str(body.get("resource", {}).get("name", ""))
    saved = [Saved(**t) for t in body.get("tables", [])]
    from_vault = body.get("mode") == "snapshot" and bool(body.get("vault"))
    if not saved and not from_vault:
        fail(f"the safeguard of audit record {audit_id} kept nothing (no such table then)")

    audit = found_home.audit_log()

    def record(status: str, **facts: object) -> None:
        who = {"decision_seq": body.get("decision_seq"), "resource": resource, "by": operator.name}
        audit.append("undo", {**who, "status": status, **facts})

    try:
        if from_vault:
            summary = "restored " + restore_resource(found_home, str(body["vault"]), resource)
        else:
            summary = _run_plan(found_home, resource, undo_plan(saved))
    except (PlanFailed, ClientError, InterlockError, RestoreFailed, VaultError) as exc:
        record("failed", error=str(exc))
        fail(f"undo failed: {exc!s}")
    record("done", summary=summary, tables=[s.to_json() for s in saved])
    if json_out:
        print_json({"undone": body.get("decision_seq"), "resource": resource, "summary": summary})
    else:
        out.print(f"undone {body.get('decision_seq')} on {escape(resource)}: {escape(summary)}")


# --- trash ------------------------------------------------------------------------------


def _kept(home: Home, resource: str) -> list[Any]:
    from interlock.proxy.pg import LIST_SQL, parse_kept

    async def run() -> list[Any]:
        conn = await _connect(home, resource)
        try:
            result = await conn.query(LIST_SQL)
        finally:
            await conn.close()
        if not result.ok:
            fail(f"cannot list: {result.error_text()}")
        return list(parse_kept(result.rows))

    return asyncio.run(run())


@trash_app.command("list")
def trash_list(
    resource: Annotated[str, typer.Option("--resource", "-r", help="The postgres resource.")],
    json_out: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """What Interlock keeps for a resource: soft-dropped tables and snapshots."""
    from interlock.proxy.pg import ClientError

    try:
        objects = _kept(require_home(home), resource)
    except (InterlockError, ClientError) as exc:
        fail(str(exc))
    if json_out:
        print_json([o.to_json() for o in objects])
        return
    table = Table("where", "kept as", "original", "kind", "audit id", "kept at", "bytes")
    for o in objects:
        j = o.to_json()
        kept_at = time.strftime("%Y-%m-%d %H:%M", time.gmtime(o.kept_at)) if o.kept_at else "?"
        table.add_row(
            escape(str(j["where"])),
            escape(str(j["name"])),
            escape(str(j["original"])),
            escape(str(j["kind"])),
            str(j["audit_seq"]),
            kept_at,
            str(j["bytes"]),
        )
    out.print(table)


@trash_app.command("purge")
def trash_purge(
    resource: Annotated[str, typer.Option("--resource", "-r", help="The postgres resource.")],
    older_than: Annotated[
        str, typer.Option("--older-than", help="Retention: purge what is older (e.g. 7d, 12h).")
    ] = "7d",
    json_out: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Drop, for good, kept tables older than the retention (default 7 days)."""
    from interlock.identity import local_operator, parse_duration
    from interlock.proxy.pg import ClientError, PlanFailed, purge_plan

    try:
        found = require_home(home)
        operator = local_operator(found, action="trash purge")
        retention = parse_duration(older_than) if older_than not in ("0", "0s") else 0
        cutoff = time.time() - retention
        due = [o for o in _kept(found, resource) if o.kept_at <= cutoff]
        summary = _run_plan(found, resource, purge_plan(due)) if due else "nothing to purge"
    except (InterlockError, ClientError, PlanFailed) as exc:
        fail(str(exc))
    found.audit_log().append(
        "trash_purge",
        {
            "resource": resource,
            "by": operator.name,
            "older_than": older_than,
            "purged": [f"{o.schema}.{o.name}" for o in due],
        },
    )
    if json_out:
        print_json({"purged": [o.to_json() for o in due]})
    else:
        out.print(escape(summary))
