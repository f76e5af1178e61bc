"""`interlock hooks install | uninstall | pin | serve | status` and `interlock hook AGENT`."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from interlock.cli._common import HomeOption, JsonOption, fail, fail_from, out, print_json
from interlock.cli._human import CodeOption, PasswordStdinOption, require_human
from interlock.cli._human import UserOption as HumanUserOption
from interlock.cli.service import DEFAULT_SERVICE_USER, DEFAULT_SOCKET
from interlock.errors import InterlockError
from interlock.home import Home, find_home, require_home
from interlock.hooks import AGENTS, deny_answer

app = typer.Typer(
    rich_markup_mode=None,
    help="Interlock inside coding agents: Claude Code, Cursor, Codex and Gemini CLI.",
    no_args_is_help=True,
)

AgentArgument = Annotated[
    str, typer.Argument(help="claude-code, cursor, codex or gemini.", show_default=False)
]
ProjectOption = Annotated[
    Path | None,
    typer.Option(
        "--project",
        help="Install into this project's settings (default: the current directory).",
        show_default=False,
    ),
]
UserOption = Annotated[
    bool, typer.Option("--user", help="Install into your user-level settings instead.")
]
ServiceOption = Annotated[
    bool,
    typer.Option(
        "--service",
        help="Ask the Interlock service (`interlock service install`) instead of a home: "
        "answers are trusted only from its user.",
    ),
]
ServiceUserOption = Annotated[
    str, typer.Option("--service-user", help="The service's OS user (with --service).")
]
ServiceSocketOption = Annotated[
    Path, typer.Option("--socket", help="The service's socket (with --service).")
]


def _scope(project: Path | None, user: bool) -> Path | None:
    if user and project is not None:
        fail("give --project DIR or --user, not both")
    if user:
        return None
    return (project or Path.cwd()).resolve()


def _agent(agent: str) -> str:
    if agent not in AGENTS:
        fail(f"unknown agent {agent!r}: expected one of {', '.join(AGENTS)}")
    return agent


@app.command()
def install(
    agent: AgentArgument,
    project: ProjectOption = None,
    user: UserOption = False,
    home: HomeOption = None,
    service: ServiceOption = False,
    service_user: ServiceUserOption = DEFAULT_SERVICE_USER,
    socket: ServiceSocketOption = DEFAULT_SOCKET,
    absolute: Annotated[
        bool,
        typer.Option(
            "--absolute",
            help="Write this machine's interpreter and client paths into the settings (the "
            "default for --user; a project's settings name `interlock-hook`, found on PATH).",
        ),
    ] = False,
    daemon: Annotated[
        bool,
        typer.Option(
            "--daemon/--no-daemon",
            help="Start the resident process (`interlock hooks serve`) if it is not running: "
            "answers in milliseconds instead of a Python start per tool call.",
        ),
    ] = True,
    as_json: JsonOption = False,
) -> None:
    """Add Interlock's hook to an agent's settings (merged, backed up, idempotent), and start
    the resident process that answers it.

    A project's settings file is committed and shared: the hook command written there is
    `interlock-hook AGENT`, with no path of this machine in it; each teammate's hook finds
    `interlock-hook` on PATH and their own home (.interlock/ in the project, $INTERLOCK_HOME
    or ~/.config/interlock), as the CLI does. This installation's `interlock-hook` is
    rewritten as a short shell launcher holding this machine's interpreter and client paths
    (`-I -S`: as fast as --absolute); those paths never go into the settings.

    \b
    Examples:
      interlock hooks install claude-code            # .claude/settings.json here
      interlock hooks install cursor --user          # ~/.cursor/hooks.json
      interlock hooks install claude-code --service  # ask the service on /run/interlock
    """
    from interlock.hooks import install as do_install

    agent = _agent(agent)
    scope = _scope(project, user)
    if service:
        _install_for_service(agent, scope, service_user, socket)
        return
    portable = scope is not None and not absolute
    notes: list[str] = []
    try:
        found = find_home(home)
        named: Path | None = found.root if found else None
        if portable and scope is not None and found is not None and _found_from(scope, found.root):
            named = None  # the hook finds it as the CLI does: nothing machine-specific
        elif portable and found is not None:
            notes.append(
                f"the home {found.root} is not found from the project by itself, so the "
                "settings name it (--home): teammates need it at the same path, or "
                "INTERLOCK_HOME set for their agent"
            )
        result = do_install(agent, project=scope, home=named, portable=portable)
    except InterlockError as exc:
        fail_from(exc)
    if result.changed and found is not None:
        from interlock.hooks import pin as do_pin

        try:
            do_pin(found, [scope] if scope is not None else [])
        except (InterlockError, OSError) as exc:
            fail(f"installed, but the settings could not be pinned: {exc}")
    state = _ensure_daemon(found) if daemon and found is not None else None
    launcher = _refresh_launcher(notes) if portable else None
    if portable and shutil.which("interlock-hook") is None:
        notes.append(
            "`interlock-hook` is not on this shell's PATH: put Interlock's bin directory on "
            "the PATH your agent starts with (pipx or `pip install --user` do)"
        )
    if as_json:
        print_json(
            {
                "path": str(result.path),
                "changed": result.changed,
                "backup": str(result.backup) if result.backup else None,
                "portable": portable,
                "home": str(found.root) if found else None,
                "daemon": state,
                "launcher": launcher,
                "notes": notes,
            }
        )
        return
    if not result.changed:
        out.print(f"Interlock's hook is already installed in {escape(str(result.path))}")
    else:
        out.print(f"installed Interlock's {agent} hook in {escape(str(result.path))}")
        if result.backup is not None:
            out.print(f"[dim]previous settings saved to {escape(str(result.backup))}[/]")
    if found is None:
        out.print(
            "[yellow]no Interlock home found:[/] decisions use the built-in policies and are "
            "not recorded; run `interlock init`, then install again"
        )
        return
    if result.changed:
        out.print("[dim]pinned: policies, interlock.toml and the agents' hook settings[/]")
    for note in notes:
        out.print(f"[yellow]note:[/] {escape(note)}", soft_wrap=True)
    if state is None:
        out.print(
            "[dim]start the resident process for fast answers: interlock hooks serve "
            f"--home {escape(str(found.root))} (or `interlock up` with a [hooks] table)[/]"
        )
    else:
        out.print(f"resident process: {escape(state)}")


def _refresh_launcher(notes: list[str]) -> dict[str, object]:
    """Make this installation's `interlock-hook` the fast launcher; note when it cannot be."""
    from interlock.hooks import refresh_launcher

    result = refresh_launcher()
    if not result.fast:
        notes.append(
            f"{result.path} is {result.state}: `interlock-hook` stays an ordinary Python "
            "start (about 30 ms more per tool call) instead of this machine's fast launcher"
        )
    return {"path": str(result.path), "state": result.state, "fast": result.fast}


def _found_from(project: Path, home_root: Path) -> bool:
    """Whether the hook, started in `project`, finds `home_root` without being told."""
    from interlock.home import user_home_root

    project, home_root = project.resolve(), home_root.resolve()
    if home_root == user_home_root().resolve():
        return True
    for directory in (project, *project.parents):
        if home_root in (directory / ".interlock", directory):
            return True
    return False


def _ensure_daemon(found: Home) -> str:
    """Start `interlock hooks serve` in the background unless one answers; say which."""
    import subprocess
    import time

    from interlock.hooks import pid_path, ping, socket_path

    where = socket_path(found)
    if ping(where):
        return f"already running on {where}"
    log = found.root / "state" / "hooks.log"
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from interlock.cli import main; main()",
                "hooks",
                "serve",
                "--home",
                str(found.root),
            ],
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=sink,
            start_new_session=True,  # outlives this command and the terminal
        )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if ping(where, timeout=0.2):
            pid = pid_path(found).read_text().strip() if pid_path(found).exists() else process.pid
            return f"started (pid {pid}) on {where}; it stops with `kill {pid}`, log {log}"
        if process.poll() is not None:
            return f"could not start (see {log}); run `interlock hooks serve` yourself"
        time.sleep(0.05)
    return f"starting (pid {process.pid}); see {log}"


def _install_for_service(agent: str, scope: Path | None, service_user: str, socket: Path) -> None:
    """`install --service`: the hook names the service's socket and its user's uid."""
    import os
    import pwd

    from interlock.hooks import ServiceEndpoint, changeable_code, ping
    from interlock.hooks import install as do_install

    try:
        uid = pwd.getpwnam(service_user).pw_uid
    except KeyError:
        fail(
            f"no OS user {service_user!r}: run `interlock service install` first "
            "(or pass --service-user)"
        )
    if not socket.is_absolute():
        fail(f"{socket}: the service's socket must be an absolute path")
    try:
        result = do_install(agent, project=scope, home=None, service=ServiceEndpoint(socket, uid))
    except InterlockError as exc:
        fail_from(exc)
    verb = "installed" if result.changed else "already installed:"
    out.print(
        f"{verb} Interlock's {agent} hook in {escape(str(result.path))}, asking the service on "
        f"{escape(str(socket))} (answers trusted from {escape(service_user)}, uid {uid} only)"
    )
    if result.backup is not None:
        out.print(f"[dim]previous settings saved to {escape(str(result.backup))}[/]")
    exposed = changeable_code()
    if exposed and os.geteuid() != 0:
        out.print(
            "[yellow]warning:[/] the hook's own code is writable by you, and so by your agent: "
            f"{escape(', '.join(str(p) for p in exposed[:3]))}. For the service to hold, "
            "install Interlock owned by root (e.g. a virtual environment in /opt/interlock) "
            "and run this command from there"
        )
    if not ping(socket, peer_uid=uid):
        out.print(
            "[yellow]the service is not answering yet:[/] until it does, the hook allows "
            "read-only actions only (`interlock service status`)"
        )


@app.command()
def uninstall(
    agent: AgentArgument,
    project: ProjectOption = None,
    user: UserOption = False,
) -> None:
    """Remove Interlock's hook from an agent's settings, leaving the rest as it was."""
    from interlock.hooks import uninstall as do_uninstall

    agent = _agent(agent)
    try:
        result = do_uninstall(agent, project=_scope(project, user))
    except InterlockError as exc:
        fail_from(exc)
    if not result.changed:
        out.print(f"Interlock's hook is not in {escape(str(result.path))}: nothing to do")
        return
    out.print(f"removed Interlock's {agent} hook from {escape(str(result.path))}")
    if result.backup is not None:
        out.print(f"[dim]previous settings saved to {escape(str(result.backup))}[/]")


@app.command()
def pin(
    project: Annotated[
        list[Path] | None,
        typer.Option("--project", help="Also watch this project's agent settings (repeatable)."),
    ] = None,
    as_user: HumanUserOption = None,
    code: CodeOption = None,
    password_stdin: PasswordStdinOption = False,
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Pin policies, interlock.toml and the agents' hook settings as they are now.

    The hook allows only reads while any of them differs from its pin: a human checks what
    changed, then pins again. Needs a registered human (--user), like approving.
    """
    from interlock.hooks import pin as do_pin

    try:
        found, human = require_human(home, as_user, code, "hooks pin", password_stdin)
        pins = do_pin(found, [p.resolve() for p in project or []])
        found.audit_log().append(
            "pins", {"event": "pinned", "by": human.name, "files": len(pins.files)}
        )
    except InterlockError as exc:
        fail_from(exc)
    if as_json:
        print_json({"files": len(pins.files), "projects": [str(p) for p in pins.projects]})
        return
    out.print(f"pinned {len(pins.files)} files (watched in {len(pins.projects)} project(s))")
    out.print("[dim]a running `interlock hooks serve` checks them on its next call[/]")


@app.command()
def serve(
    budget: Annotated[
        float | None,
        typer.Option(help="Seconds a decision may take before it is answered with a deny."),
    ] = None,
    home: HomeOption = None,
    socket: Annotated[
        Path | None,
        typer.Option(
            "--socket",
            help="Service mode: bind this socket (mode 0666) in a directory only root and the "
            "service may write, instead of <home>/state/hooks.sock.",
            show_default=False,
        ),
    ] = None,
    allow_uid: Annotated[
        list[int] | None,
        typer.Option(
            "--allow-uid", help="Answer only callers of this uid (repeatable; default: any)."
        ),
    ] = None,
) -> None:
    """Run the resident process hook clients ask, on <home>/state/hooks.sock (foreground)."""
    from interlock.hooks import serve as do_serve

    try:
        found = require_home(home)
        where = socket if socket is not None else found.root / "state" / "hooks.sock"

        def ready(daemon: object) -> None:
            print(f"interlock hooks: listening on {where}", flush=True)

        do_serve(
            found,
            budget=budget,
            on_ready=ready,
            socket=socket.absolute() if socket is not None else None,
            allowed_uids=allow_uid or None,
        )
    except InterlockError as exc:
        fail_from(exc)
    except OSError as exc:
        fail(f"cannot serve: {exc}")


@app.command()
def status(
    project: ProjectOption = None,
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Show the resident process, the [hooks] settings and where hooks are installed."""
    from interlock.hooks import (
        PinWatch,
        installed,
        load_hook_settings,
        load_pins,
        pid_path,
        ping,
        settings_file,
        settings_table,
        socket_path,
    )

    try:
        found = find_home(home)
    except InterlockError as exc:
        fail_from(exc)
    report: dict[str, Any] = {"home": None}
    if found is not None:
        path = socket_path(found)
        running = ping(path)
        pid = None
        if running and pid_path(found).exists():
            pid = pid_path(found).read_text().strip()
        try:
            settings: dict[str, Any] | str = {
                key: str(value)
                for key, value in settings_table(load_hook_settings(found.config_path)).items()
            }
        except InterlockError as exc:
            settings = str(exc)
        pins = load_pins(found)
        report = {
            "home": str(found.root),
            "daemon": {"running": running, "pid": pid, "socket": str(path)},
            "settings": settings,
            "pins": None if pins is None else (PinWatch(found, pins).drift() or "intact"),
        }
    scope = (project or Path.cwd()).resolve()
    report["installed"] = {
        agent: [str(settings_file(agent, s)) for s in (scope, None) if installed(agent, s)]
        for agent in AGENTS
    }
    if as_json:
        print_json(report)
        return
    _render_status(report)


def _render_status(report: dict[str, Any]) -> None:
    if report["home"] is None:
        out.print("home:    none (built-in policies; decisions are not recorded)")
    else:
        daemon = report["daemon"]
        pid = f" (pid {daemon['pid']})" if daemon["pid"] else ""
        state = "running" + pid if daemon["running"] else "not running"
        out.print(f"home:    {escape(report['home'])}")
        out.print(f"daemon:  {state} on {escape(daemon['socket'])}")
        if isinstance(report["settings"], str):
            out.print(f"[red]{escape(report['settings'])}[/]")
        else:
            for key, value in report["settings"].items():
                out.print(f"  {key}: {escape(value)}")
        pins = report["pins"]
        if pins is None:
            out.print(
                "pins:    none yet (taken when the hook first runs, or `interlock hooks pin`)"
            )
        else:
            shown = "intact" if pins == "intact" else f"[red]drift: {escape(pins)}[/]"
            out.print(f"pins:    {shown}")
    for agent, where in report["installed"].items():
        out.print(f"{agent:<12} {escape(', '.join(where)) if where else 'not installed'}")


def hook(
    agent: Annotated[str, typer.Argument(help="claude-code, cursor, codex or gemini.")],
    home: HomeOption = None,
) -> None:
    """Answer one hook event on stdin in the agent's protocol (no daemon needed).

    The installed hooks run a faster client that asks the resident process; this command
    is the same decision in one process. Every failure is answered with the agent's deny.
    """
    try:
        from interlock.hooks import MAX_EVENT_BYTES, evaluate

        stream = getattr(sys.stdin, "buffer", None)
        raw = stream.read(MAX_EVENT_BYTES + 1) if stream is not None else sys.stdin.read().encode()
        answer = evaluate(agent, raw, home)
    except Exception:
        answer = deny_answer(agent, "the hook failed; refused (fail closed)")
    sys.stdout.write(answer.stdout.decode())
    sys.stdout.flush()
    if answer.stderr:
        sys.stderr.write(answer.stderr + "\n")
    raise typer.Exit(answer.exit_code)
