"""`[proxy.http]` in interlock.toml: where the proxy listens and the routes it fronts.

The table is read and checked by `interlock.config` (its shape, defaults and messages are
there, and in docs/configuration.md); this module keeps the proxy's names for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from interlock.config import (
    BeforeHook,
    ProxyConfig,
    RouteConfig,
    proxy_http_from,
    read_config,
)

__all__ = [
    "BeforeHook",
    "ProxyConfig",
    "RouteConfig",
    "http_resource_names",
    "load_fronted_config",
    "load_proxy_config",
    "proxy_config_from",
    "with_default_routes",
]

if TYPE_CHECKING:
    from interlock.home import Home

_TABLE = "[proxy.http]"


def load_proxy_config(config_path: Path) -> ProxyConfig:
    """Read `[proxy.http]`; raises `ConfigError` naming the file, table and key."""
    return read_config(config_path).proxy_http


def proxy_config_from(table: Any, where: str = _TABLE) -> ProxyConfig:
    """`[proxy.http]` from a table already in hand (`where` names it in messages)."""
    prefix = where.removesuffix(_TABLE) if where.endswith(_TABLE) else f"{where}: "
    return proxy_http_from(table, prefix)


def with_default_routes(config: ProxyConfig, http_resources: Iterable[str]) -> ProxyConfig:
    """Every registered HTTP resource fronted at `/<name>`, unless a route already does.

    `[proxy.http.routes.NAME]` only overrides: a resource a route already names (or whose
    name or `/<name>` prefix a route already takes) keeps that route. So the proxy works
    right after `interlock resource add --kind http --upstream URL`, with nothing written
    by hand.
    """
    routes = dict(config.routes)
    fronted = {r.resource for r in routes.values()}
    prefixes = {r.prefix for r in routes.values()}
    for name in sorted(http_resources):
        prefix = "/" + name.strip("/")
        if name in fronted or name in routes or prefix in prefixes:
            continue
        routes[name] = RouteConfig(name=name, resource=name, prefix=prefix)
        prefixes.add(prefix)
    return replace(config, routes=MappingProxyType(routes))


def http_resource_names(home: Home) -> list[str]:
    """The HTTP resources of a home: registered (`interlock resource add --kind http`) or
    declared under `[resources.NAME]` with `kind = "http"`."""
    from interlock.identity import registered_resources

    catalogue = {**registered_resources(home), **home.load_config().resources}
    return sorted(name for name, resource in catalogue.items() if resource.kind == "http")


def load_fronted_config(home: Home) -> ProxyConfig:
    """`[proxy.http]` of a home with every HTTP resource fronted (`with_default_routes`)."""
    return with_default_routes(load_proxy_config(home.config_path), http_resource_names(home))
