"""`interlock demo`: the incident, replayed twice on loopback.

Act 1, without Interlock: a coding agent on a staging task hits a credential mismatch,
finds a blanket token in a file and sends one `volumeDelete` for the production volume;
the data and the backups on the same volume are gone.

Act 2, with Interlock: the agent's workspace holds only its own Interlock token, scoped to
staging; the provider's credentials are sealed inside Interlock and injected by the proxy.
The same mutation is refused; an agent that is granted production is held for a human, who
denies it from the CLI; an approved deletion runs only after a cancel window, with the
volume's backup downloaded into Interlock's vault first: the volume and the backups on it go,
and the data comes back from the vault, which the deletion could not reach. The production
volume survives and `interlock audit verify` passes.

Everything runs in a temporary directory: the stand-in provider API, the proxy and a
throw-away Interlock home, all on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyotp
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.rule import Rule

from interlock.audit import AuditSetup, close_all_feeds, set_up_audit
from interlock.demo._agent import find_tokens, graphql, shown
from interlock.demo._cloud import BLANKET_TOKEN, STAGING_TOKEN, Cloud
from interlock.home import Home, init_home
from interlock.identity import AgentRegistry, HumanRegistry, ResourceRegistry
from interlock.model import Human, Verb
from interlock.proxy.http import ProxyThread, proxy_config_from

PROD_VOLUME = "vol-prod-7f3a"
OLD_VOLUME = "vol-prod-old9"
DELETE = 'mutation {{ volumeDelete(volumeId: "{0}") }}'
LIST = "query { volumes { id name environment } }"
DOMAIN = (
    'mutation { customDomainCreate(domain: "shop-staging.example.com", environment: "staging") }'
)
SNAPSHOT = 'mutation { volumeSnapshotCreate(volumeId: "{target}") { id } }'
OPERATOR = Human("local:oncall", "admin")
CANCEL_WINDOW = 2.0

HumanCli = Callable[[Sequence[str], str], None]
"""Runs `interlock ARGS` as the on-call human types it (given by the CLI: no import cycle)."""


def replay(console: Console, human: HumanCli) -> bool:
    """Run both acts; True when the production volume survived Act 2. `human` runs the
    `interlock` commands the on-call human types (the CLI passes itself in)."""
    started = time.monotonic()
    console.print(
        Panel.fit(
            "A coding agent on a staging task found a cloud API token in a file (made for\n"
            "custom domains, valid for everything) and sent one GraphQL [b]volumeDelete[/].\n"
            "The production volume and its backups, on the same volume, were gone in nine "
            "seconds.\nThis demo replays it against a stand-in provider API on 127.0.0.1, "
            "twice.",
            title="Interlock demo: the incident, replayed",
        )
    )
    with tempfile.TemporaryDirectory(prefix="interlock-demo-") as tmp:
        act_one(console, Path(tmp) / "act1")
        survived = act_two(console, Path(tmp) / "act2", human)
        close_all_feeds()  # witness the last checkpoints while the demo's home still exists
    console.print(Rule(style="dim"))
    verdict = "[bold green]survived[/]" if survived else "[bold red]was lost[/]"
    console.print(
        f"With Interlock the production volume {verdict}. "
        f"[dim](demo ran in {time.monotonic() - started:.1f} s)[/]"
    )
    console.print(
        "Next: [bold]interlock init[/], [bold]interlock resource add[/], "
        "[bold]interlock agent create[/], [bold]interlock proxy http[/] (docs/proxy-http.md)."
    )
    return survived


def _say(console: Console, who: str, text: str) -> None:
    style = {"agent": "cyan", "human": "magenta", "cloud": "blue", "interlock": "yellow"}[who]
    console.print(f"[{style}]{who:>9}[/] │ {text}")


def _mismatch_then_search(console: Console, api: str, token: str, workspace: Path) -> None:
    """Both acts open alike: the agent's token is refused, so it goes looking for another."""
    status, answer = graphql(api, token, DOMAIN)
    _say(console, "cloud", f"{status}: {escape(json.dumps(answer))}")
    _say(console, "agent", "credential mismatch. Searching the repository for a token…")
    for path, name, value in find_tokens(workspace):
        _say(console, "agent", f"  {path}: {name}={shown(value)}")


def _workspace(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


# -- Act 1 ---------------------------------------------------------------------------------


def act_one(console: Console, root: Path) -> None:
    console.print(Rule("[bold]Act 1 — without Interlock[/]", align="left"))
    cloud = Cloud(root / "cloud")
    cloud.provision()
    cloud.start()
    try:
        api = f"{cloud.url}/graphql/v2"
        workspace = _workspace(
            root / "workspace",
            {
                ".env": f"RAILWAY_STAGING_TOKEN={STAGING_TOKEN}\n",
                "infra/domains.env": (
                    f"# for the custom-domain script\nRAILWAY_TOKEN={BLANKET_TOKEN}\n"
                ),
                "README.md": "shop: staging and production on the same provider account\n",
            },
        )
        _say(console, "cloud", f"{PROD_VOLUME} (production): {cloud.describe(PROD_VOLUME)}")
        _say(console, "agent", "task: fix the custom domain of [b]staging[/]")
        _mismatch_then_search(console, api, STAGING_TOKEN, workspace)
        _say(
            console,
            "agent",
            "found [b]RAILWAY_TOKEN[/] in infra/domains.env; listing volumes with it to "
            "reset the staging database",
        )
        _, listing = graphql(api, BLANKET_TOKEN, LIST)
        for volume in listing["data"]["volumes"]:
            _say(console, "cloud", f"  {volume['id']}  {volume['name']}  ({volume['environment']})")
        _say(
            console,
            "agent",
            f"two volumes are called db-volume; taking {PROD_VOLUME}\n"
            f"           │ [dim]$ curl -X POST {api} -H 'Authorization: Bearer "
            f'{shown(BLANKET_TOKEN)}\' -d \'{{"query":"mutation {{ volumeDelete(volumeId: '
            f'\\"{PROD_VOLUME}\\") }}"}}\'[/]',
        )
        began = time.monotonic()
        status, answer = graphql(api, BLANKET_TOKEN, DELETE.format(PROD_VOLUME))
        took = time.monotonic() - began
        _say(console, "cloud", f"{status}: {escape(json.dumps(answer))}  ({took * 1000:.0f} ms)")
        _say(console, "cloud", f"{PROD_VOLUME} (production): {cloud.describe(PROD_VOLUME)}")
        console.print(
            "[red]One request, no check, no record: the production data and every backup on "
            "the same volume are gone.[/]"
        )
    finally:
        cloud.stop()


# -- Act 2 ---------------------------------------------------------------------------------


@contextlib.contextmanager
def _home_env(home: Home) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in ("INTERLOCK_HOME", "INTERLOCK_AGENT_TOKEN")}
    os.environ["INTERLOCK_HOME"] = str(home.root)
    os.environ.pop("INTERLOCK_AGENT_TOKEN", None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _cli(console: Console, human: HumanCli, *args: str) -> None:
    """Run `interlock ARGS` in-process, as the on-call human would type it."""
    console.print(f"[magenta]    human[/] │ [bold]$ interlock {escape(' '.join(args))}[/]")
    human(args, "")


@dataclass(frozen=True)
class OnCall:
    """The demo's registered human: deciding needs their password and TOTP code."""

    name: str
    password: str = field(repr=False)
    totp: pyotp.TOTP = field(repr=False)


def _decide(
    console: Console, human: HumanCli, oncall: OnCall, verb: str, request_id: str, why: str
) -> None:
    """`interlock approvals VERB ID --user oncall`: password typed, code from the phone."""
    shown = f"approvals {verb} {request_id} --user {oncall.name} -m {why!r}"
    console.print(f"[magenta]    human[/] │ [bold]$ interlock {escape(shown)}[/]")
    console.print("[magenta]    human[/] │ [dim](password and authenticator code entered)[/]")
    args = ("approvals", verb, request_id, "--user", oncall.name, "--password-stdin")
    human((*args, "--code", oncall.totp.now(), "-m", why), oncall.password + "\n")


def _enrol(home: Home, name: str) -> OnCall:
    password = secrets.token_urlsafe(18)
    enrolment = HumanRegistry.for_home(home).add(OPERATOR, name, role="approver", password=password)
    return OnCall(name, password, pyotp.TOTP(enrolment.totp_secret))


def _setup(
    root: Path, cloud: Cloud
) -> tuple[Home, dict[str, str], ProxyThread, tuple[OnCall, OnCall]]:
    home, _ = init_home(root / "interlock-home")
    # As `interlock init` does: the audit key pinned, checkpoints kept by a witness too.
    set_up_audit(home.config_path, home.signing_key, home.public_key, AuditSetup())
    # Two people on call: a TOTP code is accepted once, so each decides with their own.
    oncall = (_enrol(home, "oncall"), _enrol(home, "lead"))
    resources = ResourceRegistry.for_home(home)
    resources.add(
        OPERATOR,
        "railway",
        kind="http",
        environment="production",
        upstream=cloud.url,
        credential=BLANKET_TOKEN,
    )
    resources.add(
        OPERATOR,
        "railway-staging",
        kind="http",
        environment="staging",
        upstream=cloud.url,
        credential=STAGING_TOKEN,
    )
    agents = AgentRegistry.for_home(home)
    _, fixer = agents.create(
        OPERATOR,
        "staging-fixer",
        environments=["staging"],
        task="fix the staging custom domain",
        owner="dev@example.com",
        max_verb=Verb.DESTRUCTIVE,
        ttl=3600,
    )
    _, ops = agents.create(
        OPERATOR,
        "ops-agent",
        environments=["staging", "production"],
        task="clean up unused volumes",
        owner="oncall@example.com",
        max_verb=Verb.DESTRUCTIVE,
        ttl=3600,
    )
    # Before a volume is deleted, its backup is downloaded into Interlock's vault: a copy
    # outside the provider's account, which no call through it can delete.
    snapshot_first = [
        {
            "operation": "graphql:volumeDelete",
            "method": "GET",
            "path": "/volumes/{target}/backup",
            "export": "vault",
        }
    ]
    config = proxy_config_from(
        {
            "listen": "127.0.0.1:0",
            "routes": {
                "railway": {
                    "classify_host": "backboard.railway.app",
                    "delay": CANCEL_WINDOW,
                    "before": snapshot_first,
                },
                "railway-staging": {
                    "classify_host": "backboard.railway.app",
                    "before": snapshot_first,
                },
            },
        }
    )
    proxy = ProxyThread(home, config).start()
    return home, {"staging-fixer": fixer.token, "ops-agent": ops.token}, proxy, oncall


def _answer(console: Console, status: int, answer: dict[str, Any]) -> None:
    style = "green" if status < 300 else "red"
    message = answer.get("message") or json.dumps(answer.get("data", answer))
    _say(console, "interlock", f"[{style}]{status}[/] {escape(str(message))}")


def _in_background(fn: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    box: dict[str, Any] = {}

    def run() -> None:
        box["result"] = fn(*args, **kwargs)

    box["thread"] = threading.Thread(target=run, daemon=True)
    box["thread"].start()
    return box


def _pending_id(home: Home, timeout: float = 10) -> str:
    from interlock.approvals import ApprovalStore, Status

    store = ApprovalStore(home.database)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pending = store.requests([Status.PENDING])
            if pending:
                return pending[0].id
            time.sleep(0.05)
    finally:
        store.close()
    raise RuntimeError("no approval request appeared")


def act_two(console: Console, root: Path, human: HumanCli) -> bool:
    console.print(Rule("[bold]Act 2 — with Interlock[/]", align="left"))
    cloud = Cloud(root / "cloud")
    cloud.provision()
    cloud.start()
    home, tokens, proxy, oncall = _setup(root, cloud)
    try:
        with _home_env(home):
            return _act_two(console, root, cloud, home, tokens, proxy, human, oncall)
    finally:
        proxy.stop()
        cloud.stop()


def _act_two(
    console: Console,
    root: Path,
    cloud: Cloud,
    home: Home,
    tokens: dict[str, str],
    proxy: ProxyThread,
    human: HumanCli,
    oncall: tuple[OnCall, OnCall],
) -> bool:
    staging_api = f"{proxy.url}/railway-staging/graphql/v2"
    prod_api = f"{proxy.url}/railway/graphql/v2"
    fixer = tokens["staging-fixer"]
    workspace = _workspace(
        root / "workspace",
        {
            ".env": f"INTERLOCK_AGENT_TOKEN={fixer}\nRAILWAY_API={staging_api}\n",
            "README.md": "shop: staging and production on the same provider account\n",
        },
    )
    _say(
        console,
        "interlock",
        "the provider's tokens are sealed in Interlock (`interlock resource add … "
        "--credential-stdin`); the agent holds only [b]its own[/] token, scoped to staging, "
        "expiring in 1 h",
    )
    _say(
        console,
        "interlock",
        f"proxy on {proxy.url}: /railway → production, /railway-staging → staging",
    )
    _say(console, "cloud", f"{PROD_VOLUME} (production): {cloud.describe(PROD_VOLUME)}")
    _say(console, "agent", "task: fix the custom domain of [b]staging[/]; listing volumes")
    status, answer = graphql(staging_api, fixer, LIST)
    volumes = ", ".join(v["id"] for v in answer.get("data", {}).get("volumes", []))
    _say(
        console,
        "interlock",
        f"[green]{status}[/] read allowed; the staging project token was injected upstream. "
        f"Volumes: {volumes}",
    )
    _mismatch_then_search(console, staging_api, fixer, workspace)
    _say(
        console,
        "agent",
        "only my Interlock token. Trying it on the production API with the production "
        f'volume id:  volumeDelete(volumeId: "{PROD_VOLUME}")',
    )
    status, answer = graphql(prod_api, fixer, DELETE.format(PROD_VOLUME))
    _answer(console, status, answer)

    console.print(Rule("even an agent granted production waits for a human", style="dim"))
    ops = tokens["ops-agent"]
    _say(
        console,
        "agent",
        f"ops-agent (granted production): volumeDelete {PROD_VOLUME}, Prefer: wait=20",
    )
    waiting = _in_background(graphql, prod_api, ops, DELETE.format(PROD_VOLUME), wait=20)
    request_id = _pending_id(home)
    _say(console, "interlock", f"held as {request_id}; the agent's request is held open")
    _cli(console, human, "approvals", "show", request_id)
    _decide(
        console,
        human,
        oncall[0],
        "deny",
        request_id,
        "that is the production database; its backups live on the same volume",
    )
    waiting["thread"].join(30)
    status, answer = waiting["result"]
    _answer(console, status, answer)

    console.print(
        Rule("an approved deletion: cancel window, Interlock's own copy first", style="dim")
    )
    _say(
        console, "agent", f"ops-agent: volumeDelete {OLD_VOLUME} (legacy uploads), Prefer: wait=20"
    )
    waiting = _in_background(graphql, prod_api, ops, DELETE.format(OLD_VOLUME), wait=20)
    request_id = _pending_id(home)
    _decide(console, human, oncall[1], "approve", request_id, "legacy volume, unused since March")
    _say(
        console,
        "interlock",
        f"scheduled: runs in {CANCEL_WINDOW:g} s unless cancelled "
        f"(`interlock approvals cancel {request_id}`); the volume's backup is downloaded "
        "into Interlock's vault first",
    )
    waiting["thread"].join(30)
    status, answer = waiting["result"]
    _answer(console, status, answer)
    _say(console, "cloud", f"{OLD_VOLUME} (production): {cloud.describe(OLD_VOLUME)}")
    _restore_from_vault(console, root, home, human)

    console.print(Rule("afterwards", style="dim"))
    survived = cloud.volume(PROD_VOLUME).exists()
    _say(console, "cloud", f"{PROD_VOLUME} (production): {cloud.describe(PROD_VOLUME)}")
    _cli(console, human, "audit", "checkpoint")
    _cli(console, human, "audit", "verify")
    return survived


def _restore_from_vault(console: Console, root: Path, home: Home, human: HumanCli) -> None:
    """The volume and the backups on it are gone at the provider; Interlock's copy is not."""
    from interlock.vault import open_vault

    copies = [s for s in open_vault(home).list() if s.manifest.labels.get("target") == OLD_VOLUME]
    if not copies:
        _say(console, "interlock", "[red]no copy of the volume in the vault[/]")
        return
    copy = copies[0]
    _say(
        console,
        "interlock",
        f"vault (Interlock's home, outside the provider's account): snapshot {copy.id[:12]}, "
        f"{OLD_VOLUME}'s backup, {copy.manifest.size:,} bytes, sealed and signed",
    )
    restored = root / "restored" / f"{OLD_VOLUME}.db"
    _cli(console, human, "vault", "restore", copy.id[:12], "--into", str(restored))
    db = sqlite3.connect(restored)
    try:
        rows = db.execute("SELECT COUNT(*) FROM orders").fetchone()[0]
    finally:
        db.close()
    _say(console, "interlock", f"[green]restored from the vault[/]: {rows:,} orders back")
