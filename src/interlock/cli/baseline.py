"""`interlock baseline show | learn | incident | rebuild`: agents' behavioural profiles.

`show` reads; everything that changes a profile, or says what an agent's behaviour was,
needs the proof of a human (`--user NAME` with password and TOTP code, or the local
operator where `[approvals] local_operator = true`); an agent token is refused.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer
from rich.markup import escape

from interlock._time import iso_utc as iso
from interlock.baseline import (
    Profile,
    agent_key,
    learn_expected,
    mark_incident,
    profile_items,
    replay,
)
from interlock.cli._common import HomeOption, JsonOption, fail, fail_from, out, print_json
from interlock.cli._human import CodeOption, PasswordStdinOption, UserOption, require_human
from interlock.errors import InputError, InterlockError
from interlock.home import Home, require_home
from interlock.identity import AgentRegistry, IdentityError
from interlock.model import Agent
from interlock.state import StoredProfile, baseline_storage

app = typer.Typer(
    help="Behavioural baselines: what each agent usually does, and teaching it what is expected.",
    no_args_is_help=True,
)

AgentArgument = Annotated[str, typer.Argument(help="Agent name or id (or a hook's agent name).")]
SeqOption = Annotated[
    int | None, typer.Option("--seq", help="The audit decision record to take it from.")
]
ApprovalOption = Annotated[
    str | None, typer.Option("--approval", help="The approval request to take it from.")
]


def _agent(home: Home, name: str) -> tuple[Agent, str]:
    """The agent as profiles know it (id for a registered one), and its status."""
    try:
        record = AgentRegistry.for_home(home).get(name)
    except IdentityError:
        return Agent(name=name), "unregistered"
    return Agent(name=record.name, id=record.id), record.status


def _profile(home: Home, agent: Agent) -> tuple[Profile | None, dict[str, Any]]:
    storage = baseline_storage(home)
    try:
        key = agent_key(agent)
        stored = storage.profile(key)
        profile = (
            None
            if stored is None
            else Profile.from_state(key, stored.agent, stored.state, storage.seen(key), 0)
        )
        trips = [
            {
                "id": t.id,
                "reason": t.reason,
                "evidence": dict(t.evidence),
                "tripped_at": iso(t.tripped_at),
                "resumed_at": iso(t.resumed_at) if t.resumed_at else None,
                "resumed_by": t.resumed_by,
            }
            for t in storage.trips(key)[:20]
        ]
    finally:
        storage.close()
    return profile, {"trips": trips}


def _view(home: Home, agent: Agent, status: str) -> dict[str, Any]:
    settings = home.load_config().baseline
    profile, breaker = _profile(home, agent)
    open_trip = next((t for t in breaker["trips"] if t["resumed_at"] is None), None)
    view: dict[str, Any] = {
        "agent": agent.name,
        "id": agent.id or None,
        "status": status,
        "suspended_by_breaker": open_trip["reason"] if open_trip else None,
        "breaker": breaker,
    }
    if profile is None:
        view.update(actions=0, learning=True, seen={})
        return view
    now = time.time()
    groups: dict[str, dict[str, int]] = {}
    names = {
        "env": "environments",
        "res": "resources",
        "proto": "protocols",
        "op": "operations",
        "host": "hosts",
        "cred": "hosts_with_own_credential",
    }
    for item, count in sorted(profile.seen.items(), key=lambda kv: (-kv[1], kv[0])):
        kind, _, value = item.partition(":")
        groups.setdefault(names.get(kind, kind), {})[value] = count
    usual = [
        h
        for h, n in enumerate(profile.hours)
        if profile.actions and n >= settings.off_hours_share * profile.actions
    ]
    view.update(
        actions=profile.actions,
        decisions=profile.decisions,
        first_at=iso(profile.first_at),
        last_at=iso(profile.last_at),
        learning=profile.learning(settings, now),
        learning_left={
            "actions": max(0, settings.learning_actions - profile.actions),
            "seconds": max(0, int(settings.learning_period - (now - profile.first_at))),
        },
        seen=groups,
        rates={
            "window_seconds": settings.window,
            "windows": profile.windows,
            "mean_actions": round(profile.window_total / profile.windows, 2)
            if profile.windows
            else 0,
            "mean_destructive": round(profile.dangerous_total / profile.windows, 2)
            if profile.windows
            else 0,
        },
        streaks={"denials": profile.denial_streak, "holds": profile.hold_streak},
        usual_hours_utc=usual,
        last_secret_probe=profile.last_probe or None,
        last_failure=profile.last_failure or None,
    )
    return view


@app.command()
def show(agent: AgentArgument, as_json: JsonOption = False, home: HomeOption = None) -> None:
    """An agent's profile: what it has used, its rates, streaks, usual hours and breaker."""
    try:
        found = require_home(home)
        who, status = _agent(found, agent)
        view = _view(found, who, status)
    except InterlockError as exc:
        fail_from(exc)
    if as_json:
        print_json(view)
        return
    out.print(f"[bold]{escape(view['agent'])}[/] ({escape(str(view['id'] or 'unregistered'))})")
    out.print(f"  status      {escape(view['status'])}")
    if view["suspended_by_breaker"]:
        out.print(f"  [red]suspended[/]   {escape(view['suspended_by_breaker'])}")
    learning = "learning" if view["learning"] else "learned"
    out.print(f"  actions     {view['actions']} ({learning})")
    if "learning_left" in view and view["learning"]:
        left = view["learning_left"]
        out.print(f"  learning    {left['actions']} actions and {left['seconds']} s to go")
    for group, values in view.get("seen", {}).items():
        shown = ", ".join(f"{k} ×{v}" for k, v in list(values.items())[:12])
        more = f" (+{len(values) - 12})" if len(values) > 12 else ""
        out.print(f"  {group:<11} {escape(shown)}{more}")
    if "rates" in view:
        rates = view["rates"]
        out.print(
            f"  rates       {rates['mean_actions']} actions, {rates['mean_destructive']} "
            f"destructive per {rates['window_seconds']} s window ({rates['windows']} windows)"
        )
        out.print(
            f"  streaks     {view['streaks']['denials']} denials, {view['streaks']['holds']} holds"
        )
        out.print(f"  usual hours {', '.join(f'{h:02d}' for h in view['usual_hours_utc'])} UTC")
    for trip in view["breaker"]["trips"][:5]:
        state = f"resumed by {trip['resumed_by']}" if trip["resumed_at"] else "open"
        out.print(f"  trip        {trip['tripped_at']} {escape(trip['reason'])} ({escape(state)})")


def _from_record(home: Home, seq: int | None, approval: str | None) -> tuple[str, str, list[Any]]:
    """(environment, resource, actions) of the decision a human points at."""
    if seq is not None:
        record = home.audit_log().store.get(seq)
        if record is None or record.type != "decision":
            raise InputError(f"audit record #{seq} is not a decision record")
        body = record.body
        resource = body.get("resource") or {}
        decision = body.get("decision") or {}
        return (
            str(resource.get("environment", "")),
            str(resource.get("name", "")),
            list(decision.get("actions", [])),
        )
    if approval is not None:
        from interlock.approvals import ApprovalStore

        request = ApprovalStore.for_home(home).get(approval)
        return request.environment, request.resource, list(request.detail.get("actions", []))
    return "", "", []


@app.command()
def learn(
    agent: AgentArgument,
    seq: SeqOption = None,
    approval: ApprovalOption = None,
    env: Annotated[list[str] | None, typer.Option("--env", help="An environment.")] = None,
    resource: Annotated[list[str] | None, typer.Option("--resource", help="A resource.")] = None,
    operation: Annotated[
        list[str] | None, typer.Option("--operation", help="An operation, e.g. http:POST.")
    ] = None,
    host: Annotated[list[str] | None, typer.Option("--host", help="A network host.")] = None,
    user: UserOption = None,
    code: CodeOption = None,
    password_stdin: PasswordStdinOption = False,
    home: HomeOption = None,
) -> None:
    """Mark behaviour as expected: what a decision (--seq) or approval request (--approval)
    used, or the --env/--resource/--operation/--host named, stops counting as new."""
    try:
        found, human = require_human(home, user, code, "baseline learn", password_stdin)
        who, _ = _agent(found, agent)
        environment, resource_name, actions = _from_record(found, seq, approval)
        items = profile_items(environment, resource_name, actions) if actions else []
        items += [f"env:{e}" for e in env or []] + [f"res:{r}" for r in resource or []]
        items += [f"op:{o}" for o in operation or []] + [f"host:{h.lower()}" for h in host or []]
        learned = learn_expected(
            found, human, who, list(dict.fromkeys(items)), source=_source(seq, approval)
        )
    except InterlockError as exc:
        fail_from(exc)
    out.print(
        f"learned for {escape(who.name)}: {escape(', '.join(learned))} (by {escape(human.name)})"
    )


@app.command()
def incident(
    agent: AgentArgument,
    note: Annotated[str, typer.Option("--note", "-m", help="What happened.")],
    seq: SeqOption = None,
    approval: ApprovalOption = None,
    user: UserOption = None,
    code: CodeOption = None,
    password_stdin: PasswordStdinOption = False,
    home: HomeOption = None,
) -> None:
    """Mark behaviour as an incident (an audit record; nothing is learned from it)."""
    if not note.strip():
        fail("an incident needs a --note saying what happened")
    try:
        found, human = require_human(home, user, code, "baseline incident", password_stdin)
        who, _ = _agent(found, agent)
        seq_written = mark_incident(found, human, who, note, source=_source(seq, approval))
    except InterlockError as exc:
        fail_from(exc)
    out.print(f"incident recorded for {escape(who.name)} (audit record #{seq_written})")


@app.command()
def rebuild(
    agent: Annotated[str | None, typer.Argument(help="One agent (default: every agent).")] = None,
    user: UserOption = None,
    code: CodeOption = None,
    password_stdin: PasswordStdinOption = False,
    home: HomeOption = None,
) -> None:
    """Learn profiles again from the audit log (every recorded decision, in order)."""
    try:
        found, human = require_human(home, user, code, "baseline rebuild", password_stdin)
        only = agent_key(_agent(found, agent)[0]) if agent else None
        profiles = replay(found.audit_log().records(), found.load_config().baseline, only=only)
        storage = baseline_storage(found)
        try:
            for key, profile in profiles.items():
                storage.forget_profile(key)
                storage.save_profile(
                    StoredProfile(key, profile.agent, profile.to_state(), 1, time.time()),
                    0,
                    profile.seen,
                )
        finally:
            storage.close()
        found.audit_log().append(
            "baseline", {"event": "rebuilt", "agents": sorted(profiles), "by": human.name}
        )
    except InterlockError as exc:
        fail_from(exc)
    out.print(f"rebuilt {len(profiles)} profile(s) from the audit log")


def _source(seq: int | None, approval: str | None) -> str:
    if seq is not None:
        return f"audit #{seq}"
    return f"approval {approval}" if approval else "named"
