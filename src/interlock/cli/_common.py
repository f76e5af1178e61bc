"""What every command shares: the --home option, consoles, and turning errors into exits."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from interlock.errors import InterlockError

EXIT_OK = 0
EXIT_BAD_INPUT = 1
EXIT_HOLD = 2
EXIT_DENY = 3

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

HomeOption = Annotated[
    Path | None,
    typer.Option(
        "--home",
        envvar="INTERLOCK_HOME",
        help="Interlock home directory (default: $INTERLOCK_HOME, a home here or in a parent "
        "directory, then ~/.config/interlock).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (machine-readable).")]


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print a one-line error and exit; never a traceback."""
    err.print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
    raise typer.Exit(code)


def fail_from(exc: InterlockError) -> NoReturn:
    fail(str(exc).replace("[", "\\["))


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False) + "\n")
    sys.stdout.flush()
