"""`interlock hooks install | uninstall | pin | serve | status` and `interlock hook AGENT`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from interlock.cli._common import HomeOption, fail, fail_from, out
from interlock.cli._human import CodeOption, PasswordStdinOption, human_proof
from interlock.cli._human import UserOption as HumanUserOption
from interlock.errors import InterlockError
from interlock.home import find_home, require_home
from interlock.hooks import AGENTS, deny_answer

app = typer.Typer(
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
) -> None:
    """Add Interlock's hook to an agent's settings (merged, backed up, idempotent).

    \b
    Examples:
      interlock hooks install claude-code            # .claude/settings.json here
      interlock hooks install cursor --user          # ~/.cursor/hooks.json
    """
    from interlock.hooks import install as do_install

    agent = _agent(agent)
    scope = _scope(project, user)
    try:
        found = find_home(home)
        result = do_install(agent, project=scope, home=found.root if found else None)
    except InterlockError as exc:
        fail_from(exc)
    if not result.changed:
        out.print(f"Interlock's hook is already installed in {escape(str(result.path))}")
        return
    out.print(f"installed Interlock's {agent} hook in {escape(str(result.path))}")
    if result.backup is not None:
        out.print(f"[dim]previous settings saved to {escape(str(result.backup))}[/]")
    if found is None:
        out.print(
            "[yellow]no Interlock home found:[/] decisions use the built-in policies and are "
            "not recorded; run `interlock init`, then install again"
        )
    else:
        from interlock.hooks import pin as do_pin

        try:
            do_pin(found, [scope] if scope is not None else [])
        except (InterlockError, OSError) as exc:
            fail(escape(f"installed, but the settings could not be pinned: {exc}"))
        out.print("[dim]pinned: policies, interlock.toml and the agents' hook settings[/]")
        out.print(
            "[dim]start the resident process for fast answers: interlock hooks serve "
            f"--home {escape(str(found.root))}[/]"
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
    home: HomeOption = None,
) -> None:
    """Pin policies, interlock.toml and the agents' hook settings as they are now.

    The hook allows only reads while any of them differs from its pin: a human checks what
    changed, then pins again. Needs a registered human (--user), like approving.
    """
    from interlock.hooks import pin as do_pin

    try:
        found = require_home(home)
        human = human_proof(found, as_user, code, "hooks pin", password_stdin)
        pins = do_pin(found, [p.resolve() for p in project or []])
        found.audit_log().append(
            "pins", {"event": "pinned", "by": human.name, "files": len(pins.files)}
        )
    except InterlockError as exc:
        fail_from(exc)
    out.print(f"pinned {len(pins.files)} files (watched in {len(pins.projects)} project(s))")
    out.print("[dim]a running `interlock hooks serve` checks them on its next call[/]")


@app.command()
def serve(
    budget: Annotated[
        float | None,
        typer.Option(help="Seconds a decision may take before it is answered with a deny."),
    ] = None,
    home: HomeOption = None,
) -> None:
    """Run the resident process hook clients ask, on <home>/state/hooks.sock (foreground)."""
    from interlock.hooks import serve as do_serve

    try:
        found = require_home(home)

        def ready(daemon: object) -> None:
            print(
                f"interlock hooks: listening on {found.root / 'state' / 'hooks.sock'}", flush=True
            )

        do_serve(found, budget=budget, on_ready=ready)
    except InterlockError as exc:
        fail_from(exc)
    except OSError as exc:
        fail(escape(f"cannot serve: {exc}"))


@app.command()
def status(
    project: ProjectOption = None,
    home: HomeOption = None,
) -> None:
    """Show the resident process, the [hooks] settings and where hooks are installed."""
    from interlock.hooks import (
        installed,
        load_hook_settings,
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
    if found is None:
        out.print("home:    none (built-in policies; decisions are not recorded)")
    else:
        path = socket_path(found)
        running = ping(path)
        pid = ""
        if running and pid_path(found).exists():
            pid = f" (pid {pid_path(found).read_text().strip()})"
        out.print(f"home:    {escape(str(found.root))}")
        out.print(
            f"daemon:  {'running' + pid if running else 'not running'} on {escape(str(path))}"
        )
        try:
            for key, value in settings_table(load_hook_settings(found.config_path)).items():
                out.print(f"  {key}: {escape(str(value))}")
        except InterlockError as exc:
            out.print(f"[red]{escape(str(exc))}[/]")
        from interlock.hooks import PinWatch, load_pins

        if load_pins(found) is None:
            out.print(
                "pins:    none yet (taken when the hook first runs, or `interlock hooks pin`)"
            )
        else:
            drift = PinWatch(found, load_pins(found) or "").drift()
            out.print(f"pins:    {'[red]drift: ' + escape(drift) + '[/]' if drift else 'intact'}")
    scope = (project or Path.cwd()).resolve()
    for agent in AGENTS:
        where = [str(settings_file(agent, s)) for s in (scope, None) if installed(agent, s)]
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
