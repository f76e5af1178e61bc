"""`interlock demo`: a short, scripted tour of what Interlock decides and why.

It runs on the built-in policies in a throw-away home, so it needs no set-up: each step is a
real classification and a real Cedar decision, recorded in a real audit log, which is then
verified and tampered with to show that the tampering is caught.
"""

from __future__ import annotations

import contextlib
import io
import sqlite3
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.panel import Panel
from rich.rule import Rule

from interlock.checking import Checker, CheckRequest
from interlock.cli._common import out
from interlock.cli.render import render_decision
from interlock.gate import Gate
from interlock.home import init_home
from interlock.model import Resource

INCIDENT_CURL = (
    "curl -X POST https://backboard.railway.app/graphql/v2 "
    '-H "Authorization: Bearer $RAILWAY_TOKEN" -H "Content-Type: application/json" '
    '-d \'{"query":"mutation { volumeDelete(volumeId: \\"vol-prod-7f3a\\") }"}\''
)

TOUR: list[tuple[str, CheckRequest]] = [
    (
        "The incident: one GraphQL mutation sent with curl, against production.",
        CheckRequest("shell", INCIDENT_CURL, env="production", agent="staging-fixer"),
    ),
    (
        "The same agent's everyday work passes untouched: reading and searching.",
        CheckRequest("shell", "grep -rn 'rm -rf' scripts/ | head -20", agent="staging-fixer"),
    ),
    (
        "A DROP inside a string literal is data, not a command.",
        CheckRequest("sql", "INSERT INTO notes(body) VALUES ('remember: DROP TABLE is forever')"),
    ),
    (
        "A real DROP on production waits for a human.",
        CheckRequest("sql", "DROP TABLE orders", resource="orders-db"),
    ),
    (
        "An unbounded DELETE hidden in a DO block is seen through.",
        CheckRequest(
            "sql", "DO $$ BEGIN EXECUTE 'DELETE FROM orders'; END $$", resource="orders-db"
        ),
    ),
    (
        "Destructive work outside production is allowed, with a snapshot first.",
        CheckRequest("shell", "rm -rf ./build /tmp/cache", env="staging"),
    ),
    (
        "Backups are out of every agent's reach, even for a read.",
        CheckRequest("sql", "SELECT * FROM snapshots", resource="backup-vault"),
    ),
    (
        "An MCP tool that claims to be read-only but deletes is not believed.",
        CheckRequest(
            "mcp",
            {
                "tool": "delete_database",
                "arguments": {"name": "prod"},
                "annotations": {"readOnlyHint": True},
            },
        ),
    ),
]

RESOURCES = {
    "orders-db": Resource("orders-db", "production", "postgres"),
    "backup-vault": Resource("backup-vault", "production", "volume", frozenset({"backup"})),
}


def human_commands(args: Sequence[str], stdin: str = "") -> None:
    """The on-call human's `interlock approvals …` / `interlock audit …`, run in-process;
    `stdin` is what they type at the prompts (a password)."""
    from interlock.cli import approvals, audit, vault

    root = typer.Typer(rich_markup_mode=None, add_completion=False, pretty_exceptions_enable=False)
    root.add_typer(approvals.app, name="approvals")
    root.add_typer(audit.app, name="audit")
    root.add_typer(vault.app, name="vault")
    saved = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.suppress(typer.Exit, SystemExit):
            root(list(args), standalone_mode=False)
    finally:
        sys.stdin = saved


def demo(
    tour: Annotated[
        bool, typer.Option("--tour", help="The decision tour instead of the incident replay.")
    ] = False,
) -> None:
    """Replay the incident on loopback, without and with Interlock (--tour: decisions only)."""
    if not tour:
        from interlock.demo import replay

        if not replay(out, human_commands):
            raise typer.Exit(1)
        return
    out.print(
        Panel.fit(
            "Interlock sits between AI agents and production. Every action is classified "
            "(read / write / destructive / unknown),\ndecided by Cedar policies, and recorded "
            "in a hash-chained audit log [i]before[/] it runs.",
            title="Interlock demo",
        )
    )
    with tempfile.TemporaryDirectory(prefix="interlock-demo-") as tmp:
        home, _ = init_home(Path(tmp) / "home")
        log = home.audit_log()
        checker = Checker(Gate(home.load_policies()), resources=RESOURCES, audit=log)
        for step, (story, request) in enumerate(TOUR, start=1):
            out.print(Rule(f"step {step}", align="left", style="dim"))
            out.print(f"[bold]{escape(story)}[/]")
            out.print(f"[dim]{request.kind}[/] [cyan]{escape(str(request.payload))}[/]")
            where = request.resource or request.env or "production"
            out.print(f"[dim]agent {request.agent or 'unnamed-agent'} → {where}[/]")
            render_decision(out, checker.check(request))
        log.checkpoint()
        out.print(Rule("the audit log", align="left", style="dim"))
        report = log.verify(home.audit_verifier())
        out.print(
            f"[green]verified[/]: {report.records} records, chain intact, "
            f"signed through #{report.signed_through}"
        )
        log.store.close()
        with sqlite3.connect(home.database) as db:
            db.execute(
                "UPDATE audit_records SET body = replace(body, '\"hold\"', '\"allow\"') "
                "WHERE seq = 1"
            )
        report = home.audit_log().verify(home.audit_verifier())
        out.print("Someone edits record #1 to say the deletion was allowed…")
        for problem in report.problems:
            out.print(f"  [red]caught:[/] {escape(problem)}")
    out.print(
        "\nNext: [bold]interlock init[/], then [bold]interlock check --help[/]; "
        "docs/ explains policies, classifiers and the audit log."
    )
