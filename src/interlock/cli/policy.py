"""`interlock policy validate | test | explain`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from interlock.cli._common import (
    EXIT_BAD_INPUT,
    HomeOption,
    JsonOption,
    fail,
    fail_from,
    out,
    print_json,
)
from interlock.cli._context import make_checker
from interlock.cli.check import PoliciesOption, options_request
from interlock.cli.render import OUTCOME_STYLE, render_decision
from interlock.cli.report import SinceOption, decisions_since, since_time
from interlock.errors import InterlockError
from interlock.home import find_home, require_home
from interlock.model import ActionDecision, Principal, Resource
from interlock.policy import (
    RULES_FILE,
    PolicyBundle,
    cedar_request,
    load_policies,
    shadowed_permits,
)
from interlock.policy_tests import CaseResult, read_test_file, run_policy_tests

app = typer.Typer(
    rich_markup_mode=None,
    help="Validate, test and explain Cedar policies; backtest a change against the record.",
    no_args_is_help=True,
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
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 when a permit can never take effect.")
    ] = False,
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Parse and validate policies against Interlock's schema; errors name file and line.

    Also validates the rules file beside them, and reports every permit that can never take
    effect because a forbid always beats it (with the forbid that does), so a permit written
    as an exception never silently does nothing. See docs/classifiers/tuning.md.
    """
    try:
        bundle = _bundle(paths, home)
        shadowed = shadowed_permits(bundle)
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
    if bundle.rules:
        count = len(bundle.rules.rules)
        out.print(f"[green]ok[/] {escape(bundle.rules.source)}: {count} rule{'s' * (count != 1)}")
    for found in shadowed:
        out.print(f"[yellow]warning:[/] {escape(found.sentence(bundle.policies))}", soft_wrap=True)
    out.print(f"{len(bundle.policies)} policies valid (version {bundle.version})")
    if shadowed and strict:
        raise typer.Exit(EXIT_BAD_INPUT)


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
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Show, for each action of an input, where it acts (the resolved resource and
    environment, and which target matched), the Cedar request and the policies that decided.

    Example: interlock policy explain shell "psql $DATABASE_URL -c 'DROP TABLE orders'" --cwd .
    """
    try:
        checker = make_checker(home, policies)
        request = options_request(kind, payload, env, agent, resource, cwd)
        decision = checker.check(request)
    except InterlockError as exc:
        fail_from(exc)
    principal, target = checker.principal(request), checker.resource(request)
    bundle = checker.gate.bundle
    rules = bundle.rules
    if as_json:
        print_json(
            {
                "decision": decision.to_json(),
                "actions": [
                    _explained(item, principal, target, bundle) for item in decision.actions
                ],
            }
        )
        return
    render_decision(out, decision)
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
        if item.rule:
            rule = rules.get(item.rule)
            where = f" ({escape(rules.source)})" if rules.source else ""
            match = f" {escape(repr(rule.match))}" if rule is not None else ""
            was = item.classified.value if item.classified is not None else "?"
            out.print(
                f"  rule [bold]{escape(item.rule)}[/]{match}{where} sets "
                f"{action.verb.value} (classified {was})"
            )
        request_json = cedar_request(principal, acts_on, action, "", item.risk)
        out.print("  [dim]cedar request:[/] " + escape(json.dumps(request_json)))
        if item.risk.reasons:
            out.print(
                f"  behavioural risk [bold]{item.risk.level.value}[/] (score {item.risk.score}): "
                + escape("; ".join(item.risk.reasons))
            )
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


@app.command()
def backtest(
    since: SinceOption = "7d",
    policies: Annotated[
        list[Path] | None,
        typer.Option(
            "--policies",
            "-p",
            help="Candidate policy file or directory (repeatable; default: the home's). A "
            "directory's rules.toml comes with it unless --rules is given.",
            show_default=False,
        ),
    ] = None,
    rules: Annotated[
        Path | None,
        typer.Option(
            "--rules", help="Candidate rules file (default: the one in force).", show_default=False
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Changes to print.")] = 50,
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Replay recorded decisions against changed policies or rules; list every one that
    would change.

    Each decision since --since is replayed from the classified actions its audit record holds,
    once with the policies and rules in force and once with the candidates, through the same
    gate (grant, self-protection, rules, Cedar). Classification itself is not replayed (the
    payload is never recorded); see docs/classifiers/tuning.md for what is and is not.
    Read-only: nothing is recorded or changed. Exit 0 whether or not decisions change.
    """
    from interlock.identity import registered_agents, registered_resources
    from interlock.tuning import backtest as run_backtest

    if not policies and rules is None:
        fail("give the candidate: --policies DIR (or FILE) and/or --rules FILE")
    try:
        found = require_home(home)
        current = found.load_policies()
        if policies:
            candidate = (
                load_policies(policies, rules=rules)
                if rules
                else load_policies(policies, rules=_beside(policies, found.rules_path))
            )
        else:
            candidate = load_policies(found.load_config().policy_paths, rules=rules)
        start = since_time(since)
        decisions = decisions_since(found, start)
        result = run_backtest(
            decisions,
            current,
            candidate,
            agents=registered_agents(found),
            resources={**registered_resources(found), **found.load_config().resources},
        )
    except InterlockError as exc:
        fail_from(exc)
    if as_json:
        print_json(result.to_json())
        return
    out.print(
        f"replayed {result.replayed} decisions since {since} "
        f"(policies {current.version} → {candidate.version}): "
        f"[bold]{len(result.changes)} would change[/]"
    )
    for why, count in result.skipped.items():
        out.print(f"  [dim]not replayed: {count} × {escape(why)}[/]")
    for change in result.changes[:limit]:
        r, before, after = change.record, change.before, change.after
        mark = OUTCOME_STYLE[after.outcome]
        rule = ", ".join(sorted({d.rule for d in after.actions if d.rule}))
        via = f" (rule {escape(rule)})" if rule else ""
        out.print(
            f"  #{r.seq} {r.ts:%Y-%m-%d %H:%M} {escape(r.agent)} on {escape(r.resource)}: "
            f"{escape(r.what())}  {before.outcome.value} → [{mark}]{after.outcome.value}[/]"
            f"{via}  [dim]{escape(', '.join(after.policies))}[/]",
            soft_wrap=True,
        )
    if len(result.changes) > limit:
        out.print(f"  … and {len(result.changes) - limit} more (--limit, or --json for all)")


def _beside(policies: list[Path], fallback: Path) -> Path:
    """A candidate directory's own rules.toml when it has one, else the rules in force."""
    for path in policies:
        if path.is_dir() and (path / RULES_FILE).is_file():
            return path / RULES_FILE
    return fallback


def _explained(
    item: ActionDecision, principal: Principal, target: Resource, bundle: PolicyBundle
) -> dict[str, object]:
    """One action of `explain --json`: where it acts, the rule and risk, the Cedar request and
    the policies that decided, each with its file and line."""
    action = item.action
    acts_on = action.target.resource if action.target else target
    return {
        "operation": action.operation,
        "outcome": item.outcome.value,
        "acts_on": {"resource": acts_on.name, "environment": acts_on.environment},
        "why": action.target.why if action.target else "the request's resource",
        "rule": item.rule or None,
        "risk": item.risk.to_json() if item.risk.reasons else None,
        "cedar_request": cedar_request(principal, acts_on, action, "", item.risk),
        "policies": [
            {"id": pid, "path": bundle.policies[pid].path, "line": bundle.policies[pid].line}
            if pid in bundle.policies
            else {"id": pid, "path": None, "line": None}
            for pid in item.policies
        ],
    }
