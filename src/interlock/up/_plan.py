"""What `interlock up` would run: interlock.toml read and validated into a `Plan`.

Every component's own loader validates its own table (the same code the child process runs),
so a config that passes `interlock up --check` is one each child will accept. This module
reads files only: no process is started and no port is bound.

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

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from interlock.errors import ConfigError
from interlock.home import Home

LOOPBACK = ("127.0.0.1", "::1", "localhost")
DEFAULT_PG_LISTEN = "127.0.0.1:6432"
DEFAULT_MAX_RESTARTS = 5
DEFAULT_STOP_TIMEOUT = 5.0

_UP_KEYS = {"server", "hooks", "max_restarts", "stop_timeout", "pg"}
_UP_PG_KEYS = {"listen", "tls_cert", "tls_key", "allow_cleartext_on_loopback"}


@dataclass(frozen=True, slots=True)
class Probe:
    """How the supervisor sees that a child is ready: an HTTP GET that answers 200, a TCP
    connect, or a Unix socket connect."""

    kind: Literal["http", "tcp", "unix"]
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
    raw = _read(path)
    home.load_config()
    home.load_policies()  # a policy that does not parse would make every child fail
    up = _table(raw, "up", f"{path}: [up]")
    where = f"{path}: [up]"
    unknown = set(up) - _UP_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    restarts = (
        up.get("max_restarts", DEFAULT_MAX_RESTARTS) if max_restarts is None else max_restarts
    )
    if isinstance(restarts, bool) or not isinstance(restarts, int) or restarts < 0:
        raise ConfigError(f"{where}: max_restarts must be an integer of at least 0")
    stop_timeout = up.get("stop_timeout", DEFAULT_STOP_TIMEOUT)
    if isinstance(stop_timeout, bool) or not isinstance(stop_timeout, int | float):
        raise ConfigError(f"{where}: stop_timeout must be a number of seconds")
    if not 0.1 <= stop_timeout <= 300:
        raise ConfigError(f"{where}: stop_timeout must be from 0.1 to 300 seconds")
    run_server = _flag(up, "server", where, default=True) if server is None else server
    run_hooks = _flag(up, "hooks", where, default="hooks" in raw) if hooks is None else hooks

    children: list[ChildSpec] = []
    warnings: list[str] = []
    home_args = ("--home", str(home.root))
    if run_server:
        children.append(_server_child(home, home_args, warnings))
    proxy = _table(raw, "proxy", f"{path}: [proxy]")
    if "http" in proxy:
        children.append(_http_child(home, home_args, warnings))
    if "pg" in proxy or "pg" in up:
        children.append(_pg_child(home, up.get("pg", {}), home_args, warnings))
    if run_hooks:
        children.append(_hooks_child(home, home_args))
    _no_shared_ports(path, children)
    return Plan(home, tuple(children), restarts, float(stop_timeout), tuple(warnings))


def _server_child(home: Home, home_args: tuple[str, ...], warnings: list[str]) -> ChildSpec:
    from interlock.server._settings import load_server_settings  # not the app: fast

    settings = load_server_settings(home.config_path)
    _fixed_port(settings.port, f"{home.config_path}: [server] listen")
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


def _http_child(home: Home, home_args: tuple[str, ...], warnings: list[str]) -> ChildSpec:
    from interlock.proxy.http import load_proxy_config

    config = load_proxy_config(home.config_path)
    where = f"{home.config_path}: [proxy.http]"
    if not config.routes:
        raise ConfigError(f"{where}: no [proxy.http.routes.NAME] configured: nothing to front")
    _fixed_port(config.port, f"{where} listen")
    _routes_resolve(home, config.routes)
    if config.host not in LOOPBACK:
        warnings.append(f"the HTTP proxy listens on {config.host}, not loopback")
    prefixes = ", ".join(route.prefix for route in config.routes.values())
    return ChildSpec(
        "proxy-http",
        ("proxy", "http", *home_args),
        f"http://{_url_host(config.host)}:{config.port}",
        Probe("tcp", _probe_host(config.host), config.port),
        f"routes {prefixes}",
    )


def _routes_resolve(home: Home, routes: Mapping[str, Any]) -> None:
    """The checks the proxy makes at start, without revealing any credential: each route
    names a known resource and has an upstream."""
    from interlock.identity import ResourceRegistry
    from interlock.identity._state import IdentityState

    state = IdentityState(home.database)
    try:
        records = {r.resource.name: r for r in ResourceRegistry(state).resources()}
    finally:
        state.close()
    configured = home.load_config().resources
    for name, route in routes.items():
        at = f"{home.config_path}: [proxy.http.routes.{name}]"
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


def _pg_child(home: Home, spec: Any, home_args: tuple[str, ...], warnings: list[str]) -> ChildSpec:
    from interlock.proxy.pg import tls_context
    from interlock.proxy.pg._login import load_settings

    load_settings(home.config_path)  # [proxy.pg]: the limits the child will apply
    where = f"{home.config_path}: [up.pg]"
    if not isinstance(spec, dict):
        raise ConfigError(f"{where} must be a table")
    unknown = set(spec) - _UP_PG_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    listen = spec.get("listen", DEFAULT_PG_LISTEN)
    if not isinstance(listen, str):
        raise ConfigError(f'{where}: listen must be "HOST:PORT"')
    host, _, port_text = listen.rpartition(":")
    if not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigError(f'{where}: listen must be "HOST:PORT" (e.g. "{DEFAULT_PG_LISTEN}")')
    port = int(port_text)
    cleartext = _flag(spec, "allow_cleartext_on_loopback", where, default=False)
    cert, key = spec.get("tls_cert", ""), spec.get("tls_key", "")
    if not isinstance(cert, str) or not isinstance(key, str):
        raise ConfigError(f"{where}: tls_cert and tls_key must be file names")
    if bool(cert) != bool(key):
        raise ConfigError(f"{where}: give both tls_cert and tls_key")
    args = ["proxy", "pg", *home_args, "--listen", listen]
    if cert:
        cert_path, key_path = home.config_path.parent / cert, home.config_path.parent / key
        try:
            tls_context(cert_path, key_path)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{where}: cannot load tls_cert/tls_key ({exc})") from None
        args += ["--tls-cert", str(cert_path), "--tls-key", str(key_path)]
        mode = "TLS"
    elif cleartext:
        if host.strip("[]") not in LOOPBACK:
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
    if host.strip("[]") not in LOOPBACK:
        warnings.append(f"the PostgreSQL proxy listens on {host}, not loopback")
    return ChildSpec(
        "proxy-pg",
        tuple(args),
        f"postgresql://{host}:{port}",
        Probe("tcp", _probe_host(host.strip("[]")), port),
        mode,
    )


def _hooks_child(home: Home, home_args: tuple[str, ...]) -> ChildSpec:
    from interlock.hooks import load_hook_settings, socket_path

    settings = load_hook_settings(home.config_path)
    path = socket_path(home)
    return ChildSpec(
        "hooks",
        ("hooks", "serve", *home_args),
        f"unix:{path}",
        Probe("unix", path=str(path)),
        f"environment {settings.environment}",
    )


def _read(path: Path) -> Mapping[str, Any]:
    try:
        return tomllib.loads(path.read_text())
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


def _table(raw: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a table")
    return value


def _flag(table: Mapping[str, Any], key: str, where: str, *, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: {key} must be true or false")
    return value


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
