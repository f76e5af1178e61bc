"""`interlock init`: create a home with config, default policies, keys and local state."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from interlock.audit import AuditSetup, CheckpointSigner, set_up_audit
from interlock.cli._common import JsonOption, fail, fail_from, out, print_json
from interlock.config import AuditSettings
from interlock.errors import InterlockError
from interlock.home import HOME_DIR_NAME, Home, ignore_in_repository, init_home, user_home_root


def init(
    home: Annotated[
        Path | None,
        typer.Option(
            "--home",
            envvar="INTERLOCK_HOME",
            help="Where to create the home (default: ~/.config/interlock, outside every "
            f"workspace; ./{HOME_DIR_NAME} for one inside a project, git-ignored).",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite config, policies and keys.")
    ] = False,
    witness_dir: Annotated[
        Path | None,
        typer.Option(
            "--witness-dir",
            help="Directory of the audit witness (default: <home>/witness). Give one another "
            "OS user owns so agents cannot rewrite it.",
            show_default=False,
        ),
    ] = None,
    witness_url: Annotated[
        str | None,
        typer.Option("--witness-url", help="Also POST audit checkpoints to this URL."),
    ] = None,
    admin: Annotated[
        str | None,
        typer.Option(
            "--admin",
            help="Enrol the first human (password + TOTP): deciding approvals needs one.",
            show_default=False,
        ),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read --admin's password from stdin.")
    ] = False,
    witness_owner: Annotated[
        str | None,
        typer.Option("--witness-owner", help="Give the witness directory to this OS user."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Create an Interlock home: interlock.toml, the default policy pack, an Ed25519 key for
    signing audit checkpoints (its fingerprint pinned in interlock.toml and in the audit
    witness), and the embedded SQLite state. Safe to run twice."""
    root = home if home is not None else user_home_root()
    setup = AuditSetup(
        witness_dir=witness_dir, webhook=witness_url or "", witness_owner=witness_owner or ""
    )
    if force:
        _keep_previous_audit(Home(root.resolve()), setup)
    try:
        created, made = init_home(root, force=force)
        set_up_audit(created.config_path, created.signing_key, created.public_key, setup)
    except (InterlockError, OSError) as exc:
        if isinstance(exc, InterlockError):
            fail_from(exc)
        fail(f"{root}: cannot create the home ({exc})")
    if as_json:
        if admin is not None:
            fail("--json does not enrol a human: run `interlock user add NAME --json` after")
        ignored_at = ignore_in_repository(created.root)
        print_json(
            {
                "home": str(created.root),
                "created": made,
                "audit": list(setup.done),
                "git_ignored_in": str(ignored_at) if ignored_at else None,
                "export": f"INTERLOCK_HOME={created.root}",
            }
        )
        return
    for path in made:
        out.print(f"  [green]created[/] {escape(path)}")
    for line in setup.done:
        out.print(f"  [green]audit[/] {escape(line)}")
    if not made:
        out.print("  nothing to do: the home already exists (use --force to recreate files)")
    ignored = ignore_in_repository(created.root)
    if ignored is not None:
        out.print(
            f"  [green]ignored[/] the home in {escape(str(ignored))} (keys are never committed)"
        )
    out.print(f"Interlock home ready at [bold]{escape(str(created.root))}[/]")
    if created.root != user_home_root():
        where = escape(str(created.root))
        out.print(
            "Commands find it from inside it (or below its parent); elsewhere pass "
            f"`--home {where}` or `export INTERLOCK_HOME={where}`"
        )
    _first_human(created, admin, password_stdin)
    out.print("Next: `interlock policy validate`, `interlock check sql 'DROP TABLE t'`")


def _first_human(home: Home, admin: str | None, password_stdin: bool) -> None:
    """Enrol the first human: `--admin NAME`, or asked at a terminal; otherwise say how."""
    from interlock.cli.user import enrol
    from interlock.identity import HumanRegistry

    if HumanRegistry.for_home(home).users():
        return
    if admin is None and sys.stdin.isatty() and not password_stdin:
        admin = (
            str(
                typer.prompt("Name of the first human approver (empty to skip)", default="")
            ).strip()
            or None
        )
    if admin is None:
        out.print(
            "[yellow]No human is enrolled yet:[/] deciding approvals needs one "
            "(`interlock user add NAME`, or `interlock init --admin NAME`)."
        )
        return
    enrol(home, admin, "admin", password_stdin, command="interlock init --admin")


def _keep_previous_audit(home: Home, setup: AuditSetup) -> None:
    """Before `--force` replaces them: the old key (to endorse the new one in the witness)
    and the old [audit] settings (witness, pin), when they can be read."""
    try:
        setup.previous_key = CheckpointSigner.from_file(home.signing_key)
    except InterlockError:
        setup.previous_key = None
    try:
        setup.previous_settings = home.audit_settings()
    except InterlockError:
        setup.previous_settings = AuditSettings()
