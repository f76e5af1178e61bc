"""`interlock up`: start everything interlock.toml configures, supervised (see docs/up.md)."""

from __future__ import annotations

import socket
import threading
import time
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from interlock.cli._common import HomeOption, fail, fail_from, out
from interlock.errors import InterlockError
from interlock.home import Home, require_home

_COLOURS = {"control-plane": "cyan", "proxy-http": "magenta", "proxy-pg": "blue", "hooks": "green"}


def up(
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Validate interlock.toml, show what would run, start nothing."
        ),
    ] = False,
    server: Annotated[
        bool | None,
        typer.Option(
            "--server/--no-server",
            help="Run the control plane (default: [up] server, true).",
            show_default=False,
        ),
    ] = None,
    hooks: Annotated[
        bool | None,
        typer.Option(
            "--hooks/--no-hooks",
            help="Run the hooks daemon (default: [up] hooks, or when [hooks] exists).",
            show_default=False,
        ),
    ] = None,
    max_restarts: Annotated[
        int | None,
        typer.Option(
            "--max-restarts", min=0, help="Restarts of a crashing child before giving up."
        ),
    ] = None,
    home: HomeOption = None,
) -> None:
    """Run every configured component, each in its own supervised process.

    The control plane always (unless --no-server); the HTTP proxy when [proxy.http]
    exists or an HTTP resource is registered; the PostgreSQL proxy when [proxy.pg] or
    [up.pg] exists; the hooks daemon when [hooks] exists or with --hooks. A crashing
    child is restarted with back-off; Ctrl-C or SIGTERM stops them all. Exit status: 0
    after a requested stop, 1 on bad configuration or when a child kept crashing. See docs/up.md.
    """
    from interlock.up import Supervisor, load_plan

    try:
        found = require_home(home)
        plan = load_plan(found, server=server, hooks=hooks, max_restarts=max_restarts)
    except InterlockError as exc:
        fail_from(exc)
    if not plan.children:
        fail(
            f"{found.config_path}: nothing to run (the control plane is off and nothing else "
            "is configured)"
        )
    table = Table("component", "listening on", "", title=f"interlock up: {found.root}")
    for child in plan.children:
        colour = _COLOURS.get(child.name, "white")
        table.add_row(
            f"[{colour}]{child.name}[/]", escape(child.listen), f"[dim]{escape(child.detail)}[/]"
        )
    out.print(table)
    for warning in plan.warnings:
        out.print(f"[yellow]warning:[/] {escape(warning)}")
    if check:
        out.print(
            f"{escape(str(found.config_path))}: OK ({len(plan.children)} component(s); "
            "nothing started)"
        )
        return
    for child in plan.children:
        busy = _in_use(child.probe.kind, child.probe.host, child.probe.port, child.probe.path)
        if busy and child.probe.kind == "unix" and _hand_over_hooks_daemon(found):
            busy = ""
        if busy:
            fail(f"{child.name}: {child.listen} is already in use ({busy})")
    out.print("[dim]Ctrl-C to stop everything[/]")

    lock = threading.Lock()

    def report(name: str, kind: str, text: str) -> None:
        colour = _COLOURS.get(name, "white")
        stamp = time.strftime("%H:%M:%S")
        style = "" if kind == "status" else "dim"
        body = f"[{style}]{escape(text)}[/]" if style else escape(text)
        with lock:
            out.print(f"[dim]{stamp}[/] [{colour}]{name:<13}[/] {body}", soft_wrap=True)

    supervisor = Supervisor(
        plan.children,
        report=report,
        max_restarts=plan.max_restarts,
        stop_timeout=plan.stop_timeout,
    )
    code = supervisor.run()
    if supervisor.failed:
        fail(supervisor.failed)
    out.print("[dim]all stopped[/]")
    raise typer.Exit(code)


def _hand_over_hooks_daemon(found: Home) -> bool:
    """The background hooks daemon `hooks install` started for this home is stopped, so
    `up` runs it supervised instead; True when the socket is free afterwards."""
    import os
    import signal

    from interlock.hooks import pid_path, ping, socket_path

    try:
        pid = int(pid_path(found).read_text().strip())
        os.kill(pid, signal.SIGTERM)
    except (OSError, ValueError):
        return False
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if not ping(socket_path(found), timeout=0.2):
            out.print(f"[dim]hooks: stopped the background daemon (pid {pid}); up runs it now[/]")
            return True
        time.sleep(0.1)
    return False


def _in_use(kind: str, host: str, port: int, path: str) -> str:
    """Why the address is taken, or "" when it is free (a quick check for a clear message;
    the child's own bind is the real test)."""
    from interlock.up import Probe, probe

    if kind == "unix":
        return "a hooks daemon answers there" if probe(Probe("unix", path=path)) else ""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return ""
