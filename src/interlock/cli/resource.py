"""`interlock resource add | list | show | remove`: registered resources and their sealed
upstream credentials.

The credential is read from an environment variable, a hidden prompt or stdin (never from
the command line, where `ps` and shell history would see it), sealed with the master key,
and never printed again by any command.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer
from rich.markup import escape

from interlock.cli._common import HomeOption, JsonOption, fail, fail_from, out, print_json
from interlock.errors import InterlockError
from interlock.home import require_home
from interlock.identity import KINDS, ResourceRegistry, local_operator

app = typer.Typer(
    rich_markup_mode=None,
    help="Resources agents act on, with their upstream credentials sealed.",
    no_args_is_help=True,
)


def _read_credential(from_env: str | None, prompt: bool, from_stdin: bool) -> str | None:
    chosen = sum((from_env is not None, prompt, from_stdin))
    if chosen > 1:
        fail(
            "give the credential one way: --credential-from-env, --credential-prompt or "
            "--credential-stdin"
        )
    if from_env is not None:
        value = os.environ.get(from_env)
        if not value:
            fail(f"environment variable {from_env} is not set or empty")
        return value
    if prompt:
        if not sys.stdin.isatty():  # getpass would only warn and read nothing useful
            fail(
                "--credential-prompt: no terminal to ask on: use --credential-stdin "
                "(e.g. `interlock resource add NAME … --credential-stdin < token.txt`) "
                "or --credential-from-env VAR"
            )
        secret: str = typer.prompt("Credential", hide_input=True)
        return secret
    if from_stdin:
        return sys.stdin.read().rstrip("\r\n")
    return None


@app.command()
def add(
    name: Annotated[str, typer.Argument(help="The resource's name (e.g. orders-db).")],
    kind: Annotated[str, typer.Option("--kind", help=f"One of: {', '.join(KINDS)}.")] = "generic",
    env: Annotated[str, typer.Option("--env", help="Its environment.")] = "production",
    tag: Annotated[list[str] | None, typer.Option("--tag", help="A tag (repeat).")] = None,
    owner: Annotated[str, typer.Option("--owner", help="Who owns it.")] = "",
    upstream: Annotated[
        str, typer.Option("--upstream", help="Where the proxy forwards (no password in it).")
    ] = "",
    credential_from_env: Annotated[
        str | None,
        typer.Option("--credential-from-env", metavar="VAR", help="Read the credential from $VAR."),
    ] = None,
    credential_prompt: Annotated[
        bool, typer.Option("--credential-prompt", help="Prompt for the credential (hidden).")
    ] = False,
    credential_stdin: Annotated[
        bool, typer.Option("--credential-stdin", help="Read the credential from stdin.")
    ] = False,
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Register a resource and seal its upstream credential.

    An HTTP resource (--kind http --upstream URL) is then served by `interlock proxy http`
    at /NAME, with the credential injected: no route to write.
    """
    credential = _read_credential(credential_from_env, credential_prompt, credential_stdin)
    try:
        found = require_home(home)
        human = local_operator(found, action="resource add")
        record = ResourceRegistry.for_home(found).add(
            human,
            name,
            kind=kind,
            environment=env,
            upstream=upstream,
            credential=credential,
            tags=tag,
            owner=owner,
        )
    except InterlockError as exc:
        fail_from(exc)
    if as_json:
        print_json(record.to_json())
        return
    out.print(
        f"registered {record.resource.kind} resource [bold]{escape(name)}[/] in "
        f"{escape(record.resource.environment)}; credential: {record.credential_status()}"
    )
    if record.resource.kind == "http" and record.upstream:
        out.print(
            f"[dim]`interlock proxy http` serves it at /{escape(name)}/… → "
            f"{escape(record.upstream)}[/]"
        )


@app.command("list")
def list_(
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """List registered resources (credentials are never shown)."""
    try:
        records = ResourceRegistry.for_home(require_home(home), with_key=False).resources()
    except InterlockError as exc:
        fail_from(exc)
    if as_json:
        print_json([r.to_json() for r in records])
        return
    if not records:
        out.print("no registered resources (add one with `interlock resource add`)")
    for r in records:
        res = r.resource
        tags = f" [{', '.join(sorted(res.tags))}]" if res.tags else ""
        out.print(
            f"{escape(res.name):<20} {res.kind:<9} {escape(res.environment):<12}"
            f"{escape(tags)} credential: {'stored' if r.has_credential else 'none'}"
        )


@app.command()
def show(
    name: Annotated[str, typer.Argument(help="The resource.")],
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Show a registered resource (the credential only as "stored (encrypted, set …)")."""
    try:
        record = ResourceRegistry.for_home(require_home(home), with_key=False).get(name)
    except InterlockError as exc:
        fail_from(exc)
    data = record.to_json()
    if as_json:
        print_json(data)
        return
    for key, value in data.items():
        if isinstance(value, list):
            value = ", ".join(value) or "-"
        out.print(f"{key + ':':<12} {escape(str(value) or '-')}")


@app.command()
def remove(
    name: Annotated[str, typer.Argument(help="The resource.")], home: HomeOption = None
) -> None:
    """Remove a registered resource and destroy its sealed credential."""
    try:
        found = require_home(home)
        human = local_operator(found, action="resource remove")
        ResourceRegistry.for_home(found, with_key=False).remove(human, name)
    except InterlockError as exc:
        fail_from(exc)
    out.print(f"removed resource {escape(name)}")
