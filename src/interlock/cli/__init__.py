"""The `interlock` command line (Typer + Rich).

Exit codes are part of the contract: 0 allow / success, 1 bad input or failure, 2 hold,
3 deny. Typer's own usage errors (which would exit 2, "hold") are mapped to 1 here.
"""

from __future__ import annotations

import os
import sys

import typer
from rich.markup import escape
from typer.exceptions import Abort, Exit, TyperException

from interlock import __version__
from interlock.cli import (
    agent,
    approvals,
    audit,
    baseline,
    hooks,
    packs,
    policy,
    proxy,
    resource,
    rules,
    service,
    user,
    vault,
)
from interlock.cli import pg as pg_cli
from interlock.cli._common import EXIT_BAD_INPUT, JsonOption, err, print_json
from interlock.cli.check import check
from interlock.cli.completion import completion, register_if_asked
from interlock.cli.demo import demo
from interlock.cli.hooks import hook
from interlock.cli.init import init
from interlock.cli.report import report
from interlock.cli.scan import scan
from interlock.cli.serve import serve
from interlock.cli.up import up

app = typer.Typer(
    rich_markup_mode=None,
    name="interlock",
    help="Interlock: agents work on real infrastructure without being able to destroy it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command()(init)
app.command()(check)
app.command()(demo)
app.command()(scan)
app.command()(hook)
app.command()(serve)
app.command()(up)
app.command()(report)
app.command()(completion)
app.add_typer(policy.app, name="policy")
app.add_typer(rules.app, name="rules")
app.add_typer(audit.app, name="audit")
app.add_typer(agent.app, name="agent")
app.add_typer(user.app, name="user")
app.add_typer(resource.app, name="resource")
app.add_typer(hooks.app, name="hooks")
app.add_typer(service.app, name="service")
app.add_typer(approvals.app, name="approvals")
app.add_typer(baseline.app, name="baseline")
app.add_typer(proxy.app, name="proxy")
app.add_typer(packs.app, name="packs")
proxy.app.command("pg")(pg_cli.pg)
app.command()(pg_cli.undo)
app.add_typer(pg_cli.trash_app, name="trash")
app.add_typer(vault.app, name="vault")


@app.command()
def version(as_json: JsonOption = False) -> None:
    """Print Interlock's version."""
    if as_json:
        print_json({"version": __version__})
    else:
        print(__version__)


def main() -> None:
    register_if_asked()
    try:
        result = app(standalone_mode=False)
    except TyperException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":
            print(exc.format_message())
            sys.exit(0)
        err.print(f"[bold red]error:[/] {escape(exc.format_message())}", soft_wrap=True)
        ctx = getattr(exc, "ctx", None)
        if ctx is not None:
            err.print(f"[dim]see `{ctx.command_path} --help`[/]")
        sys.exit(EXIT_BAD_INPUT)
    except Abort:
        sys.exit(EXIT_BAD_INPUT)
    except Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # a bug: say so in one line, and never exit "allow"
        if os.environ.get("INTERLOCK_DEBUG"):
            raise
        err.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {escape(str(exc))[:300]} "
            "(set INTERLOCK_DEBUG=1 for a traceback)",
            soft_wrap=True,
        )
        sys.exit(EXIT_BAD_INPUT)
    sys.exit(result if isinstance(result, int) else 0)
