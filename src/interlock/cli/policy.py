"""`interlock policy validate | test | explain`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from interlock.checking import coerce_payload, request_from_mapping
from interlock.classify import classify
from interlock.cli._common import EXIT_BAD_INPUT, HomeOption, JsonOption, fail_from, out, print_json
from interlock.cli._context import make_checker
from interlock.cli.check import PoliciesOption
from interlock.cli.render import OUTCOME_STYLE, render_decision
from interlock.errors import InterlockError
from interlock.home import find_home
from interlock.policy import PolicyBundle, cedar_request, load_policies
from interlock.policy_tests import CaseResult, read_test_file, run_policy_tests

app = typer.Typer(
    rich_markup_mode=None, help="Validate, test and explain Cedar policies.", no_args_is_help=True
)


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
    as_json: JsonOption = False,
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
    if as_json:
        print_json({"policies": len(bundle.policies), "version": bundle.version, "files": by_file})
        return
    for path, count in by_file.items():
        out.print(f"[green]ok[/] {escape(path)}: {count} polic{'y' if count == 1 else 'ies'}")
    out.print(f"{len(bundle.policies)} policies valid (version {bundle.version})")


@app.command("test")
def test_(
    file: Annotated[Path, typer.Argument(help="YAML or JSON file of expected decisions.")],
    policies: PoliciesOption = None,
    as_json: JsonOption = False,
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
            if as_json:
                return
            mark = "[green]PASS[/]" if result.passed else "[red]FAIL[/]"
            line = f"{mark} {escape(result.name)}"
            if not result.passed:
                line += f"  [dim]{escape(result.message)}[/]"
            out.print(line)

        results = run_policy_tests(test_file, bundle, on_result=show)
    except InterlockError as exc:
        fail_from(exc)
    failed = sum(not r.passed for r in results)
    if as_json:
        print_json(
            {
                "passed": len(results) - failed,
                "failed": failed,
                "cases": [
                    {"name": r.name, "passed": r.passed, "message": r.message} for r in results
                ],
            }
        )
    else:
        out.print(f"{len(results) - failed} passed, {failed} failed")
    if failed:
        raise typer.Exit(EXIT_BAD_INPUT)


@app.command()
def explain(
    kind: Annotated[str, typer.Argument(help="shell, sql, graphql, http or mcp.")],
    payload: Annotated[str, typer.Argument(help="The input as the agent would send it.")],
    env: Annotated[str | None, typer.Option("--env", "-e")] = None,
    agent: Annotated[str | None, typer.Option("--agent", "-a")] = None,
    resource: Annotated[str | None, typer.Option("--resource", "-r")] = None,
    policies: PoliciesOption = None,
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Show, for each action of an input, the Cedar request and the policies that decided."""
    try:
        checker = make_checker(home, policies)
        request = request_from_mapping(
            {"kind": kind, "payload": payload, "env": env, "agent": agent, "resource": resource}
        )
        decision = checker.check(request)
        actions = classify(kind, coerce_payload(kind, payload))
    except InterlockError as exc:
        fail_from(exc)
    principal, target = checker.principal(request), checker.resource(request)
    bundle = checker.gate.bundle
    if as_json:
        print_json(
            {
                "decision": decision.to_json(),
                "actions": [
                    {
                        "operation": action.operation,
                        "outcome": item.outcome.value,
                        "cedar_request": cedar_request(principal, target, action, "", 0),
                        "policies": [
                            {
                                "id": pid,
                                "path": bundle.policies[pid].path,
                                "line": bundle.policies[pid].line,
                            }
                            if pid in bundle.policies
                            else {"id": pid, "path": None, "line": None}
                            for pid in item.policies
                        ],
                    }
                    for item, action in zip(decision.actions, actions, strict=False)
                ],
            }
        )
        return
    render_decision(out, decision)
    for item, action in zip(decision.actions, actions, strict=False):
        style = OUTCOME_STYLE[item.outcome]
        out.print(f"\n[bold]{escape(action.operation)}[/] → [{style}]{item.outcome.value}[/]")
        request_json = cedar_request(principal, target, action, "", 0)
        out.print("  [dim]cedar request:[/] " + escape(json.dumps(request_json)))
        if not item.policies:
            out.print("  [dim]no policy matched: nothing is allowed unless permitted[/]")
        for policy_id in item.policies:
            policy = bundle.policies.get(policy_id)
            if policy is None:
                out.print(f"  decided by [bold]{escape(policy_id)}[/] (the agent's grant)")
                continue
            out.print(
                f"  decided by [bold]{escape(policy.id)}[/] ({escape(policy.path)}:{policy.line})"
            )
            for line in policy.text.splitlines():
                out.print(f"    [cyan]{escape(line)}[/]")
