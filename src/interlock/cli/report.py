"""`interlock report`: a period of decisions summarised from the audit log.

What was held or refused (or would have been: shadow mode), the top reasons, policies,
agents and commands or routes, and the false-alarm candidates (families of holds humans
approved repeatedly and never refused), each with a rule a human may consider adding.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer
from rich.markup import escape

from interlock.cli._common import HomeOption, JsonOption, fail_from, out, print_json
from interlock.config import parse_duration
from interlock.errors import InterlockError
from interlock.home import Home, require_home
from interlock.tuning import RecordedDecision, Report, read_decisions

SinceOption = Annotated[
    str,
    typer.Option("--since", help="How far back: a duration such as 7d, 24h, 90m (default 7d)."),
]


def since_time(since: str) -> datetime:
    """`--since 7d` → the moment 7 days ago (UTC); one-line error when it is not a duration."""
    return datetime.now(UTC) - timedelta(seconds=parse_duration(since))


def decisions_since(home: Home, start: datetime) -> list[RecordedDecision]:
    """The decisions `home`'s audit log recorded since `start` (the log closed after)."""
    log = home.audit_log()
    try:
        return read_decisions(log.records(), start)
    finally:
        log.close()


def report(
    since: SinceOption = "7d",
    top: Annotated[int, typer.Option("--top", min=1, max=100, help="Rows per list.")] = 10,
    min_approvals: Annotated[
        int,
        typer.Option(
            "--min-approvals",
            min=1,
            help="Approvals of the same family of holds that make it a false-alarm candidate.",
        ),
    ] = 2,
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Summarise a period from the audit log: what was (or, in shadow mode, would have been)
    held or denied, top reasons, agents and commands or routes, and false-alarm candidates.

    Read-only; nothing is recorded. See docs/classifiers/tuning.md.
    """
    try:
        found = require_home(home)
        start = since_time(since)
        decisions = decisions_since(found, start)
    except InterlockError as exc:
        fail_from(exc)
    summary = Report(
        start, datetime.now(UTC), tuple(decisions), top=top, min_approvals=min_approvals
    ).to_json()
    if as_json:
        print_json(summary)
        return
    _render(summary)


def _render(r: dict[str, Any]) -> None:
    decided, enforced, shadow = r["decided"], r["enforced"], r["shadow"]
    out.print(f"[bold]Interlock report[/] {r['since']} → {r['until']}")
    out.print(
        f"  {r['decisions']} decisions: {decided.get('allow', 0)} allow, "
        f"{decided.get('hold', 0)} hold, {decided.get('deny', 0)} deny"
    )
    if shadow["decisions"]:
        out.print(
            f"  [yellow]shadow mode[/]: {shadow['decisions']} decisions not enforced — would have "
            f"held {shadow['would_hold']}, would have denied {shadow['would_deny']}"
        )
    out.print(
        f"  enforced: {enforced.get('allow', 0)} allowed, {enforced.get('hold', 0)} held, "
        f"{enforced.get('deny', 0)} denied; humans approved {r['approvals']['approved']}, "
        f"refused {r['approvals']['refused']}"
    )
    _section("Top reasons", [f"{x['count']:>5}  {x['reason']}" for x in r["top_reasons"]])
    _section(
        "Top agents",
        [
            f"{x['agent']}: {x['held']} held, {x['denied']} denied of {x['decisions']}"
            for x in r["top_agents"]
        ],
    )
    _section(
        "Top commands and routes held or denied",
        [
            f"{x['count']:>5}  {x['decision']:<4}  {x['kind']}: {x['what']}"
            for x in r["top_actions"]
        ],
    )
    rows = []
    for x in r["false_alarm_candidates"]:
        rows.append(
            f"{x['kind']}: {x['what']} — held {x['holds']}×, approved {x['approved']}× "
            f"(agents: {', '.join(x['agents'])})"
        )
        if x["suggestion"]:
            rows.append(f"      consider: {x['suggestion']}")
    _section("False-alarm candidates (approved again and again, never refused)", rows)


def _section(title: str, rows: list[str]) -> None:
    out.print(f"\n[bold]{title}[/]")
    if not rows:
        out.print("  [dim]none[/]")
    for row in rows:
        out.print("  " + escape(row), soft_wrap=True)
