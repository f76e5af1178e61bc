"""`interlock init`: create a home with config, default policies, keys and local state."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from interlock.cli._common import fail, fail_from, out
from interlock.errors import InterlockError
from interlock.home import HOME_DIR_NAME, ignore_in_repository, init_home, user_home_root


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
) -> None:
    """Create an Interlock home: interlock.toml, the default policy pack, an Ed25519 key for
    signing audit checkpoints, and the embedded SQLite state. Safe to run twice."""
    root = home if home is not None else user_home_root()
    try:
        created, made = init_home(root, force=force)
    except (InterlockError, OSError) as exc:
        if isinstance(exc, InterlockError):
            fail_from(exc)
        fail(f"{root}: cannot create the home ({exc})")
    for path in made:
        out.print(f"  [green]created[/] {escape(path)}")
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
    out.print("Next: `interlock policy validate`, `interlock check sql 'DROP TABLE t'`")
