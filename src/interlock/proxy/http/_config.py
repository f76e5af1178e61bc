"""`[proxy.http]` in interlock.toml: where the proxy listens and the routes it fronts.

[proxy.http]
listen = "127.0.0.1:8181"        # loopback by default
max_body = 1048576               # bytes read to classify a request; larger is a 413
connect_timeout = 5              # seconds, to the upstream
timeout = 60                     # seconds between bytes from the upstream
max_wait = 300                   # the longest `Prefer: wait=N` honoured
approval_ttl = 3600              # seconds a held request can be approved, then used

[proxy.http.routes.railway]      # the route's name: the registered resource by default
resource = "railway"
prefix = "/railway"              # default: "/<name>"
upstream = "https://backboard.railway.app"   # default: the resource's registered upstream
classify_host = "backboard.railway.app"      # the host the classifier's packs see
credential_header = "Authorization"
credential_format = "Bearer {credential}"
wait = 0                         # hold held requests open this long (Prefer: wait wins)
delay = 0                        # seconds an allowed destructive call waits, cancellable
ca_file = ""                     # extra CA bundle for a private upstream

[[proxy.http.routes.railway.before]]         # run first when `operation` is allowed
operation = "graphql:volumeDelete"           # with a snapshot safeguard; failure refuses
method = "POST"
path = "/graphql/v2"
body = '{"query": "mutation { volumeSnapshotCreate(volumeId: \\"{target}\\") { id } }"}'
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from interlock.errors import ConfigError

DEFAULT_LISTEN = "127.0.0.1:8181"
DEFAULT_MAX_BODY = 1024 * 1024


@dataclass(frozen=True, slots=True)
class BeforeHook:
    """A request sent to the upstream (with the real credential) before an allowed action."""

    operation: str
    method: str
    path: str
    body: str = ""
    content_type: str = "application/json"


@dataclass(frozen=True, slots=True)
class RouteConfig:
    name: str
    resource: str
    prefix: str
    upstream: str = ""
    classify_host: str = ""
    credential_header: str = "Authorization"
    credential_format: str = "Bearer {credential}"
    wait: float = 0.0
    delay: float = 0.0
    ca_file: str = ""
    before: tuple[BeforeHook, ...] = ()


@dataclass(frozen=True, slots=True)
class ProxyConfig:
    host: str = "127.0.0.1"
    port: int = 8181
    max_body: int = DEFAULT_MAX_BODY
    connect_timeout: float = 5.0
    timeout: float = 60.0
    max_wait: float = 300.0
    approval_ttl: float = 3600.0
    routes: Mapping[str, RouteConfig] = field(default_factory=dict)


_PROXY_KEYS = {"listen", "max_body", "connect_timeout", "timeout", "max_wait", "approval_ttl"}
_ROUTE_KEYS = {
    "resource",
    "prefix",
    "upstream",
    "classify_host",
    "credential_header",
    "credential_format",
    "wait",
    "delay",
    "ca_file",
    "before",
}


def load_proxy_config(config_path: Path) -> ProxyConfig:
    """Read `[proxy.http]`; raises `ConfigError` naming the file, table and key."""
    try:
        raw = tomllib.loads(config_path.read_text())
    except OSError as exc:
        raise ConfigError(f"{config_path}: cannot read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_path}: not valid TOML ({exc})") from None
    proxy = raw.get("proxy", {})
    table = proxy.get("http", {}) if isinstance(proxy, dict) else None
    return proxy_config_from(table, f"{config_path}: [proxy.http]")


def proxy_config_from(table: Any, where: str = "[proxy.http]") -> ProxyConfig:
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    unknown = set(table) - _PROXY_KEYS - {"routes"}
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    host, port = _listen(table.get("listen", DEFAULT_LISTEN), where)
    routes_table = table.get("routes", {})
    if not isinstance(routes_table, dict):
        raise ConfigError(f"{where}: routes must be a table of [proxy.http.routes.NAME]")
    routes = {name: _route(name, spec, where) for name, spec in routes_table.items()}
    prefixes = [r.prefix for r in routes.values()]
    if len(set(prefixes)) != len(prefixes):
        raise ConfigError(f"{where}: two routes have the same prefix")
    return ProxyConfig(
        host=host,
        port=port,
        max_body=_number(table, "max_body", DEFAULT_MAX_BODY, where, minimum=1024, integer=True),
        connect_timeout=_number(table, "connect_timeout", 5.0, where, minimum=0.1),
        timeout=_number(table, "timeout", 60.0, where, minimum=0.1),
        max_wait=_number(table, "max_wait", 300.0, where, minimum=0),
        approval_ttl=_number(table, "approval_ttl", 3600.0, where, minimum=1),
        routes=routes,
    )


def _listen(value: Any, where: str) -> tuple[str, int]:
    if not isinstance(value, str) or ":" not in value:
        raise ConfigError(f'{where}: listen must be "HOST:PORT" (e.g. "{DEFAULT_LISTEN}")')
    host, _, port = value.rpartition(":")
    if not port.isdigit() or not 0 <= int(port) < 65536:
        raise ConfigError(f"{where}: listen port must be a number from 0 to 65535")
    return host.strip("[]") or "127.0.0.1", int(port)


def _number(
    table: Mapping[str, Any],
    key: str,
    default: float,
    where: str,
    *,
    minimum: float,
    integer: bool = False,
) -> Any:
    value = table.get(key, default)
    ok = isinstance(value, int) or (not integer and isinstance(value, float))
    if isinstance(value, bool) or not ok or float(value) < minimum:
        kind = "an integer" if integer else "a number"
        raise ConfigError(f"{where}: {key} must be {kind} of at least {minimum:g}")
    return value if integer else float(value)


def _route(name: str, spec: Any, where: str) -> RouteConfig:
    at = f"{where.replace('[proxy.http]', '')}[proxy.http.routes.{name}]".strip()
    if not isinstance(spec, dict):
        raise ConfigError(f"{at} must be a table")
    unknown = set(spec) - _ROUTE_KEYS
    if unknown:
        raise ConfigError(f"{at}: unknown key(s) {', '.join(sorted(unknown))}")
    strings = {}
    for key in (
        "resource",
        "prefix",
        "upstream",
        "classify_host",
        "credential_header",
        "credential_format",
        "ca_file",
    ):
        value = spec.get(key, "")
        if not isinstance(value, str):
            raise ConfigError(f"{at}: {key} must be a string")
        strings[key] = value.strip()
    prefix = "/" + (strings["prefix"] or name).strip("/")
    upstream = strings["upstream"].rstrip("/")
    if upstream:
        parts = urlsplit(upstream)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"{at}: upstream must be an http:// or https:// URL")
        if parts.password is not None or parts.query:
            raise ConfigError(
                f"{at}: upstream must not carry a password or query: credentials are sealed "
                "with `interlock resource add --credential-…`"
            )
    fmt = strings["credential_format"] or "Bearer {credential}"
    if "{credential}" not in fmt:
        raise ConfigError(f"{at}: credential_format must contain {{credential}}")
    before = spec.get("before", [])
    if not isinstance(before, list):
        raise ConfigError(f"{at}: before must be an array of tables ([[...before]])")
    return RouteConfig(
        name=name,
        resource=strings["resource"] or name,
        prefix=prefix,
        upstream=upstream,
        classify_host=strings["classify_host"],
        credential_header=strings["credential_header"] or "Authorization",
        credential_format=fmt,
        wait=_number(spec, "wait", 0.0, at, minimum=0),
        delay=_number(spec, "delay", 0.0, at, minimum=0),
        ca_file=strings["ca_file"],
        before=tuple(_before(item, f"{at} before #{i + 1}") for i, item in enumerate(before)),
    )


def _before(spec: Any, at: str) -> BeforeHook:
    if not isinstance(spec, dict) or set(spec) - {
        "operation",
        "method",
        "path",
        "body",
        "content_type",
    }:
        raise ConfigError(f"{at}: expected operation, method, path, body, content_type")
    values = {k: spec.get(k, "") for k in ("operation", "method", "path", "body", "content_type")}
    if not all(isinstance(v, str) for v in values.values()):
        raise ConfigError(f"{at}: every key must be a string")
    if not values["operation"] or not values["path"].startswith("/"):
        raise ConfigError(f"{at}: operation and an absolute path are required")
    return BeforeHook(
        operation=values["operation"],
        method=(values["method"] or "POST").upper(),
        path=values["path"],
        body=values["body"],
        content_type=values["content_type"] or "application/json",
    )
