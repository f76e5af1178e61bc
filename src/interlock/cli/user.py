"""`interlock user add | list | remove`: the humans who approve and administer.

Each user has an argon2id password and a TOTP second factor; the TOTP secret and
provisioning URI are printed once at enrolment and stored only sealed with the master key.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape

from interlock.cli._common import HomeOption, JsonOption, fail, fail_from, out, print_json
from interlock.errors import InterlockError
from interlock.home import Home, require_home
from interlock.identity import ROLES, HumanRegistry, local_operator

app = typer.Typer(
    rich_markup_mode=None, help="Humans: approvers and administrators.", no_args_is_help=True
)


def _read_password(from_stdin: bool, example: str) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            fail("--password-stdin: standard input held no password (one line is read)")
        return password
    if not sys.stdin.isatty():
        fail(
            "no terminal to ask for the password: pipe it in with --password-stdin "
            f"(e.g. `printf '%s\\n' \"$PASSWORD\" | {example} --password-stdin`)"
        )
    first: str = typer.prompt("Password", hide_input=True)
    second: str = typer.prompt("Repeat password", hide_input=True)
    if first != second:
        fail("the passwords do not match")
    return first


@app.command()
def add(
    name: Annotated[str, typer.Argument(help="The user's name (e.g. alice).")],
    role: Annotated[str, typer.Option("--role", help=f"One of: {', '.join(ROLES)}.")] = "approver",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Add a user: set a password and enrol a TOTP authenticator (shown once)."""
    try:
        found = require_home(home)
    except InterlockError as exc:
        fail_from(exc)
    enrol(found, name, role, password_stdin, as_json=as_json)


def enrol(
    found: Home,
    name: str,
    role: str,
    password_stdin: bool,
    *,
    as_json: bool = False,
    command: str = "interlock user add",
) -> None:
    """Register a human and show their TOTP enrolment once (`user add`, `init --admin`)."""
    try:
        human = local_operator(found, action="user add")
        registry = HumanRegistry.for_home(found)
        password = _read_password(password_stdin, f"{command} {name}")
        enrolment = registry.add(human, name, role=role, password=password)
    except InterlockError as exc:
        fail_from(exc)
    if as_json:
        print_json(
            {
                "name": enrolment.name,
                "role": enrolment.role,
                "totp_secret": enrolment.totp_secret,
                "provisioning_uri": enrolment.provisioning_uri,
            }
        )
        return
    out.print(f"added user [bold]{escape(enrolment.name)}[/] ({enrolment.role})")
    out.print(
        "[yellow]Enrol an authenticator app now; this is shown once.[/] "
        "Scan the URI as a QR code, or type the secret:"
    )
    sys.stdout.flush()
    sys.stdout.write(f"totp secret: {enrolment.totp_secret}\n{enrolment.provisioning_uri}\n")
    sys.stdout.flush()


@app.command("list")
def list_(
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """List users and their roles."""
    try:
        users = HumanRegistry.for_home(require_home(home)).users()
    except InterlockError as exc:
        fail_from(exc)
    if as_json:
        print_json([u.to_json() for u in users])
        return
    if not users:
        out.print("no users (add one with `interlock user add NAME --role admin`)")
    for u in users:
        out.print(f"{escape(u.name):<24} {u.role:<9} added by {escape(u.created_by)}")


@app.command()
def remove(
    name: Annotated[str, typer.Argument(help="The user to remove.")], home: HomeOption = None
) -> None:
    """Remove a user."""
    try:
        found = require_home(home)
        human = local_operator(found, action="user remove")
        HumanRegistry.for_home(found).remove(human, name)
    except InterlockError as exc:
        fail_from(exc)
    out.print(f"removed user {escape(name)}")
