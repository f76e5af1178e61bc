"""The PostgreSQL wire-protocol proxy: agents connect with their own token, every statement
is classified and decided before the server sees it, the real credential stays inside.

    _messages    protocol v3 framing, parsing and building (bytes only)
    _session     the sans-I/O state machine of one connection: events in, commands out
    _handshake     its opening: startup, the agent's login, upstream TLS and authentication
    _relay         its READY phase: simple and extended query, refusals, row limit
    _internal      queries the proxy runs itself on the connection (safeguard plans)
    _commands      what the session asks the shell to do
    _ruling      what the session does with a statement (`Ruling`, `PendingRuling`)
    _auth        upstream authentication (trust, cleartext, MD5, SCRAM via scramp)
    _login       agent login: token, resource, credential, per-agent limits
    _enforce     the enforcement point over `interlock.enforce`: fence, read memo, safeguards
    _tls         TLS toward the server: sslmode / sslrootcert as libpq reads them
    _safeguards  what a statement reaches, soft drop into the trash, undo, purge
    _dump        snapshots out of the database into the vault (pg_dump, counts, checksums)
    _restore     restore from the vault (undo, `vault restore --into`), drills
    _results     the result of one query, as plans see it
    _client      a minimal client for the CLI (undo, trash) on the same code
    _server      the asyncio shell (and the thread where Interlock's state is used)

See docs/proxy-pg.md.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable, Coroutine
from functools import partial
from pathlib import Path
from typing import Any

from interlock.home import Home
from interlock.proxy.pg._client import ClientError, Connection
from interlock.proxy.pg._dump import Scope, SnapshotFailed, Source, take_snapshot, target_url
from interlock.proxy.pg._enforce import Snapshotter
from interlock.proxy.pg._login import (
    AgentLimits,
    HomeLogins,
    ProxySettings,
    Target,
    load_settings,
    parse_upstream,
)
from interlock.proxy.pg._restore import DrillResult, RestoreFailed, drill, restore
from interlock.proxy.pg._results import Plan, PlanFailed, QueryResult
from interlock.proxy.pg._safeguards import (
    LIST_SQL,
    KeptObject,
    Saved,
    parse_kept,
    purge_plan,
    undo_plan,
)
from interlock.proxy.pg._server import ProxyServer
from interlock.proxy.pg._session import Session
from interlock.vault import Snapshot

__all__ = [
    "LIST_SQL",
    "AgentLimits",
    "ClientError",
    "Connection",
    "DrillResult",
    "HomeLogins",
    "KeptObject",
    "Plan",
    "PlanFailed",
    "ProxyServer",
    "ProxySettings",
    "QueryResult",
    "RestoreFailed",
    "Saved",
    "Scope",
    "Session",
    "SnapshotFailed",
    "Source",
    "Target",
    "build_server",
    "drill",
    "home_logins",
    "home_snapshots",
    "load_settings",
    "parse_kept",
    "parse_upstream",
    "purge_plan",
    "restore",
    "run_loop",
    "take_snapshot",
    "target_url",
    "tls_context",
    "undo_plan",
]


def run_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run the proxy's event loop: uvloop (MIT/Apache-2.0) when installed, else asyncio."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
        return
    uvloop.run(main)


def tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(cert), str(key))
    return context


def home_logins(home: Home, settings: ProxySettings | None = None) -> HomeLogins:
    """Logins against a home: its policies, agents, registered resources and audit log.

    The SQLite handles opened here belong to the calling thread: the server calls this on
    its state thread (`ProxyServer.start`)."""
    from interlock.approvals import ApprovalStore
    from interlock.baseline import tracker_for_home
    from interlock.enforce import EnforcementPoint
    from interlock.gate import Gate
    from interlock.identity import (
        IdentityError,
        IdentityState,
        ResourceRegistry,
        reveal_credential,
        verifier_for_home,
    )
    from interlock.proxy.pg._enforce import VAULT_FENCE, WAIT_HINT
    from interlock.proxy.pg._limits import LIMITS_RULE

    verifier = verifier_for_home(home)
    audit = home.audit_log()
    registry = ResourceRegistry(IdentityState(home.database))

    def targets(name: str) -> Target | None:
        try:
            record = registry.get(name)
        except IdentityError:
            return None
        if record.resource.kind != "postgres" or not record.upstream:
            return None
        return parse_upstream(record.resource, record.upstream)

    def credential(name: str) -> str | None:
        if not registry.get(name).has_credential:
            return None
        return reveal_credential(home, name)

    return HomeLogins(
        snapshots=home_snapshots(home),
        verify=verifier.verify,
        targets=targets,
        credential=credential,
        point=EnforcementPoint(
            gate=Gate(home.load_policies(), tracker_for_home(home, audit=audit)),
            audit=audit,
            approvals=ApprovalStore(home.database, audit=audit),
            hmac_key=home.hmac_key.read_bytes(),
            wait_hint=WAIT_HINT,
            shadow=home.load_config().enforcement.shadow("proxy_pg"),
            # The proxy's own fences guard its safeguards and the vault: enforced always.
            enforced_in_shadow=frozenset({VAULT_FENCE, LIMITS_RULE}),
        ),
        settings=settings if settings is not None else load_settings(home.config_path),
    )


def home_snapshots(home: Home) -> Callable[[Target, str | None], Snapshotter]:
    """Snapshots of a session's target into the home's vault, bounded by `[vault]`."""
    from interlock.config import read_config
    from interlock.vault import open_vault

    settings = read_config(home.config_path).vault
    vault = open_vault(home, settings)

    def for_target(target: Target, password: str | None) -> Snapshotter:
        source = Source(
            target_url(target),
            password,
            pg_dump=settings.pg_dump,
            max_bytes=settings.max_snapshot_mb * 1024 * 1024,
            timeout=settings.snapshot_timeout,
            tls=target.tls,
        )

        def take(scope: Scope, labels: dict[str, Any]) -> Snapshot:
            return take_snapshot(vault, source, target.resource.name, scope, labels)

        return take

    return for_target


def build_server(
    home: Home,
    *,
    host: str = "127.0.0.1",
    port: int = 6432,
    ssl_context: ssl.SSLContext | None = None,
    allow_cleartext: bool = False,
    settings: ProxySettings | None = None,
) -> ProxyServer:
    return ProxyServer(
        partial(home_logins, home, settings),
        host=host,
        port=port,
        ssl_context=ssl_context,
        allow_cleartext=allow_cleartext,
    )
