"""`interlock agent create | list | show | suspend | resume | revoke | rotate | mint-child |
verify`.

Creating and changing agents is a human action: locally the CLI operator is the human
(`local_operator`), and a process carrying an agent token is refused and recorded. Tokens
are printed once, at creation or rotation, and never again.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from interlock._time import iso_utc as iso
from interlock.cli._common import HomeOption, JsonOption, fail, fail_from, out, print_json
from interlock.cli._human import CodeOption, PasswordStdinOption, UserOption, human_proof
from interlock.errors import InterlockError
from interlock.home import Home, require_home
from interlock.identity import (
    AGENT_TOKEN_ENV,
    AgentRecord,
    AgentRegistry,
    IdentityError,
    MintedToken,
    format_duration,
    local_operator,
    parse_duration,
    parse_verb,
    verify_agent_grant,
)
from interlock.model import Agent

app = typer.Typer(
    rich_markup_mode=None,
    help="Agent identities: short-lived, scoped, revocable tokens.",
    no_args_is_help=True,
)

EnvOption = Annotated[
    list[str] | None,
    typer.Option("--env", help="An environment the agent may touch (repeat for more)."),
]
ResourceOption = Annotated[
    list[str] | None,
    typer.Option("--resource", help="Limit to this resource (repeat; default: any)."),
]
TokenStdin = Annotated[
    bool,
    typer.Option(
        "--token-stdin", help=f"Read the agent token from stdin (default: ${AGENT_TOKEN_ENV})."
    ),
]


def _registry(home: Path | None) -> tuple[Home, AgentRegistry]:
    found = require_home(home)
    return found, AgentRegistry.for_home(found)


def _print_token(record: AgentRecord, minted: MintedToken, as_json: bool, verb: str) -> None:
    now = time.time()
    if as_json:
        print_json({"agent": record.to_json(now), "token": minted.token})
        return
    out.print(
        f"{verb} agent [bold]{escape(record.name)}[/] (id {record.id}): "
        f"{escape(record.scope.describe())}"
    )
    out.print(
        f"token {minted.token_id} expires {iso(minted.expires_at)} "
        f"(in {format_duration(minted.expires_at - now)})"
    )
    out.print(
        f"[yellow]This token is shown once.[/] Give it to the agent (for example as "
        f"${AGENT_TOKEN_ENV}); Interlock stores only its hash."
    )
    sys.stdout.flush()
    sys.stdout.write(minted.token + "\n")
    sys.stdout.flush()


def _agent_token(from_stdin: bool) -> str:
    token = sys.stdin.readline() if from_stdin else os.environ.get(AGENT_TOKEN_ENV, "")
    token = token.strip()
    if not token:
        fail(f"no agent token: set ${AGENT_TOKEN_ENV} or pass --token-stdin")
    return token


@app.command()
def create(
    name: Annotated[str, typer.Argument(help="The agent's name.")],
    env: EnvOption = None,
    task: Annotated[str, typer.Option("--task", help="What the agent is for.")] = "",
    owner: Annotated[str, typer.Option("--owner", help="The accountable human.")] = "",
    resource: ResourceOption = None,
    max_risk: Annotated[
        str,
        typer.Option(
            "--max-risk",
            help="Highest verb class: read, write, destructive or privilege (above destructive).",
        ),
    ] = "write",
    ttl: Annotated[
        str | None, typer.Option("--ttl", help="Token lifetime, e.g. 8h (default 8h).")
    ] = None,
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Register an agent and print its token once."""
    try:
        found, registry = _registry(home)
        human = local_operator(found, action="agent create")
        record, minted = registry.create(
            human,
            name,
            environments=env or [],
            task=task,
            owner=owner,
            resources=resource,
            max_verb=parse_verb(max_risk),
            ttl=parse_duration(ttl) if ttl else None,
        )
    except InterlockError as exc:
        fail_from(exc)
    _print_token(record, minted, as_json, "created")


@app.command("list")
def list_(
    all_: Annotated[bool, typer.Option("--all", help="Include revoked agents.")] = False,
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """List agents with their scope, status and token expiry."""
    try:
        _, registry = _registry(home)
        agents = registry.agents(include_revoked=all_)
    except InterlockError as exc:
        fail_from(exc)
    now = time.time()
    if as_json:
        print_json([a.to_json(now) for a in agents])
        return
    if not agents:
        out.print("no agents (create one with `interlock agent create`)")
        return
    for a in agents:
        live = a.live_token(now)
        expiry = f"expires in {format_duration(live.expires_at - now)}" if live else "no live token"
        out.print(
            f"{escape(a.name):<24} {a.status:<9} {a.id}  {escape(a.scope.describe())}; {expiry}"
        )


@app.command()
def show(
    name: Annotated[str, typer.Argument(help="Agent name or id.")],
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Show one agent: grant, owner, task and every token's state (never a token's text)."""
    try:
        _, registry = _registry(home)
        record = registry.get(name)
    except InterlockError as exc:
        fail_from(exc)
    data = record.to_json(time.time())
    if as_json:
        print_json(data)
        return
    for key in (
        "name",
        "id",
        "status",
        "parent_id",
        "owner",
        "task",
        "environments",
        "resources",
        "max_risk",
        "created_at",
        "created_by",
    ):
        value = data[key]
        if isinstance(value, list):
            value = ", ".join(value)
        out.print(f"{key + ':':<14} {escape(str(value if value is not None else '-'))}")
    for t in data["tokens"]:
        out.print(
            f"token {t['id']}: {t['state']}, issued {t['issued_at']}, expires {t['expires_at']}"
        )


def _change_command(action: str, past: str, summary: str, after: str = "") -> None:
    """Registers `agent ACTION NAME`: suspend, resume and revoke differ only in the change."""

    def command(
        name: Annotated[str, typer.Argument(help="Agent name or id.")], home: HomeOption = None
    ) -> None:
        try:
            found, registry = _registry(home)
            human = local_operator(found, action=f"agent {action}")
            change = {
                "suspend": registry.suspend,
                "revoke": registry.revoke,
            }[action]
            record = change(human, name)
        except InterlockError as exc:
            fail_from(exc)
        out.print(f"{past} agent {escape(record.name)} ({record.id}){after}")

    command.__doc__ = summary
    app.command(action)(command)


_change_command(
    "suspend",
    "suspended",
    "Refuse the agent and its sub-agents everywhere (within a second) until resumed.",
)


@app.command()
def resume(
    name: Annotated[str, typer.Argument(help="Agent name or id (or a hook's agent name).")],
    user: UserOption = None,
    code: CodeOption = None,
    password_stdin: PasswordStdinOption = False,
    home: HomeOption = None,
) -> None:
    """Let a suspended agent work again. After a circuit-breaker trip this needs the proof of
    a human (--user NAME, password and TOTP code; or the local operator where
    `[approvals] local_operator = true`); an agent token is refused either way."""
    from interlock.baseline import agent_key, resume_agent
    from interlock.state import baseline_storage

    try:
        found = require_home(home)
        try:
            record = AgentRegistry.for_home(found).get(name)
            key = agent_key(Agent(record.name, id=record.id))
        except IdentityError:
            key = name
        storage = baseline_storage(found)
        try:
            tripped = storage.open_trip(key)
        finally:
            storage.close()
        if tripped is not None:
            human = human_proof(found, user, code, "agent resume", password_stdin)
        else:
            human = local_operator(found, action="agent resume")
        said = resume_agent(found, human, name)
    except InterlockError as exc:
        fail_from(exc)
    out.print(escape(said))


_change_command(
    "revoke",
    "revoked",
    "Revoke the agent, its tokens and its sub-agents, for good.",
    " and every token it held",
)


@app.command()
def rotate(
    name: Annotated[str, typer.Argument(help="Agent name or id.")],
    ttl: Annotated[str | None, typer.Option("--ttl", help="New token lifetime.")] = None,
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Issue a new token with the same scope; the old token (and its children) stop working."""
    try:
        found, registry = _registry(home)
        human = local_operator(found, action="agent rotate")
        minted = registry.rotate(human, name, ttl=parse_duration(ttl) if ttl else None)
        record = registry.get(minted.agent_id)
    except InterlockError as exc:
        fail_from(exc)
    _print_token(record, minted, as_json, "rotated")


@app.command("mint-child")
def mint_child(
    name: Annotated[str, typer.Argument(help="The sub-agent's name (under the parent's).")],
    env: EnvOption = None,
    resource: ResourceOption = None,
    max_risk: Annotated[
        str | None,
        typer.Option("--max-risk", help="read, write, destructive or privilege (≤ parent)."),
    ] = None,
    ttl: Annotated[str | None, typer.Option("--ttl", help="Lifetime (≤ parent's).")] = None,
    task: Annotated[str, typer.Option("--task", help="What the sub-agent is for.")] = "",
    token_stdin: TokenStdin = False,
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """As an agent: mint a strictly narrower token for a sub-agent (run with your token)."""
    parent = _agent_token(token_stdin)
    try:
        _, registry = _registry(home)
        record, minted = registry.mint_child(
            parent,
            name,
            environments=env,
            resources=resource,
            max_verb=parse_verb(max_risk) if max_risk else None,
            ttl=parse_duration(ttl) if ttl else None,
            task=task,
        )
    except InterlockError as exc:
        fail_from(exc)
    _print_token(record, minted, as_json, "minted child")


@app.command()
def verify(
    token_stdin: TokenStdin = False,
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Check an agent token and print the grant it carries (exit 1 when refused)."""
    token = _agent_token(token_stdin)
    try:
        grant = verify_agent_grant(token, home=require_home(home))
    except InterlockError as exc:
        fail_from(exc)
    agent = grant.agent
    data = {
        "agent": agent.name,
        "id": agent.id,
        "token_id": grant.token_id,
        "environments": sorted(agent.environments or ()),
        "resources": None if grant.resources is None else sorted(grant.resources),
        "max_risk": agent.max_verb.value,
        "owner": agent.owner,
        "task": agent.task,
        "expires_at": grant.expires_iso(),
    }
    if as_json:
        print_json(data)
        return
    for key, value in data.items():
        if isinstance(value, list):
            value = ", ".join(value)
        out.print(f"{key + ':':<14} {escape(str(value if value is not None else 'any'))}")
