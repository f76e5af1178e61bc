"""`interlock vault list | show | verify | restore | drill | purge`: the snapshots every
safeguard keeps, outside the workspace and the database, and the proof they can come back.

    list     snapshots, newest first (--resource to narrow)
    show     one snapshot's manifest: what it holds, rows and checksums, retention
    verify   every object's hash, every manifest's signature, every retention date
    restore  a snapshot back into its resource's database, or --into any database
    drill    restore into a scratch database, compare rows and checksums, drop it
    purge    remove a snapshot past its retention date, on two humans' proof

Human commands: a process holding an agent token is refused, and restore, drill and purge
are recorded in the audit log.
"""

from __future__ import annotations

import random
import time
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from interlock.cli._common import HomeOption, JsonOption, fail, fail_from, out, print_json
from interlock.cli._human import CodeOption, PasswordStdinOption, UserOption, human_proof
from interlock.errors import InterlockError
from interlock.home import Home, require_home

app = typer.Typer(
    help="Snapshots outside the blast radius: list, show, verify, restore, drill, purge.",
    no_args_is_help=True,
)

SnapshotArg = Annotated[str, typer.Argument(help="A snapshot id (or a unique prefix of one).")]


def _when(at: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(at)) + "Z"


def _open(home: HomeOption) -> tuple[Home, Any]:
    from interlock.vault import VaultError, open_vault

    try:
        found = require_home(home)
        return found, open_vault(found)
    except InterlockError as exc:
        fail_from(exc)
    except VaultError as exc:
        fail(escape(str(exc)))


def _operator(home: Home, action: str) -> str:
    from interlock.identity import local_operator

    try:
        return local_operator(home, action=action).name
    except InterlockError as exc:
        fail_from(exc)


def _get(vault: Any, snapshot_id: str) -> Any:
    from interlock.vault import VaultError

    try:
        return vault.get(snapshot_id)
    except VaultError as exc:
        fail(escape(str(exc)))


@app.command("list")
def list_(
    resource: Annotated[
        str | None, typer.Option("--resource", "-r", help="Only this resource's snapshots.")
    ] = None,
    json_out: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Snapshots in the vault, newest first (unreadable ones are for `verify` to report)."""
    _, vault = _open(home)
    snapshots = vault.list(resource)
    if json_out:
        print_json([s.summary() for s in snapshots])
        return
    if not snapshots:
        out.print("the vault holds no snapshot")
        return
    table = Table("id", "kind", "resource", "taken", "kept until", "bytes", "what")
    for s in snapshots:
        m = s.manifest
        table.add_row(
            s.id[:12],
            m.kind,
            escape(m.resource),
            _when(m.created_at),
            _when(m.retain_until),
            str(m.size),
            escape(str(m.labels.get("scope") or m.labels.get("operation") or "")),
        )
    out.print(table)


@app.command()
def show(snapshot: SnapshotArg, json_out: JsonOption = False, home: HomeOption = None) -> None:
    """One snapshot: where it came from, what it holds, until when it is kept."""
    _, vault = _open(home)
    found = _get(vault, snapshot)
    m = found.manifest
    if json_out:
        print_json({"id": found.id, **m.to_json()})
        return
    out.print(f"snapshot [bold]{found.id}[/] ({m.kind}) of {escape(m.resource)}")
    out.print(f"taken {_when(m.created_at)}, kept until {_when(m.retain_until)}")
    for key in ("operation", "audit_seq", "agent", "database", "scope"):
        if key in m.labels:
            out.print(f"  {key}: {escape(str(m.labels[key]))}")
    tables = m.labels.get("tables", [])
    if tables:
        table = Table("table", "role", "rows", "checksum")
        for t in tables:
            table.add_row(
                escape(f"{t['schema']}.{t['name']}"),
                str(t.get("role", "")),
                str(t.get("rows", "")),
                str(t.get("checksum", "")),
            )
        out.print(table)
    for entry in m.entries:
        out.print(
            f"  entry {escape(entry.name)}: {entry.size} bytes in {len(entry.chunks)} object(s)"
        )


@app.command()
def verify(
    snapshots: Annotated[
        list[str] | None, typer.Argument(help="Snapshot ids (default: every snapshot).")
    ] = None,
    json_out: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Check every object's hash, every manifest's signature and every retention date;
    exit 1 and name each missing, altered or mis-retained object when there is one."""
    found, vault = _open(home)
    ids = [_get(vault, s).id for s in snapshots] if snapshots else None
    checked = ids if ids is not None else vault.ids()
    findings = vault.verify(ids)
    found.audit_log().append(
        "vault_verify",
        {
            "snapshots": len(checked),
            "ok": not findings,
            "findings": [f.to_json() for f in findings][:100],
        },
    )
    if json_out:
        print_json(
            {
                "snapshots": len(checked),
                "ok": not findings,
                "findings": [f.to_json() for f in findings],
            }
        )
    elif not findings:
        out.print(f"ok: {len(checked)} snapshot(s), every object and signature checked")
    else:
        for f in findings:
            where = f" object {f.object[:16]}" if f.object else ""
            out.print(f"[red]{f.problem}[/]: snapshot {f.snapshot}{where}: {escape(f.detail)}")
    if findings:
        raise typer.Exit(1)


def _server(home: Home, resource: str) -> tuple[str, str | None]:
    from interlock.cli.pg import resource_server
    from interlock.identity import IdentityError

    try:
        return resource_server(home, resource)
    except (IdentityError, InterlockError) as exc:
        fail(f"{escape(str(exc))} (give --into / --scratch-server with a database URL)")


@app.command()
def restore(
    snapshot: SnapshotArg,
    into: Annotated[
        str | None,
        typer.Option(
            "--into",
            help="A PostgreSQL URL (postgresql://user@host/db; the password from PGPASSWORD "
            "or ~/.pgpass): restore everything there, e.g. a new database after the "
            "original is gone. Default: the resource's own database, only what is missing. "
            "For an HTTP before hook's export: the new file to write it to.",
        ),
    ] = None,
    json_out: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Restore a snapshot from the vault, whole and in one transaction."""
    from interlock.cli._local_undo import restore_copy
    from interlock.cli.pg import restore_resource
    from interlock.proxy.pg import RestoreFailed
    from interlock.proxy.pg import restore as restore_pg
    from interlock.vault import VaultError

    found, vault = _open(home)
    operator = _operator(found, "vault restore")
    chosen = _get(vault, snapshot)
    resource = chosen.manifest.resource
    target = "(its resource)" if into is None else _redacted(into)
    try:
        copy = restore_copy(vault, chosen, into)  # a workspace or an HTTP export
        if copy is not None:
            summary = copy
        elif into is None:
            summary = restore_resource(found, chosen.id, resource)
        else:
            url, password = _split_password(into)
            summary = restore_pg(vault, chosen, url, password, workdir=found.root / "state")
    except (RestoreFailed, VaultError, InterlockError) as exc:
        found.audit_log().append(
            "vault_restore",
            {
                "snapshot": chosen.id,
                "resource": resource,
                "into": target,
                "status": "failed",
                "error": str(exc),
                "by": operator,
            },
        )
        fail(f"restore failed: {escape(str(exc))}")
    found.audit_log().append(
        "vault_restore",
        {
            "snapshot": chosen.id,
            "resource": resource,
            "into": target,
            "status": "done",
            "summary": summary,
            "by": operator,
        },
    )
    if json_out:
        print_json({"snapshot": chosen.id, "into": target, "restored": summary})
    else:
        out.print(f"restored snapshot {chosen.id[:12]} into {escape(target)}: {escape(summary)}")


def _split_password(url: str) -> tuple[str, str | None]:
    """A URL's password taken out of it: it goes to psql in its environment, never on a
    command line another user could read."""
    from urllib.parse import unquote, urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url, None
    host = parts.netloc.rsplit("@", 1)[-1]
    netloc = f"{parts.username}@{host}" if parts.username else host
    return urlunsplit(parts._replace(netloc=netloc)), unquote(parts.password)


def _redacted(url: str) -> str:
    """A database URL as it may be recorded: without any password in it."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[-1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}" if user else netloc))


def _drill_one(
    home: Home, vault: Any, chosen: Any, scratch_server: str | None, operator: str
) -> dict[str, Any]:
    """Drill one snapshot and record the result; its JSON (with `ok` and `error`)."""
    from interlock.identity import IdentityError
    from interlock.proxy.pg import RestoreFailed
    from interlock.proxy.pg import drill as drill_pg

    try:
        if scratch_server is not None:
            url, password = _split_password(scratch_server)
        else:
            from interlock.cli.pg import resource_server

            url, password = resource_server(home, chosen.manifest.resource)
        result = drill_pg(vault, chosen, url, password, workdir=home.root / "state").to_json()
    except (RestoreFailed, IdentityError, InterlockError) as exc:
        result = {"snapshot": chosen.id, "ok": False, "tables": [], "error": str(exc)}
    home.audit_log().append("vault_drill", {**result, "by": operator})
    return result


def _show_drill(result: dict[str, Any]) -> None:
    verdict = "[green]passed[/]" if result["ok"] else "[red]FAILED[/]"
    out.print(f"drill of snapshot {result['snapshot'][:12]} {verdict}")
    for t in result["tables"]:
        mark = "ok" if t["ok"] else "MISMATCH"
        out.print(
            f"  {escape(t['table'])}: {t['rows_found']}/{t['rows']} rows, "
            f"checksum {'ok' if t['checksum_ok'] else 'differs'}: {mark}"
        )
    if result.get("error"):
        out.print(f"  [red]{escape(result['error'])}[/]")


@app.command()
def drill(
    snapshot: Annotated[
        str | None, typer.Argument(help="The snapshot to drill (default: the newest).")
    ] = None,
    pick_random: Annotated[
        bool, typer.Option("--random", help="Drill a snapshot chosen at random.")
    ] = False,
    resource: Annotated[
        str | None, typer.Option("--resource", "-r", help="Choose among this resource's.")
    ] = None,
    scratch_server: Annotated[
        str | None,
        typer.Option(
            "--scratch-server",
            help="A PostgreSQL URL of a server where a scratch database may be created "
            "(default: the snapshot's resource's server).",
        ),
    ] = None,
    every: Annotated[
        str | None,
        typer.Option(
            "--every",
            help="Keep running: drill each resource's newest snapshot this often (e.g. 24h; "
            "what `interlock up` runs with [vault] drill_every).",
        ),
    ] = None,
    json_out: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Prove a snapshot restores: into a scratch database, compared table by table (rows and
    checksums) with its manifest, then dropped. Recorded in the audit log; exit 1 on failure."""
    found, vault = _open(home)
    operator = _operator(found, "vault drill")
    if every is not None:
        _drill_forever(found, vault, every, scratch_server, operator, json_out)
        return
    if snapshot is not None:
        chosen = _get(vault, snapshot)
    else:
        candidates = [s for s in vault.list(resource) if s.manifest.kind == "pg"]
        if not candidates:
            fail("no PostgreSQL snapshot to drill in the vault")
        chosen = random.choice(candidates) if pick_random else candidates[0]  # noqa: S311
    result = _drill_one(found, vault, chosen, scratch_server, operator)
    if json_out:
        print_json(result)
    else:
        _show_drill(result)
    if not result["ok"]:
        raise typer.Exit(1)


def _drill_forever(
    home: Home, vault: Any, every: str, scratch_server: str | None, operator: str, as_json: bool
) -> None:
    from interlock.config import parse_duration
    from interlock.errors import InputError

    try:
        seconds = parse_duration(every)
    except InputError as exc:
        fail(f"--every {escape(every)}: {escape(str(exc))}")
    if seconds < 60:
        fail("--every must be at least 1m")
    while True:
        newest: dict[str, Any] = {}
        for s in vault.list():  # newest first
            if s.manifest.kind == "pg":
                newest.setdefault(s.manifest.resource, s)
        for chosen in newest.values():
            result = _drill_one(home, vault, chosen, scratch_server, operator)
            if as_json:
                print_json(result)
            else:
                _show_drill(result)
        time.sleep(seconds)


@app.command()
def purge(
    snapshot: SnapshotArg,
    user: UserOption = None,
    code: CodeOption = None,
    second_user: Annotated[
        str | None, typer.Option("--second-user", help="The second registered human.")
    ] = None,
    second_code: Annotated[
        str | None, typer.Option("--second-code", help="The second human's TOTP code.")
    ] = None,
    password_stdin: PasswordStdinOption = False,
    json_out: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Remove a snapshot whose retention date has passed, on the proof of two different
    humans (--user and --second-user; with --password-stdin, one password per line).
    Nothing removes a snapshot before its date."""
    from interlock.vault import PURGE_HUMANS, VaultError

    found, vault = _open(home)
    chosen = _get(vault, snapshot)
    if chosen.manifest.retain_until > time.time():
        fail(
            f"snapshot {chosen.id} is kept until {_when(chosen.manifest.retain_until)}; "
            "nothing removes it before then"
        )
    try:
        first = human_proof(found, user, code, "vault purge", password_stdin)
        second = human_proof(found, second_user, second_code, "vault purge", password_stdin)
    except InterlockError as exc:
        fail_from(exc)
    names = [first.name, second.name]
    if len(set(names)) < PURGE_HUMANS:
        fail(f"purging a snapshot takes {PURGE_HUMANS} different humans")
    try:
        removed = vault.purge(chosen.id, names)
    except VaultError as exc:
        fail(escape(str(exc)))
    found.audit_log().append(
        "vault_purge", {"snapshot": chosen.id, "by": names, "removed": len(removed)}
    )
    if json_out:
        print_json({"purged": chosen.id, "by": names, "removed": removed})
    else:
        out.print(f"purged snapshot {chosen.id} ({len(removed)} object(s)), by {', '.join(names)}")
