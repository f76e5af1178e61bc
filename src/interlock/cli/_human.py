"""Proof of a human on the command line: what deciding and pinning require.

A coding agent runs shell commands as the same OS user as its developer, so the OS user is
no proof: a registered human signs in (`--user NAME`, their password from the prompt or
`--password-stdin`, the current TOTP code from their authenticator). The unauthenticated
local operator is accepted only where `[approvals] local_operator = true` allows it (a
single-person laptop). A process carrying an agent token is refused either way, and the
attempt recorded as an incident.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from interlock.cli._common import fail
from interlock.config import read_config
from interlock.home import Home, require_home
from interlock.model import Human

UserOption = Annotated[
    str | None,
    typer.Option("--user", help="Sign in as this registered user (password prompt + --code)."),
]
CodeOption = Annotated[
    str | None, typer.Option("--code", help="The user's current TOTP code (with --user).")
]
PasswordStdinOption = Annotated[
    bool,
    typer.Option("--password-stdin", help="Read the password from standard input (with --user)."),
]
NO_PROOF = (
    "{action} needs a registered human: add --user NAME (password and TOTP code). Enrol one "
    "with `interlock user add NAME`; a single-person setup can let the local operator do it "
    "with `[approvals] local_operator = true` in interlock.toml"
)


def require_human(
    home: Path | None, user: str | None, code: str | None, action: str, password_stdin: bool
) -> tuple[Home, Human]:
    """The home (`--home`, or found) and the human doing `action` in it, proven."""
    found = require_home(home)
    return found, human_proof(found, user, code, action, password_stdin)


def human_proof(
    home: Home, user: str | None, code: str | None, action: str, password_stdin: bool
) -> Human:
    """The human doing `action`, proven; exits with a clear error otherwise."""
    from interlock.identity import authenticate_human, local_operator

    # An agent token in the environment is refused first, whatever else is given.
    operator = local_operator(home, action=action)
    if user is None:
        if not local_operator_allowed(home):
            fail(NO_PROOF.format(action=f"`interlock {action}`"))
        return operator
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = str(typer.prompt(f"Password for {user}", hide_input=True))
    totp = code if code is not None else str(typer.prompt("TOTP code"))
    return authenticate_human(user, password, totp, home=home)


def local_operator_allowed(home: Home) -> bool:
    """`[approvals] local_operator` in interlock.toml (default false)."""
    return read_config(home.config_path).approvals.local_operator
