"""`interlock approvals list | show | approve | deny | cancel`: humans deciding held actions.

Only a human may decide, and a coding agent runs shell commands as the same OS user as its
developer: so deciding needs proof the agent cannot produce. `--user NAME` signs in as a
registered human (password, from the prompt or `--password-stdin`, and the current TOTP
code from their authenticator). The unauthenticated local operator (the OS user) may decide
only where `[approvals] local_operator = true` says so (a single-person laptop), and never
counts as one of the distinct approvers a two-person rule needs. A process carrying an agent
token (`$INTERLOCK_AGENT_TOKEN`) is refused either way, and the attempt recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from interlock.approvals import (
    ApprovalRequest,
    ApprovalStore,
    Status,
    owner_refusal,
    separation_for,
)
from interlock.cli._common import HomeOption, JsonOption, fail, fail_from, out, print_json
from interlock.cli._human import CodeOption, PasswordStdinOption, UserOption, require_human
from interlock.errors import InterlockError
from interlock.home import Home, require_home
from interlock.model import Agent, Human

app = typer.Typer(
    rich_markup_mode=None,
    help="Held actions waiting for a human: list, show, approve, deny, cancel.",
)

_LIVE = (Status.PENDING, Status.APPROVED, Status.SCHEDULED)
_STYLE = {
    Status.PENDING: "yellow",
    Status.APPROVED: "green",
    Status.SCHEDULED: "cyan",
    Status.USED: "dim",
    Status.DENIED: "red",
    Status.CANCELLED: "red",
    Status.EXPIRED: "dim",
}

CommentOption = Annotated[
    str, typer.Option("--comment", "-m", help="Why (recorded in the audit log).")
]


def _store(home: Home) -> ApprovalStore:
    return ApprovalStore.for_home(home)


def _owner_refusal(home: Home, request: ApprovalRequest, human: Human) -> str | None:
    """The console's owner-separation rule, applied here too (see approvals/_separation)."""
    from interlock.identity import AgentRegistry, IdentityError
    from interlock.server import load_server_settings

    everywhere = load_server_settings(home.config_path).owner_separation
    separation = separation_for(request, home.load_policies().policies, everywhere=everywhere)
    if not separation.required:
        return None
    try:
        owner = AgentRegistry.for_home(home).get(request.agent_id or request.agent).owner
    except IdentityError:
        return None
    return owner_refusal(request, human, owner, separation)


def _age(ts: float) -> str:
    seconds = int(datetime.now(UTC).timestamp() - ts)
    if seconds < 120:
        return f"{max(seconds, 0)}s ago"
    if seconds < 7200:
        return f"{seconds // 60}m ago"
    return f"{seconds // 3600}h ago"


@app.command("list")
def list_(
    all_: Annotated[bool, typer.Option("--all", help="Include decided, used and expired.")] = False,
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Requests waiting for a human (pending, approved, scheduled); --all for every one."""
    try:
        requests = _store(require_home(home)).requests(None if all_ else _LIVE)
    except InterlockError as exc:
        fail_from(exc)
    if as_json:
        print_json([r.to_json() for r in requests])
        return
    if not requests:
        out.print("no approval requests" + ("" if all_ else " waiting (use --all for history)"))
        return
    # The id is never cut: it is what `show` and `approve` take. At 80 columns the
    # free-text columns wrap instead.
    table = Table(box=None, pad_edge=False)
    table.add_column("id", no_wrap=True, min_width=len(requests[0].id))
    table.add_column("status", no_wrap=True)
    table.add_column("agent", max_width=16)
    table.add_column("resource", max_width=18)
    table.add_column("what", ratio=1)
    table.add_column("votes", no_wrap=True)
    table.add_column("created", no_wrap=True)
    for r in requests:
        table.add_row(
            r.id,
            f"[{_STYLE[r.status]}]{r.status.value}[/]",
            escape(r.agent),
            escape(f"{r.resource} ({r.environment})"),
            escape(r.summary[:70]),
            f"{len(r.approvals)}/{r.approvers_needed}",
            _age(r.created_at),
        )
    out.print(table)


@app.command()
def show(
    request_id: Annotated[str, typer.Argument(help="The request's id, or a unique prefix of it.")],
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Everything about one request: what was asked, why it was held, who decided."""
    try:
        found = require_home(home)
        store = _store(found)
        request = store.get(store.resolve(request_id))
        suspended = _breaker_reason(found, request)
    except InterlockError as exc:
        fail_from(exc)
    if as_json:
        view = request.to_json()
        if suspended:
            view["agent_suspended"] = suspended
        print_json(view)
        return
    _render(request)
    if suspended:
        out.print(f"  [red]suspended[/]  the agent is suspended: {escape(suspended)}")


def _breaker_reason(home: Home, request: ApprovalRequest) -> str | None:
    """Why the request's agent is suspended by its circuit breaker, if it is."""
    from interlock.state import baseline_storage

    storage = baseline_storage(home)
    try:
        trip = storage.open_trip(request.agent_id or request.agent)
    finally:
        storage.close()
    return trip.reason if trip is not None else None


def _render(r: ApprovalRequest) -> None:
    view = r.to_json()
    out.print(f"[bold]{r.id}[/]  [{_STYLE[r.status]}]{r.status.value}[/]")
    out.print(f"  agent      {escape(r.agent)} ({escape(r.agent_id)})")
    out.print(f"  resource   {escape(r.resource)} ({escape(r.environment)})")
    out.print(f"  request    {escape(r.summary)}")
    decision = r.detail
    out.print(f"  risk       {escape(str(decision.get('risk', '?')))}")
    for action in decision.get("actions", []):
        targets = ", ".join(action.get("targets", [])[:5])
        out.print(f"  action     {escape(str(action.get('operation')))} → {escape(targets)}")
    for reason in decision.get("reasons", []):
        out.print(f"  why        {escape(str(reason))}")
    unusual = decision.get("baseline") or {}
    if unusual.get("reasons"):
        out.print(f"  unusual    {escape(str(unusual.get('level')))} behavioural risk:")
        for reason in unusual["reasons"]:
            out.print(f"               {escape(str(reason))}")
    out.print(f"  approvals  {len(r.approvals)} of {r.approvers_needed} needed")
    for vote in view["votes"]:
        note = f": {vote['comment']}" if vote["comment"] else ""
        out.print(f"    {escape(vote['vote'])} by {escape(vote['human'])}{escape(note)}")
    out.print(f"  created    {view['created_at']}   expires {view['expires_at']}")
    if r.run_at:
        out.print(f"  runs at    {view['run_at']}")
    out.print(f"  source     {escape(r.source)}   audit decision #{r.decision_seq or '-'}")


def _decide(
    verb: str,
    request_id: str,
    comment: str,
    user: str | None,
    code: str | None,
    home: Path | None,
    password_stdin: bool = False,
) -> tuple[ApprovalRequest, Human]:
    """Sign the human in and record their approve / deny / cancel; errors exit."""
    try:
        found, human = require_human(home, user, code, f"approvals {verb}", password_stdin)
        store = _store(found)
        request_id = store.resolve(request_id)
        if verb == "approve":
            refusal = _owner_refusal(found, store.get(request_id), human)
            if refusal is not None:
                found.audit_log().append(
                    "approval",
                    {
                        "event": "approval_refused",
                        "id": request_id,
                        "by": human.name,
                        "why": refusal,
                    },
                )
                fail(refusal)
        decide = {"approve": store.approve, "deny": store.deny, "cancel": store.cancel}[verb]
        return decide(request_id, human, comment), human
    except InterlockError as exc:
        fail_from(exc)


def _report_approve(request: ApprovalRequest, human: Human) -> None:
    if request.status is Status.APPROVED:
        out.print(
            f"[green]approved[/] {request.id} by {escape(human.name)}: the agent's next identical "
            "request (or the one waiting) will run once."
        )
    else:
        out.print(
            f"[yellow]recorded[/] {escape(human.name)}'s approval of {request.id}: "
            f"{len(request.approvals)} of {request.approvers_needed} distinct approvers so far."
        )


def _decision_command(
    verb: str, summary: str, report: Callable[[ApprovalRequest, Human], None]
) -> None:
    """Registers `approvals VERB`: the three decisions take the same options and differ only
    in what they record and say."""

    def command(
        request_id: Annotated[
            str, typer.Argument(help="The request's id, or a unique prefix of it.")
        ],
        comment: CommentOption = "",
        user: UserOption = None,
        code: CodeOption = None,
        password_stdin: PasswordStdinOption = False,
        as_json: JsonOption = False,
        home: HomeOption = None,
    ) -> None:
        request, human = _decide(verb, request_id, comment, user, code, home, password_stdin)
        if as_json:
            print_json(request.to_json())
        else:
            report(request, human)

    command.__doc__ = summary
    app.command(verb)(command)


@app.command()
def approve(
    request_id: Annotated[str, typer.Argument(help="The request's id, or a unique prefix of it.")],
    comment: CommentOption = "",
    learn: Annotated[
        bool,
        typer.Option(
            "--learn",
            help="Also mark what it does as expected for this agent: its baseline stops "
            "counting the environment, resource, operations and hosts as new.",
        ),
    ] = False,
    user: UserOption = None,
    code: CodeOption = None,
    password_stdin: PasswordStdinOption = False,
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Approve a pending request (bound to that exact action, single-use, expiring)."""
    request, human = _decide("approve", request_id, comment, user, code, home, password_stdin)
    learned: list[str] = []
    if learn:
        from interlock.baseline import learn_expected, profile_items

        try:
            found = require_home(home)
            learned = profile_items(
                request.environment, request.resource, request.detail.get("actions", [])
            )
            agent = Agent(name=request.agent, id=request.agent_id)
            learn_expected(found, human, agent, learned, source=f"approval {request.id}")
        except InterlockError as exc:
            fail_from(exc)
    if as_json:
        print_json({**request.to_json(), **({"learned": learned} if learn else {})})
        return
    _report_approve(request, human)
    if learn:
        out.print(f"learned for {escape(request.agent)}: {escape(', '.join(learned))}")


_decision_command(
    "deny",
    "Refuse a request; the agent is told, with your comment.",
    lambda request, human: out.print(f"[red]denied[/] {request.id} by {escape(human.name)}"),
)
_decision_command(
    "cancel",
    "Stop a scheduled action during its cancel window (or withdraw any request not yet run).",
    lambda request, human: out.print(
        f"[red]cancelled[/] {request.id} by {escape(human.name)}: it will not run"
    ),
)
