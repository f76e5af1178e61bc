"""`interlock check`: what would Interlock decide? (the contract in docs/check.md)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TextIO

import typer

from interlock.checking import CheckRequest, request_from_mapping
from interlock.cli._common import (
    EXIT_BAD_INPUT,
    EXIT_DENY,
    EXIT_HOLD,
    EXIT_OK,
    HomeOption,
    fail,
    fail_from,
    out,
    print_json,
)
from interlock.cli._context import make_checker
from interlock.cli.render import render_decision
from interlock.errors import InterlockError
from interlock.model import Outcome

EXIT_FOR = {Outcome.ALLOW: EXIT_OK, Outcome.HOLD: EXIT_HOLD, Outcome.DENY: EXIT_DENY}

PoliciesOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--policies",
        "-p",
        help="Policy file or directory to use instead of the home's (repeatable).",
        show_default=False,
    ),
]


def check(
    kind: Annotated[
        str | None,
        typer.Argument(help="shell, sql, graphql, http or mcp.", show_default=False),
    ] = None,
    payload: Annotated[
        str | None,
        typer.Argument(
            help="The input as the agent would send it; '-' reads it from standard input.",
            show_default=False,
        ),
    ] = None,
    batch: Annotated[
        str | None,
        typer.Option(
            "--batch",
            metavar="FILE|-",
            help="Read JSON lines {kind, payload, env?, agent?, resource?, cwd?}; answer one JSON "
            "line each, in order.",
            show_default=False,
        ),
    ] = None,
    env: Annotated[
        str | None, typer.Option("--env", "-e", help="Environment (default: production).")
    ] = None,
    agent: Annotated[str | None, typer.Option("--agent", "-a", help="Agent name.")] = None,
    resource: Annotated[
        str | None, typer.Option("--resource", "-r", help="Registered resource name.")
    ] = None,
    reason: Annotated[str, typer.Option("--reason", help="The agent's stated reason.")] = "",
    cwd: Annotated[
        Path | None,
        typer.Option(
            "--cwd",
            help="The directory the input runs in: Interlock reads the code it runs there "
            "(scripts, Makefile, package.json) and the git facts of paths it deletes.",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the decision as JSON.")] = False,
    record: Annotated[
        bool, typer.Option("--record", help="Also write the decision to the audit log.")
    ] = False,
    policies: PoliciesOption = None,
    home: HomeOption = None,
) -> None:
    """Classify an input and show what Interlock would decide.

    Exit status: 0 allow, 2 hold, 3 deny, 1 bad input. With --batch: 0 once every line
    was answered (unreadable lines are answered with an error and decision deny).

    \b
    Examples:
      interlock check shell 'rm -rf /var/lib/postgresql'
      interlock check sql 'DELETE FROM orders' --env staging --json
      interlock check shell 'python reproduce.py' --cwd .
      interlock check --batch inputs.jsonl
    """
    try:
        checker = make_checker(home, policies, record=record)
    except InterlockError as exc:
        fail_from(exc)
    if batch is not None:
        if kind is not None or payload is not None:
            fail("--batch reads kind and payload from each line: give no KIND or PAYLOAD")
        _run_batch(checker.check_line, batch)
        raise typer.Exit(EXIT_OK)
    if kind is None or payload is None:
        fail("give KIND and PAYLOAD (e.g. `interlock check sql 'DROP TABLE t'`), or --batch FILE")
    text = sys.stdin.read() if payload == "-" else payload
    try:
        request = options_request(kind, text, env, agent, resource, cwd, reason=reason)
        decision = checker.check(request)
    except InterlockError as exc:
        if as_json:
            print_json({"error": str(exc), "decision": "deny", "risk": "unknown"})
            raise typer.Exit(EXIT_BAD_INPUT) from None
        fail_from(exc)
    if as_json:
        print_json(decision.to_json())
    else:
        render_decision(out, decision)
    raise typer.Exit(EXIT_FOR[decision.outcome])


def _run_batch(check_line: Callable[[str], dict[str, object]], source: str) -> None:
    stream: TextIO
    if source == "-":
        stream = sys.stdin
    else:
        try:
            stream = open(source, encoding="utf-8", errors="replace")  # noqa: SIM115
        except OSError as exc:
            fail(f"{source}: cannot read ({exc.strerror})")
    with stream:
        for line in stream:
            print_json(check_line(line.rstrip("\r\n")))


def options_request(
    kind: str,
    payload: str,
    env: str | None,
    agent: str | None,
    resource: str | None,
    cwd: Path | None,
    *,
    reason: str = "",
) -> CheckRequest:
    """The request a command's options describe (`--cwd` made absolute), checked like a
    batch line; `InputError` says what is wrong."""
    return request_from_mapping(
        {
            "kind": kind,
            "payload": payload,
            "env": env,
            "agent": agent,
            "resource": resource,
            "reason": reason,
            "cwd": str(cwd.resolve()) if cwd is not None else None,
        }
    )
