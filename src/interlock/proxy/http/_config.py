"""`[proxy.http]` in interlock.toml: where the proxy listens and the routes it fronts.

The table is read and checked by `interlock.config` (its shape, defaults and messages are
there, and in docs/configuration.md); this module keeps the proxy's names for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
    "load_proxy_config",
    "proxy_config_from",
]

_TABLE = "[proxy.http]"


def load_proxy_config(config_path: Path) -> ProxyConfig:
    """Read `[proxy.http]`; raises `ConfigError` naming the file, table and key."""
    return read_config(config_path).proxy_http


def proxy_config_from(table: Any, where: str = _TABLE) -> ProxyConfig:
    """`[proxy.http]` from a table already in hand (`where` names it in messages)."""
    prefix = where.removesuffix(_TABLE) if where.endswith(_TABLE) else f"{where}: "
    return proxy_http_from(table, prefix)
