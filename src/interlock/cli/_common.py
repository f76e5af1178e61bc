"""What every command shares: the --home option, consoles, and turning errors into exits."""

from __future__ import annotations

import errno
import json
import socket
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.text import Text

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
    """Print a one-line error and exit; never a traceback.

    The message is plain text, never Rich markup: errors name TOML tables such as
    `[proxy.http.routes.NAME]`, which markup would swallow.
    """
    err.print(Text.assemble(("error:", "bold red"), " ", message), soft_wrap=True)
    raise typer.Exit(code)


def fail_from(exc: InterlockError) -> NoReturn:
    fail(str(exc))


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def bind_or_fail(host: str, port: int, what: str) -> socket.socket:
    """A listening socket on HOST:PORT, or one clean error line naming the address.

    Servers bind before they print "listening" and before they open anything that would
    need closing, so a busy port is one line, not a greeting, a traceback and a warning
    about an unclosed session."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as exc:
        fail(f"{what} {host}:{port}: cannot resolve the address ({exc.strerror or exc})")
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(1024)
    except OSError as exc:
        sock.close()
        fail(bind_failure(exc, host, port, what))
    return sock


def bind_failure(exc: OSError, host: str, port: int, what: str) -> str:
    """The one line a failed bind prints."""
    if exc.errno == errno.EADDRINUSE:
        return (
            f"{host}:{port} is already in use: another process listens there; stop it or "
            f"choose another address ({what})"
        )
    if exc.errno == errno.EACCES:
        return f"{host}:{port}: permission denied, ports below 1024 need privileges ({what})"
    return f"{host}:{port}: cannot listen ({exc.strerror or exc}; {what})"


def log_decisions(enabled: bool) -> None:
    """One line per decision on standard output (`[proxy.*] log_decisions`): what a
    terminal, `interlock up` and a service's journal show."""
    import logging

    from interlock.enforce import DECISIONS_LOG

    if not enabled:
        DECISIONS_LOG.setLevel(logging.WARNING)
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    DECISIONS_LOG.addHandler(handler)
    DECISIONS_LOG.setLevel(logging.INFO)
    DECISIONS_LOG.propagate = False
