"""`interlock audit tail | verify | export | checkpoint`."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from interlock.audit import (
    AuditLog,
    AuditRecord,
    CheckpointVerifier,
    Guarantee,
    SQLiteAuditStore,
    VerifyReport,
    assess_guarantees,
    witnesses_for,
)
from interlock.cli._common import (
    EXIT_BAD_INPUT,
    HomeOption,
    JsonOption,
    fail,
    fail_from,
    out,
    print_json,
)
from interlock.errors import ConfigError, InterlockError
from interlock.home import require_home

app = typer.Typer(
    rich_markup_mode=None,
    help="Read, verify and export the tamper-evident audit log.",
    no_args_is_help=True,
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
def verify(
    as_json: Annotated[bool, typer.Option("--json", help="The report as one JSON object.")] = False,
    home: HomeOption = None,
) -> None:
    """Check the hash chain, the signed checkpoints, the pinned key and the witnesses; name
    the first bad record or the missing range, and say what this configuration can prove.
    Exit 1 when anything was tampered with."""
    try:
        found = require_home(home)
        settings = found.audit_settings()
        witnesses = witnesses_for(settings)
        key_problem = ""
        try:
            verifier: CheckpointVerifier | None = found.audit_verifier()
        except ConfigError as exc:
            verifier, key_problem = None, str(exc)
        # No signer and no HMAC key: verifying needs neither, and the user running it (the
        # agent's, to see what it could hide) may not be able to read them.
        log = AuditLog(
            SQLiteAuditStore(found.database),
            witnesses=witnesses,
            key_pin=settings.key_fingerprint,
        )
        try:
            report = log.verify(verifier)
        finally:
            log.store.close()
        if key_problem:
            report.add("key_missing", f"{key_problem}: the public key was removed or damaged")
        guarantees = assess_guarantees(
            report, witnesses, signing_key=found.signing_key, config_path=found.config_path
        )
    except InterlockError as exc:
        fail_from(exc)
    if as_json:
        print_json(_report_json(report, guarantees))
    else:
        _print_report(report, guarantees)
    if not report.ok:
        raise typer.Exit(EXIT_BAD_INPUT)


def _report_json(report: VerifyReport, guarantees: list[Guarantee]) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "records": report.records,
        "head": report.head,
        "checkpoints": report.checkpoints,
        "signed_through": report.signed_through,
        "unsigned_tail": report.unsigned_tail,
        "witnessed_through": report.witnessed_through,
        "unwitnessed_tail": report.unwitnessed_tail,
        "first_bad": report.first_bad,
        "problems": [f.to_json() for f in report.ordered()],
        "warnings": report.warnings,
        "witnesses": report.witnesses,
        "guarantees": [g.to_json() for g in guarantees],
    }


def _print_report(report: VerifyReport, guarantees: list[Guarantee]) -> None:
    if report.ok:
        out.print(
            f"[green]ok[/] {report.records} records, chain intact; "
            f"{report.checkpoints} signed checkpoints verified "
            f"(signed through #{report.signed_through}, witnessed through "
            f"#{report.witnessed_through})"
        )
    else:
        first = report.first_bad
        where = f"; first bad record #{first}" if first is not None else ""
        out.print(
            f"[bold red]TAMPERED[/] {len(report.findings)} problem(s) in {report.records} "
            f"records{where}:"
        )
        for problem in report.problems:
            out.print(f"  [red]•[/] {escape(problem)}")
    for warning in report.warnings:
        out.print(f"[yellow]warning:[/] {escape(warning)}")
    if report.unsigned_tail and report.ok:
        out.print(
            f"[dim]{report.unsigned_tail} newer records are chained but not yet covered by a "
            "signed checkpoint in the log (`interlock audit checkpoint` signs the head now)[/]"
        )
    out.print("What this configuration proves (for the OS user running this command):")
    for guarantee in guarantees:
        mark = {True: "[green]yes[/]", False: "[red]no[/] ", None: "[yellow]?[/]  "}[
            guarantee.holds
        ]
        out.print(f"  {mark} {escape(guarantee.name)} [dim]({escape(guarantee.why)})[/]")


@app.command()
def checkpoint(as_json: JsonOption = False, home: HomeOption = None) -> None:
    """Sign the current head of the audit chain now."""
    try:
        made = require_home(home).audit_log().checkpoint()
    except InterlockError as exc:
        fail_from(exc)
    if as_json:
        print_json(None if made is None else {"seq": made.seq, "key_id": made.key_id})
        return
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
