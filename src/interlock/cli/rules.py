"""`interlock rules add | list | remove | test`: a human teaches Interlock a verb class.

A rule says what a command family or an API route does (`rm -rf node_modules` is a write,
`minsky tasks *` only reads) without writing Cedar. Rules live in the home's
`policies/rules.toml`, part of Interlock's own state: no agent may write it (self-protection),
and changing it here needs the same proof of a human as approving (`--user NAME`, or the
local operator where `[approvals] local_operator = true`). Each change is recorded in the
audit log. See docs/classifiers/tuning.md.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from interlock.checking import request_from_mapping
from interlock.cli._common import HomeOption, JsonOption, fail, fail_from, out, print_json
from interlock.cli._context import make_checker
from interlock.cli._human import CodeOption, PasswordStdinOption, UserOption, require_human
from interlock.cli.render import render_decision
from interlock.errors import InterlockError
from interlock.home import Home, require_home
from interlock.model import Human
from interlock.policy import (
    RULE_KINDS,
    RuleSet,
    guess_kind,
    load_rules,
    make_rule,
    next_rule_id,
    parse_rules,
)

app = typer.Typer(
    help="Rules: set the verb class of a command family or API route (humans only).",
    no_args_is_help=True,
)

_KIND_HELP = (
    "shell, http or mcp (default: http for `METHOD /path`, else shell; MCP patterns "
    "`server.tool` need --kind mcp)."
)


def _unchanged_since_pinned(home: Home) -> None:
    """Refuse to build on a rules file changed behind Interlock's back: where the hooks pin
    the guard's files, a change here would re-pin the file, accepting what someone else
    wrote into it along with this human's rule."""
    from interlock.hooks import pin_holds

    if pin_holds(home, home.rules_path) is False:
        fail(
            f"{home.rules_path} changed since it was pinned: check what changed, then "
            "`interlock hooks pin` (a human) before changing rules"
        )


def _write(home: Home, rules: RuleSet) -> None:
    """Replace the rules file whole (a reader never sees half a file)."""
    path = home.rules_path
    path.parent.mkdir(parents=True, exist_ok=True)
    text = rules.to_toml()
    parse_rules(text, str(path))  # what is written must read back
    fd, tmp = tempfile.mkstemp(prefix=".rules-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _record(home: Home, human: Human, event: str, rule: dict[str, object]) -> None:
    """The change in the audit log; where the hooks pin the guard's files, the rules file's
    pin is taken again (only that one: any other drift still stands)."""
    from interlock.hooks import repin

    log = home.audit_log()
    log.append("rules", {"event": event, "by": human.name, "rule": rule})
    if repin(home, home.rules_path):
        log.append("pins", {"event": "repinned", "by": human.name, "file": str(home.rules_path)})


def _rule_json(rule: object) -> dict[str, object]:
    from interlock.policy import Rule

    assert isinstance(rule, Rule)
    out_: dict[str, object] = {
        "id": rule.id,
        "kind": rule.kind,
        "match": rule.match,
        "risk": rule.risk.value,
    }
    if rule.privilege:
        out_["privilege"] = True
    for key in ("note", "added_by", "added_at"):
        if getattr(rule, key):
            out_[key] = getattr(rule, key)
    return out_


@app.command()
def add(
    pattern: Annotated[
        str,
        typer.Argument(
            help="What to match: shell words (`rm -rf node_modules`, `minsky tasks *`), "
            "`METHOD /path/*` for HTTP, `server.tool` for MCP (with --kind mcp)."
        ),
    ],
    risk: Annotated[
        str, typer.Option("--risk", help="The verb class: read, write, privilege, destructive.")
    ],
    kind: Annotated[str | None, typer.Option("--kind", help=_KIND_HELP)] = None,
    rule_id: Annotated[str | None, typer.Option("--id", help="The rule's id (default rule-N).")] = (
        None
    ),
    note: Annotated[str, typer.Option("--note", "-m", help="Why (kept in the file).")] = "",
    privilege: Annotated[
        bool,
        typer.Option(
            "--privilege",
            help="Let the rule lower an action classified privilege (credentials, grants).",
        ),
    ] = False,
    user: UserOption = None,
    code: CodeOption = None,
    password_stdin: PasswordStdinOption = False,
    home: HomeOption = None,
) -> None:
    """Add a rule: actions matching PATTERN are RISK from now on (needs a human).

    Each command of a compound line (`a && b`, `a; b`, a pipeline) is judged on its own, so a
    rule covers only the command it names. Attempts on Interlock itself are never matched.
    """
    try:
        found, human = require_human(home, user, code, "rules add", password_stdin)
        _unchanged_since_pinned(found)
        rules = load_rules(found.rules_path)
        chosen = kind or guess_kind(pattern)
        if chosen not in RULE_KINDS:
            fail(f"--kind {chosen!r}: expected one of {', '.join(RULE_KINDS)}")
        rule = make_rule(
            rule_id or next_rule_id(rules),
            pattern,
            chosen,
            risk,
            privilege=privilege,
            note=note,
            added_by=human.name,
            added_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        if rules.get(rule.id) is not None:
            fail(f"a rule {rule.id!r} exists already (remove it first, or pass another --id)")
        same = next((r for r in rules.rules if (r.kind, r.match) == (rule.kind, rule.match)), None)
        if same is not None:
            fail(f"rule {same.id} already matches {pattern!r} (remove it first to change it)")
        _write(found, RuleSet((*rules.rules, rule), str(found.rules_path)))
        _record(found, human, "rule_added", _rule_json(rule))
    except InterlockError as exc:
        fail_from(exc)
    out.print(
        f"[green]added[/] rule {rule.id}: {rule.kind} {escape(rule.match)!r} is "
        f"[bold]{rule.risk.value}[/] (in {escape(str(found.rules_path))})"
    )


@app.command("list")
def list_(as_json: JsonOption = False, home: HomeOption = None) -> None:
    """List the rules in force, in the order they are tried (the first match applies)."""
    try:
        found = require_home(home)
        rules = load_rules(found.rules_path)
    except InterlockError as exc:
        fail_from(exc)
    if as_json:
        print_json({"file": str(found.rules_path), "rules": [_rule_json(r) for r in rules.rules]})
        return
    if not rules:
        out.print(f"no rules (in {escape(str(found.rules_path))})")
        return
    table = Table("id", "kind", "match", "risk", "added by", "note", box=None)
    for r in rules.rules:
        risk = r.risk.value + (" (may lower privilege)" if r.privilege else "")
        table.add_row(r.id, r.kind, escape(r.match), risk, escape(r.added_by), escape(r.note))
    out.print(table)


@app.command()
def remove(
    rule_id: Annotated[str, typer.Argument(help="The id of the rule to remove.")],
    user: UserOption = None,
    code: CodeOption = None,
    password_stdin: PasswordStdinOption = False,
    home: HomeOption = None,
) -> None:
    """Remove a rule (needs a human)."""
    try:
        found, human = require_human(home, user, code, "rules remove", password_stdin)
        _unchanged_since_pinned(found)
        rules = load_rules(found.rules_path)
        rule = rules.get(rule_id)
        if rule is None:
            known = ", ".join(r.id for r in rules.rules) or "none"
            fail(f"no rule {rule_id!r} (rules: {known})")
        kept = tuple(r for r in rules.rules if r.id != rule_id)
        _write(found, RuleSet(kept, str(found.rules_path)))
        _record(found, human, "rule_removed", _rule_json(rule))
    except InterlockError as exc:
        fail_from(exc)
    out.print(f"[green]removed[/] rule {rule_id}")


@app.command("test")
def test_(
    kind: Annotated[str, typer.Argument(help="shell, http or mcp.")],
    payload: Annotated[str, typer.Argument(help="The input as the agent would send it.")],
    env: Annotated[str | None, typer.Option("--env", "-e")] = None,
    rules_file: Annotated[
        Path | None, typer.Option("--rules", help="A rules file to try (default: the home's).")
    ] = None,
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Show which rule (if any) applies to each action of an input, and the decision."""
    try:
        checker = make_checker(home, None, rules=rules_file)
        request = request_from_mapping({"kind": kind, "payload": payload, "env": env})
        decision = checker.check(request)
    except InterlockError as exc:
        fail_from(exc)
    if as_json:
        print_json(decision.to_json())
        return
    render_decision(out, decision)
    for item in decision.actions:
        if item.rule:
            was = item.classified.value if item.classified else "?"
            out.print(
                f"  [bold]rule {escape(item.rule)}[/] sets {escape(item.action.operation)} "
                f"{item.action.verb.value} (classified {was})"
            )
        else:
            out.print(f"  [dim]no rule matches {escape(item.action.operation)}[/]")
