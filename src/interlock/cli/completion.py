"""`interlock completion SHELL`: the shell's tab-completion script for `interlock`.

Typer (Click) answers completion requests itself when `_INTERLOCK_COMPLETE` is set; this
command prints the script that makes the shell ask. `interlock.cli.main` registers Typer's
completion classes only when a shell is asking, so ordinary runs pay nothing for it.
"""

from __future__ import annotations

from typing import Annotated

import typer

from interlock.cli._common import fail

SHELLS = ("bash", "zsh", "fish", "powershell", "pwsh")
COMPLETE_VAR = "_INTERLOCK_COMPLETE"


def completion(
    shell: Annotated[str, typer.Argument(help=f"One of: {', '.join(SHELLS)}.")],
) -> None:
    """Print the tab-completion script for your shell.

    \b
    Examples:
      eval "$(interlock completion bash)"                    # this shell only
      interlock completion bash >> ~/.bashrc                  # every new bash
      interlock completion zsh > "${fpath[1]}/_interlock"     # zsh
      interlock completion fish > ~/.config/fish/completions/interlock.fish
    """
    if shell not in SHELLS:
        fail(f"unknown shell {shell!r}: expected one of {', '.join(SHELLS)}")
    from typer._completion_shared import get_completion_script

    print(get_completion_script(prog_name="interlock", complete_var=COMPLETE_VAR, shell=shell))


def register_if_asked(environ: dict[str, str] | None = None) -> None:
    """Install Typer's completion classes when the shell asks for completions."""
    import os

    if (environ if environ is not None else os.environ).get(COMPLETE_VAR):
        from typer._completion_classes import completion_init

        completion_init()
