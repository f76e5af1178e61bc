"""`interlock audit tail | verify | export | checkpoint`."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from interlock.audit import AuditRecord
from interlock.cli._common import EXIT_BAD_INPUT, HomeOption, fail, fail_from, out, print_json
from interlock.errors import InterlockError
from interlock.home import require_home

app = typer.Typer(
    help="Read, verify and export the tamper-evident audit log.", no_args_is_help=True
)


def _summary(record: AuditRecord) -> str:
    body = record.body
    if record.type == "decision":
        decision = body.get("decision", {})
        principal = body.get("principal", {}).get("name", "?")
        resource = body.get("resource", {})
        ops = ", ".join(a.get("operation", "?") for a in decision.get("actions", [])[:3])
        return (
            f"{decision.get('decision', '?'):<5} {decision.get('risk', '?'):<11} "
            f"{principal} → {resource.get('name', '?')} ({resource.get('environment', '?')}): "
            f"{ops}"
        )
    if record.type == "outcome":
        return f"outcome of #{body.get('decision_seq')}: {body.get('outcome')}"
    return json.dumps(dict(body))[:120]


def _print_record(record: AuditRecord, as_json: bool) -> None:
    if as_json:
        print_json(record.to_json())
    else:
        out.print(f"[dim]#{record.seq} {record.ts}[/] {record.type:<8} {escape(_summary(record))}")


@app.command()
def tail(
    lines: Annotated[int, typer.Option("-n", "--lines", help="How many records.", min=1)] = 20,
    follow: Annotated[
        bool, typer.Option("-f", "--follow", help="Keep printing new records.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON record per line.")] = False,
    home: HomeOption = None,
) -> None:
    """Show the latest audit records (and, with -f, new ones as they are written)."""
    try:
        log = require_home(home).audit_log()
        head = log.store.head()
        last = 0 if head is None else head.seq
        for record in log.records(max(0, last - lines)):
            _print_record(record, as_json)
            last = record.seq
        while follow:
            time.sleep(0.5)
            for record in log.records(last):
                _print_record(record, as_json)
                last = record.seq
    except InterlockError as exc:
        fail_from(exc)
    except KeyboardInterrupt:
        pass


@app.command()
def verify(home: HomeOption = None) -> None:
    """Check the hash chain and signed checkpoints; name every edited, deleted, inserted or
    reordered record. Exit 1 when anything was tampered with."""
    try:
        found = require_home(home)
        report = found.audit_log().verify(found.audit_verifier())
    except InterlockError as exc:
        fail_from(exc)
    if report.ok:
        out.print(
            f"[green]ok[/] {report.records} records, chain intact; "
            f"{report.checkpoints} signed checkpoints verified "
            f"(signed through #{report.signed_through})"
        )
        if report.unsigned_tail:
            out.print(
                f"[dim]{report.unsigned_tail} newer records are chained but not yet covered by a "
                "signed checkpoint (`interlock audit checkpoint` signs the head now)[/]"
            )
        return
    out.print(
        f"[bold red]TAMPERED[/] {len(report.problems)} problem(s) in {report.records} records:"
    )
    for problem in report.problems:
        out.print(f"  [red]•[/] {escape(problem)}")
    raise typer.Exit(EXIT_BAD_INPUT)


@app.command()
def checkpoint(home: HomeOption = None) -> None:
    """Sign the current head of the audit chain now."""
    try:
        made = require_home(home).audit_log().checkpoint()
    except InterlockError as exc:
        fail_from(exc)
    if made is None:
        out.print("the audit log is empty: nothing to sign")
    else:
        out.print(f"signed checkpoint at #{made.seq} (key {made.key_id})")


@app.command()
def export(
    format: Annotated[str, typer.Option("--format", help="Output format: jsonl.")] = "jsonl",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to a file instead of stdout.")
    ] = None,
    home: HomeOption = None,
) -> None:
    """Export every audit record, with its hashes, for archiving or analysis."""
    if format != "jsonl":
        fail(f"unsupported format {format!r}: only jsonl is available")
    try:
        log = require_home(home).audit_log()
        sink = output.open("w", encoding="utf-8") if output else sys.stdout
        count = 0
        for record in log.records():
            sink.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
            count += 1
        if output:
            sink.close()
            out.print(f"wrote {count} records to {escape(str(output))}")
    except OSError as exc:
        fail(f"{output}: cannot write ({exc.strerror})")
    except InterlockError as exc:
        fail_from(exc)
