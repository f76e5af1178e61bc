"""`interlock scan`: find credentials exposed in files before an agent does."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from interlock.cli._common import EXIT_OK, fail, out, print_json
from interlock.errors import InputError
from interlock.home import is_own_key_file
from interlock.secrets import (
    DEFAULT_MAX_FILE_BYTES,
    Confidence,
    Finding,
    ScanStats,
    find_secrets,
    scan_path,
)

EXIT_FOUND = 1  # like grep and linters: non-zero when something was found
HINT = (
    "Move each credential to the Interlock secret store and give agents scoped, short-lived "
    "tokens instead; then revoke the exposed one (it may already have been read)."
)
_STYLE = {Confidence.HIGH: "bold red", Confidence.MEDIUM: "yellow", Confidence.LOW: "dim"}


def scan(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Files or directories to scan; '-' reads standard input.", show_default=False
        ),
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object per finding, nothing else.")
    ] = False,
    include_low: Annotated[
        bool,
        typer.Option(
            "--include-low",
            help="Also report low-confidence findings (test keys, short password literals, "
            "local database URLs).",
        ),
    ] = False,
    max_file_bytes: Annotated[
        int,
        typer.Option("--max-file-bytes", help="Skip files larger than this.", min=1),
    ] = DEFAULT_MAX_FILE_BYTES,
) -> None:
    """Find exposed credentials (cloud keys, API tokens, private keys, database passwords).

    Never prints a credential: each finding shows its file and line, the kind of credential
    and a preview of at most four characters.

    An Interlock home's own key files (`<home>/keys/*.key`) are named in a note, not
    reported: they are Interlock's secrets, and the hooks keep agents from reading them.

    Exit status: 0 nothing found, 1 credentials found — or a path that cannot be read
    (reported on standard error before anything is scanned).

    \b
    Examples:
      interlock scan .
      interlock scan src config/.env --json
      git diff | interlock scan -
    """
    for path in paths:
        if str(path) != "-" and not path.exists():
            fail(f"{path!s}: no such file or directory")
    floor = (Confidence.LOW if include_low else Confidence.MEDIUM).rank
    stats = ScanStats()
    findings = 0
    files: set[str | None] = set()
    own: set[str] = set()
    try:
        for finding in _findings(paths, max_file_bytes, stats):
            if finding.confidence.rank < floor:
                continue
            if finding.path and is_own_key_file(Path(finding.path)):
                own.add(finding.path)
                continue
            findings += 1
            files.add(finding.path)
            if as_json:
                print_json(finding.to_json())
            else:
                _render(finding)
    except InputError as exc:
        fail(str(exc))
    if not as_json:
        _summary(findings, len(files), stats)
        for key in sorted(own):
            out.print(
                f"[dim]note: {escape(key)} is Interlock's own key (not reported; agents are "
                "kept from reading it, and it must never be committed)[/]",
                soft_wrap=True,
            )
    raise typer.Exit(EXIT_FOUND if findings else EXIT_OK)


def _findings(paths: list[Path], max_file_bytes: int, stats: ScanStats) -> Iterator[Finding]:
    for path in paths:
        if str(path) == "-":
            stats.files_scanned += 1
            yield from find_secrets(sys.stdin.read(), path="<stdin>")
        else:
            yield from scan_path(path, max_file_bytes=max_file_bytes, stats=stats)


def _render(finding: Finding) -> None:
    style = _STYLE[finding.confidence]
    out.print(
        f"[bold]{escape(finding.path or '')}:{finding.line}:{finding.column}[/]  "
        f"[{style}]{finding.rule}[/]  {escape(finding.provider)}  "
        f"[dim]{escape(finding.preview)} ({finding.confidence.value})[/]",
        soft_wrap=True,
    )


def _summary(findings: int, files: int, stats: ScanStats) -> None:
    scanned = f"{stats.files_scanned} file{'s' if stats.files_scanned != 1 else ''} scanned"
    if stats.files_skipped:
        scanned += f", {stats.files_skipped} skipped (binary, too large or unreadable)"
    if not findings:
        out.print(f"[green]no exposed credentials found[/] ({scanned})", soft_wrap=True)
        return
    noun = "credential" if findings == 1 else "credentials"
    out.print(
        f"\n[bold red]{findings} exposed {noun}[/] in {files} "
        f"file{'s' if files != 1 else ''} ({scanned})",
        soft_wrap=True,
    )
    out.print(f"[dim]hint:[/] {HINT}", soft_wrap=True)
