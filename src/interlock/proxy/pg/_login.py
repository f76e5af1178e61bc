"""Agent logins: the token checked, the resource looked up, the real credential injected.

The agent connects as `postgresql://AGENT:TOKEN@proxy/RESOURCE`. The token is verified as
at every enforcement point (refusals are recorded by the verifier); the user name must be
the token's agent; the database name is a registered `postgres` resource inside the agent's
grant. The upstream connection then uses the resource's upstream URL and its sealed
credential, which never reaches the agent. Per-agent settings from `[proxy.pg]` in
interlock.toml become server settings of the upstream session (statement_timeout;
default_transaction_read_only for agents whose grant is read-only).
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from interlock.config import AgentLimits as AgentLimits
from interlock.config import ProxySettings as ProxySettings
from interlock.config import read_config
from interlock.enforce import EnforcementPoint
from interlock.errors import ConfigError, InterlockError
from interlock.identity import AgentGrant, AgentTokenRefused
from interlock.model import Resource, Verb
from interlock.proxy.pg._enforce import SOURCE, Snapshotter, StatementGate
from interlock.proxy.pg._handshake import Login, LoginRefused, Upstream
from interlock.proxy.pg._tls import UpstreamTLS, upstream_tls

GENERIC_REFUSAL = "password authentication failed for user {user!r}"


def load_settings(config_path: Path | None) -> ProxySettings:
    """Read `[proxy.pg]`, `[proxy.pg.agents.NAME]`, `[proxy.pg.resources.NAME]`; missing
    means no limits and no waiting."""
    if config_path is None or not config_path.is_file():
        return ProxySettings()
    return read_config(config_path).proxy_pg


@dataclass(frozen=True, slots=True)
class Target:
    """A registered postgres resource and where its server is."""

    resource: Resource
    host: str
    port: int
    database: str
    user: str
    extra: tuple[tuple[str, str], ...] = ()
    tls: UpstreamTLS | None = None
    url: str = ""  # the upstream URL as registered (no password): for pg_dump and psql


def parse_upstream(resource: Resource, url: str) -> Target:
    """`postgresql://[user@]host[:port]/database[?user=…&sslmode=…&sslrootcert=…]` → a
    `Target` (no password); TLS as in `_tls`."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    host = parts.hostname or query.get("host") or "127.0.0.1"
    try:
        port = parts.port or int(query.get("port", 5432))
    except ValueError:
        raise ConfigError(f"resource {resource.name}: upstream port is not a number") from None
    database = unquote(parts.path.lstrip("/")) or query.get("dbname", "") or resource.name
    user = unquote(parts.username or "") or query.get("user", "") or "postgres"
    tls = upstream_tls(
        f"resource {resource.name}: upstream URL",
        host,
        query.get("sslmode"),
        query.get("sslrootcert"),
    )
    return Target(resource, host, port, database, user, tls=tls, url=url)


@dataclass(eq=False, kw_only=True)
class HomeLogins:
    """The `LoginService` of a running proxy: verifies tokens and opens enforcement."""

    verify: Callable[[str], AgentGrant]
    targets: Callable[[str], Target | None]
    credential: Callable[[str], str | None]
    point: EnforcementPoint
    settings: ProxySettings = field(default_factory=ProxySettings)
    snapshots: Callable[[Target, str | None], Snapshotter] | None = None
    """For a session's target and credential, what takes its snapshots into the vault."""

    def login(self, user: str, database: str, password: str, *, tls: bool) -> Login:
        try:
            grant = self.verify(password)
        except AgentTokenRefused:
            # The verifier recorded the precise reason; the client learns nothing more.
            raise LoginRefused(GENERIC_REFUSAL.format(user=user)) from None
        agent = grant.agent
        if agent.name != user:
            self.refused(user, database, f"user name is not the token's agent ({agent.name})")
            raise LoginRefused(GENERIC_REFUSAL.format(user=user))
        try:
            target = self.targets(database)
        except ConfigError as exc:
            self.refused(user, database, f"resource misconfigured: {exc}")
            raise LoginRefused(
                f"Interlock cannot open resource {database!r}: {exc}",
                "08004",
                "tell the operator (interlock resource show)",
            ) from None
        if target is None:
            self.refused(user, database, "no such postgres resource")
            raise LoginRefused(
                f"no PostgreSQL resource named {database!r} is registered with Interlock",
                "3D000",
                "the database name is the resource's name (interlock resource list)",
            )
        resource = target.resource
        if not agent.may_touch(resource.environment) or not grant.allows_resource(resource.name):
            self.refused(user, database, "resource outside the agent's grant")
            raise LoginRefused(
                f"agent {agent.name!r} is not granted the resource {resource.name!r} "
                f"({resource.environment})",
                "42501",
                "ask for a token whose grant covers this resource",
            )
        try:
            password_upstream = self.credential(resource.name)
        except InterlockError as exc:
            self.refused(user, database, f"credential unavailable: {exc}")
            raise LoginRefused(
                "Interlock cannot open this resource's credential", "08004"
            ) from None
        limits = self.settings.for_agent(agent.name, resource.name)
        parameters: list[tuple[str, str]] = [*target.extra]
        if limits.statement_timeout_ms is not None:
            parameters.append(("statement_timeout", str(limits.statement_timeout_ms)))
        if agent.max_verb is Verb.READ:
            parameters.append(("default_transaction_read_only", "on"))
        session_id = "pgs_" + secrets.token_hex(6)
        self._append(
            "session",
            {
                "event": "pg_session_opened",
                "session_id": session_id,
                "agent": agent.name,
                "agent_id": agent.id,
                "resource": resource.name,
                "environment": resource.environment,
                "tls": tls,
                "read_only": agent.max_verb is Verb.READ,
                "statement_timeout_ms": limits.statement_timeout_ms,
                "row_limit": limits.row_limit,
                "wait_for_approval": limits.wait_for_approval,
            },
        )
        upstream = Upstream(
            target.host,
            target.port,
            target.database,
            target.user,
            password_upstream,
            tuple(parameters),
            target.tls,
        )
        gatekeeper = StatementGate(
            self.point,
            agent,
            resource,
            session_id,
            limits.statement_timeout_ms,
            snapshots=None if self.snapshots is None else self.snapshots(target, password_upstream),
        )
        gatekeeper.context["upstream"] = {
            "host": f"{target.host}:{target.port}",
            "database": target.database,
        }
        return Login(
            upstream,
            gatekeeper,
            limits.row_limit,
            wait_for_approval=limits.wait_for_approval or 0.0,
            max_wait_for_approval=self.settings.max_wait_for_approval,
        )

    def refused(self, user: str, database: str, reason: str) -> None:
        self._append(
            "auth",
            {"event": "pg_login_refused", "user": user, "database": database, "reason": reason},
        )

    def _append(self, type_: str, body: dict[str, Any]) -> None:
        with contextlib.suppress(InterlockError):
            self.point.event(type_, {"source": SOURCE, **body})
