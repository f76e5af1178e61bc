"""`interlock policy validate | test | explain`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from interlock.checking import request_from_mapping
from interlock.cli._common import EXIT_BAD_INPUT, HomeOption, fail_from, out
from interlock.cli._context import make_checker
from interlock.cli.check import PoliciesOption
from interlock.cli.render import OUTCOME_STYLE, render_decision
from interlock.errors import InterlockError
from interlock.home import find_home
from interlock.policy import PolicyBundle, cedar_request, load_policies
from interlock.policy_tests import CaseResult, read_test_file, run_policy_tests

app = typer.Typer(help="Validate, test and explain Cedar policies.", no_args_is_help=True)


def _bundle(paths: list[Path] | None, home: Path | None) -> PolicyBundle:
    if paths:
        return load_policies(paths)
    found = find_home(home)
    return found.load_policies() if found else load_policies()


@app.command()
def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Policy files or directories (default: the home's policies).", show_default=False
        ),
    ] = None,
    home: HomeOption = None,
) -> None:
    """Parse and validate policies against Interlock's schema; errors name file and line."""
    try:
        bundle = _bundle(paths, home)
    except InterlockError as exc:
        fail_from(exc)
    by_file: dict[str, int] = {}
    for policy in bundle.policies.values():
        by_file[policy.path] = by_file.get(policy.path, 0) + 1
    for path, count in by_file.items():
        out.print(f"[green]ok[/] {escape(path)}: {count} polic{'y' if count == 1 else 'ies'}")
    out.print(f"{len(bundle.policies)} policies valid (version {bundle.version})")


@app.command("test")
def test_(
    file: Annotated[Path, typer.Argument(help="YAML or JSON file of expected decisions.")],
    policies: PoliciesOption = None,
    home: HomeOption = None,
) -> None:
    """Run a file of expected decisions against the policies; exit 1 if any case fails.

    Policies come from --policies, else the file's own `policies:` entry, else the home's,
    else the built-in defaults. See docs/policies.md for the file format.
    """
    try:
        test_file = read_test_file(file)
        bundle = None
        if policies:
            bundle = load_policies(policies)
        elif not test_file.policy_paths:
            bundle = _bundle(None, home)

        def show(result: CaseResult) -> None:
            mark = "[green]PASS[/]" if result.passed else "[red]FAIL[/]"
            line = f"{mark} {escape(result.name)}"
            if not result.passed:
                line += f"  [dim]{escape(result.message)}[/]"
            out.print(line)

        results = run_policy_tests(test_file, bundle, on_result=show)
    except InterlockError as exc:
        fail_from(exc)
    failed = sum(not r.passed for r in results)
    out.print(f"{len(results) - failed} passed, {failed} failed")
    if failed:
        raise typer.Exit(EXIT_BAD_INPUT)


@app.command()
def explain(
    kind: Annotated[str, typer.Argument(help="shell, sql, graphql, http or mcp.")],
    payload: Annotated[str, typer.Argument(help="The input as the agent would send it.")],
    env: Annotated[
        str | None,
        typer.Option(
            "--env", "-e", help="The configured environment: what an unresolved target is in."
        ),
    ] = None,
    agent: Annotated[str | None, typer.Option("--agent", "-a")] = None,
    resource: Annotated[str | None, typer.Option("--resource", "-r")] = None,
    cwd: Annotated[
        Path | None,
        typer.Option(
            "--cwd",
            help="The directory the input runs in, as for `interlock check`: the code it runs, "
            "the git facts of its paths, and the env files, kube context and Terraform "
            "workspace its targets are resolved with.",
            show_default=False,
        ),
    ] = None,
    policies: PoliciesOption = None,
    home: HomeOption = None,
) -> None:
    """Show, for each action of an input, where it acts (the resolved resource and
    environment, and which target matched), the Cedar request and the policies that decided.

    Example: interlock policy explain shell "psql $DATABASE_URL -c 'DROP TABLE orders'" --cwd .
    """
    try:
        checker = make_checker(home, policies)
        request = request_from_mapping(
            {
                "kind": kind,
                "payload": payload,
                "env": env,
                "agent": agent,
                "resource": resource,
                "cwd": str(cwd.resolve()) if cwd is not None else None,
            }
        )
        decision = checker.check(request)
    except InterlockError as exc:
        fail_from(exc)
    render_decision(out, decision)
    principal, target = checker.principal(request), checker.resource(request)
    bundle = checker.gate.bundle
    for item in decision.actions:
        action = item.action
        style = OUTCOME_STYLE[item.outcome]
        out.print(f"\n[bold]{escape(action.operation)}[/] → [{style}]{item.outcome.value}[/]")
        acts_on = action.target.resource if action.target else target
        why = action.target.why if action.target else "the request's resource"
        out.print(
            f"  [dim]acts on:[/] {escape(acts_on.name)} "
            f"([bold]{escape(acts_on.environment)}[/]): {escape(why)}"
        )
        request_json = cedar_request(principal, acts_on, action, "", 0)
        out.print("  [dim]cedar request:[/] " + escape(json.dumps(request_json)))
        if not item.policies:
            out.print("  [dim]no policy matched: nothing is allowed unless permitted[/]")
        for policy_id in item.policies:
            policy = bundle.policies.get(policy_id)
            if policy is None:
                built_in = "a built-in rule or the agent's grant"
                out.print(f"  decided by [bold]{escape(policy_id)}[/] ({built_in})")
                continue
            out.print(
                f"  decided by [bold]{escape(policy.id)}[/] ({escape(policy.path)}:{policy.line})"
            )
            for line in policy.text.splitlines():
                out.print(f"    [cyan]{escape(line)}[/]")
