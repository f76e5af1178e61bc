"""What `interlock up` would run: interlock.toml read and validated into a `Plan`.

Every table is checked by `interlock.config` (the same code each child process runs), so a
config that passes `interlock up --check` is one each child will accept. This module reads
files only: no process is started and no port is bound.

[up]                                  # optional: how `interlock up` runs things
server = true                         # the control plane (default: always, on [server] listen)
hooks = true                          # the hooks daemon (default: when [hooks] exists)
max_restarts = 5                      # restarts of a crashing child before `up` gives up
stop_timeout = 5                      # seconds between SIGTERM and SIGKILL at shutdown

[up.pg]                               # where `interlock up` runs the PostgreSQL proxy
listen = "127.0.0.1:6432"             # ([proxy.pg] itself holds per-agent limits only)
tls_cert = "certs/proxy.crt"          # relative to interlock.toml
tls_key = "certs/proxy.key"
allow_cleartext_on_loopback = false   # true: tokens without TLS, loopback listeners only
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from interlock.config import (
    DEFAULT_MAX_RESTARTS,
    DEFAULT_STOP_TIMEOUT,
    Config,
    UpPgSettings,
    read_config,
)
from interlock.errors import ConfigError
from interlock.home import Home

LOOPBACK = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True, slots=True)
class Probe:
    """How the supervisor sees that a child is ready: an HTTP GET that answers 200, a TCP
    connect, or a Unix socket connect."""

    kind: Literal["http", "tcp", "unix", "none"]  # none: a worker that listens nowhere
    host: str = ""
    port: int = 0
    path: str = ""


@dataclass(frozen=True, slots=True)
class ChildSpec:
    """One child process: its name, the `interlock` arguments it runs, where it listens."""

    name: str
    args: tuple[str, ...]
    listen: str
    probe: Probe
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Plan:
    home: Home
    children: tuple[ChildSpec, ...]
    max_restarts: int = DEFAULT_MAX_RESTARTS
    stop_timeout: float = DEFAULT_STOP_TIMEOUT
    warnings: tuple[str, ...] = ()


def load_plan(
    home: Home,
    *,
    server: bool | None = None,
    hooks: bool | None = None,
    max_restarts: int | None = None,
) -> Plan:
    """Read and validate `home`'s interlock.toml; raises `ConfigError` naming file and table.

    `server` and `hooks` (the command-line flags) win over `[up]`; None means "as configured".
    """
    path = home.config_path
    config = read_config(path).check()  # every table, as each child will check its own
    home.load_policies()  # a policy that does not parse would make every child fail
    up = config.up
    restarts = up.max_restarts if max_restarts is None else max_restarts
    run_server = up.server if server is None else server
    if hooks is None:
        hooks = up.hooks if up.hooks is not None else config.has("hooks")

    children: list[ChildSpec] = []
    warnings: list[str] = []
    home_args = ("--home", str(home.root))
    if run_server:
        children.append(_server_child(config, home_args, warnings))
    http_routes = _fronted_routes(home, config)
    if config.has("proxy.http") or http_routes:
        children.append(_http_child(home, config, http_routes, home_args, warnings))
    if config.has("proxy.pg") or up.pg is not None:
        children.append(_pg_child(config, up.pg or UpPgSettings(), home_args, warnings))
    if hooks:
        children.append(_hooks_child(home, config, home_args))
    if config.vault.drill_every:
        every = config.vault.drill_every
        children.append(
            ChildSpec(
                "vault-drills",
                ("vault", "drill", "--every", every, *home_args),
                "(no listener)",
                Probe("none"),
                f"a restore drill of each resource's newest snapshot every {every}",
            )
        )
    _no_shared_ports(path, children)
    return Plan(home, tuple(children), restarts, up.stop_timeout, tuple(warnings))


def _server_child(config: Config, home_args: tuple[str, ...], warnings: list[str]) -> ChildSpec:
    settings = config.server
    _fixed_port(settings.port, f"{config.path}: [server] listen")
    if settings.host not in LOOPBACK:
        warnings.append(f"the control plane listens on {settings.host}, not loopback")
    url = f"http://{_url_host(settings.host)}:{settings.port}"
    return ChildSpec(
        "control-plane",
        ("serve", *home_args),
        url,
        Probe("http", _probe_host(settings.host), settings.port, "/healthz"),
        "console /, API /docs",
    )


def _fronted_routes(home: Home, config: Config) -> Mapping[str, Any]:
    """The routes the HTTP proxy will serve: configured ones and every HTTP resource."""
    from interlock.proxy.http import http_resource_names, with_default_routes

    return with_default_routes(config.proxy_http, http_resource_names(home)).routes


def _http_child(
    home: Home,
    config: Config,
    routes: Mapping[str, Any],
    home_args: tuple[str, ...],
    warnings: list[str],
) -> ChildSpec:
    proxy = config.proxy_http
    where = f"{config.path}: [proxy.http]"
    if not routes:
        raise ConfigError(
            f"{where}: nothing to front: register an HTTP API with `interlock resource add "
            "NAME --kind http --upstream URL`, or add a [proxy.http.routes.NAME] table"
        )
    _fixed_port(proxy.port, f"{where} listen")
    _routes_resolve(home, config, routes)
    if proxy.host not in LOOPBACK:
        warnings.append(f"the HTTP proxy listens on {proxy.host}, not loopback")
    prefixes = ", ".join(route.prefix for route in routes.values())
    return ChildSpec(
        "proxy-http",
        ("proxy", "http", *home_args),
        f"http://{_url_host(proxy.host)}:{proxy.port}",
        Probe("tcp", _probe_host(proxy.host), proxy.port),
        f"routes {prefixes}",
    )


def _routes_resolve(home: Home, config: Config, routes: Mapping[str, Any]) -> None:
    """The checks the proxy makes at start, without revealing any credential: each route
    names a known resource and has an upstream."""
    from interlock.identity import IdentityState, ResourceRegistry

    state = IdentityState(home.database)
    try:
        records = {r.resource.name: r for r in ResourceRegistry(state).resources()}
    finally:
        state.close()
    configured = config.resources
    for name, route in routes.items():
        at = f"{config.path}: [proxy.http.routes.{name}]"
        record = records.get(route.resource)
        if record is None and route.resource not in configured:
            raise ConfigError(
                f"{at}: no resource named {route.resource!r} "
                "(register it with `interlock resource add`)"
            )
        if not (route.upstream or (record.upstream if record is not None else "")):
            raise ConfigError(
                f"{at}: no upstream (set `upstream`, or register the resource with --upstream)"
            )


def _pg_child(
    config: Config, pg: UpPgSettings, home_args: tuple[str, ...], warnings: list[str]
) -> ChildSpec:
    from interlock.proxy.pg import tls_context

    where = f"{config.path}: [up.pg]"
    args = ["proxy", "pg", *home_args, "--listen", pg.listen]
    if pg.tls_cert:
        cert_path, key_path = config.path.parent / pg.tls_cert, config.path.parent / pg.tls_key
        try:
            tls_context(cert_path, key_path)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{where}: cannot load tls_cert/tls_key ({exc})") from None
        args += ["--tls-cert", str(cert_path), "--tls-key", str(key_path)]
        mode = "TLS"
    elif pg.allow_cleartext_on_loopback:
        if pg.host not in LOOPBACK:
            raise ConfigError(
                f"{where}: allow_cleartext_on_loopback needs a loopback listen address"
            )
        args.append("--allow-cleartext-on-loopback")
        mode = "cleartext, loopback only"
    else:
        raise ConfigError(
            f"{where}: agents send their token as the password: set tls_cert and tls_key, "
            "or allow_cleartext_on_loopback = true for a loopback listener"
        )
    if pg.host not in LOOPBACK:
        warnings.append(f"the PostgreSQL proxy listens on {pg.host}, not loopback")
    return ChildSpec(
        "proxy-pg",
        tuple(args),
        f"postgresql://{_url_host(pg.host)}:{pg.port}",
        Probe("tcp", _probe_host(pg.host), pg.port),
        mode,
    )


def _hooks_child(home: Home, config: Config, home_args: tuple[str, ...]) -> ChildSpec:
    from interlock.hooks import socket_path

    settings = config.hooks
    path = socket_path(home)
    return ChildSpec(
        "hooks",
        ("hooks", "serve", *home_args),
        f"unix:{path}",
        Probe("unix", path=str(path)),
        f"environment {settings.environment}",
    )


def _fixed_port(port: int, where: str) -> None:
    if port == 0:
        raise ConfigError(f"{where}: `interlock up` needs a fixed port, not 0")


def _probe_host(host: str) -> str:
    """Where to knock: a wildcard bind is reached on loopback."""
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)  # noqa: S104


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _no_shared_ports(path: Path, children: list[ChildSpec]) -> None:
    seen: dict[int, str] = {}
    for child in children:
        port = child.probe.port
        if child.probe.kind == "unix":
            continue
        if port in seen:
            raise ConfigError(
                f"{path}: {seen[port]} and {child.name} are both configured on port {port}"
            )
        seen[port] = child.name
