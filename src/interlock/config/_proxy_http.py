"""`[proxy.http]`: where the HTTP/GraphQL proxy listens and the routes it fronts.

[proxy.http]
listen = "127.0.0.1:8181"        # loopback by default
max_body = 1048576               # bytes read to classify a request; larger is a 413
connect_timeout = 5              # seconds, to the upstream
timeout = 60                     # seconds between bytes from the upstream
max_wait = 300                   # the longest `Prefer: wait=N` honoured
approval_ttl = 3600              # seconds a held request can be approved, then used
log_decisions = true             # one line per decision on standard output

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
# "{target}" as a whole JSON value: the target goes in typed (see docs/proxy-http.md)
body = '''{"query": "mutation S($id: String!) { volumeSnapshotCreate(volumeId: $id) { id } }",
          "variables": {"id": "{target}"}}'''
# export = "vault"                           # the answer (a backup download) is stored in
#                                            # Interlock's vault; "pg:RESOURCE": a pg_dump
# export_limit = 268435456                   # bytes the exported copy may hold
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from interlock.config._values import Shape, Table

DEFAULT_LISTEN = "127.0.0.1:8181"
DEFAULT_MAX_BODY = 1024 * 1024
DEFAULT_CREDENTIAL_HEADER = "Authorization"
DEFAULT_CREDENTIAL_FORMAT = "Bearer {credential}"
_DEFAULT_CONTENT_TYPE = "application/json"
DEFAULT_EXPORT_LIMIT = 256 * 1024 * 1024

PROXY_HTTP = Shape(
    "proxy.http",
    {
        "listen": DEFAULT_LISTEN,
        "max_body": DEFAULT_MAX_BODY,
        "connect_timeout": 5.0,
        "timeout": 60.0,
        "max_wait": 300.0,
        "approval_ttl": 3600.0,
        "log_decisions": True,
    },
    nested=("routes",),
)
ROUTE = Shape(
    "proxy.http.routes.NAME",
    {
        "resource": None,
        "prefix": None,
        "upstream": None,
        "classify_host": "",
        "credential_header": DEFAULT_CREDENTIAL_HEADER,
        "credential_format": DEFAULT_CREDENTIAL_FORMAT,
        "wait": 0.0,
        "delay": 0.0,
        "ca_file": "",
    },
    nested=("before",),
)
BEFORE = Shape(
    "proxy.http.routes.NAME.before",
    {
        "operation": None,
        "method": "POST",
        "path": None,
        "body": "",
        "content_type": _DEFAULT_CONTENT_TYPE,
        "export": "",
        "export_limit": DEFAULT_EXPORT_LIMIT,
    },
    array=True,
)


@dataclass(frozen=True, slots=True)
class BeforeHook:
    """A request sent to the upstream (with the real credential) before an allowed action."""

    operation: str
    method: str
    path: str
    body: str = ""
    content_type: str = _DEFAULT_CONTENT_TYPE
    export: str = ""  # "": the provider keeps the copy; "vault": the answer is stored; "pg:NAME"
    export_limit: int = DEFAULT_EXPORT_LIMIT


@dataclass(frozen=True, slots=True)
class RouteConfig:
    name: str
    resource: str
    prefix: str
    upstream: str = ""
    classify_host: str = ""
    credential_header: str = DEFAULT_CREDENTIAL_HEADER
    credential_format: str = DEFAULT_CREDENTIAL_FORMAT
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
    log_decisions: bool = True  # one line per decision on standard output


def proxy_http_from(value: Any, prefix: str) -> ProxyConfig:
    table = Table.named(value, PROXY_HTTP, prefix)
    host, port = table.listen("listen", example=DEFAULT_LISTEN)
    routes = {name: _route(name, spec) for name, spec in table.named_tables("routes", ROUTE)}
    prefixes = [r.prefix for r in routes.values()]
    if len(set(prefixes)) != len(prefixes):
        raise table.fail("two routes have the same prefix")
    return ProxyConfig(
        host=host,
        port=port,
        max_body=table.integer("max_body", minimum=1024),
        connect_timeout=table.number("connect_timeout", minimum=0.1),
        timeout=table.number("timeout", minimum=0.1),
        max_wait=table.number("max_wait", minimum=0),
        approval_ttl=table.number("approval_ttl", minimum=1),
        routes=MappingProxyType(routes),
        log_decisions=table.flag("log_decisions"),
    )


def _route(name: str, table: Table) -> RouteConfig:
    text = {
        key: table.string(key).strip()
        for key in (
            "resource",
            "prefix",
            "upstream",
            "classify_host",
            "credential_header",
            "credential_format",
            "ca_file",
        )
    }
    upstream = text["upstream"].rstrip("/")
    if upstream:
        parts = urlsplit(upstream)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise table.bad("upstream", "must be an http:// or https:// URL")
        if parts.password is not None or parts.query:
            raise table.bad(
                "upstream",
                "must not carry a password or query: credentials are sealed "
                "with `interlock resource add --credential-…`",
            )
    credential_format = text["credential_format"] or DEFAULT_CREDENTIAL_FORMAT
    if "{credential}" not in credential_format:
        raise table.bad("credential_format", "must contain {credential}")
    return RouteConfig(
        name=name,
        resource=text["resource"] or name,
        prefix="/" + (text["prefix"] or name).strip("/"),
        upstream=upstream,
        classify_host=text["classify_host"],
        credential_header=text["credential_header"] or DEFAULT_CREDENTIAL_HEADER,
        credential_format=credential_format,
        wait=table.number("wait", minimum=0),
        delay=table.number("delay", minimum=0),
        ca_file=text["ca_file"],
        before=tuple(_before(item) for item in table.array("before", BEFORE, name)),
    )


def _before(table: Table) -> BeforeHook:
    operation, path = table.string("operation"), table.string("path")
    export = table.string("export").strip()
    dump = export.startswith("pg:") and len(export) > 3
    if export not in ("", "vault") and not dump:
        raise table.bad(
            "export", 'must be "vault" or "pg:RESOURCE" (a registered postgres resource)'
        )
    if not operation or (not path.startswith("/") and not dump):
        raise table.fail("operation and an absolute path are required")
    return BeforeHook(
        operation=operation,
        method=(table.string("method") or "POST").upper(),
        path=path,
        body=table.string("body"),
        content_type=table.string("content_type") or _DEFAULT_CONTENT_TYPE,
        export=export,
        export_limit=table.integer("export_limit", minimum=1024, unit="bytes"),
    )
