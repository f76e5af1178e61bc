"""The HTTP/GraphQL enforcement proxy: agents send requests with their Interlock token, the
proxy classifies and decides each one before a byte goes upstream, injects the resource's
real credential, and records the decision before and the outcome after. See
docs/proxy-http.md.

    _config    `[proxy.http]` in interlock.toml
    _exchange  sans-I/O: routes, headers, the credential scrubber, what the agent is told
    _enforce   the one point that asks the gate (and the approval store)
    _server    the asyncio shell (aiohttp server and client)
"""

from interlock.proxy.http._config import (
    BeforeHook,
    ProxyConfig,
    RouteConfig,
    load_proxy_config,
    proxy_config_from,
)
from interlock.proxy.http._enforce import Enforcer, Verdict
from interlock.proxy.http._exchange import CredentialScrubber, Route, match_route
from interlock.proxy.http._server import HttpProxy, ProxyThread, serve

__all__ = [
    "BeforeHook",
    "CredentialScrubber",
    "Enforcer",
    "HttpProxy",
    "ProxyConfig",
    "ProxyThread",
    "Route",
    "RouteConfig",
    "Verdict",
    "load_proxy_config",
    "match_route",
    "proxy_config_from",
    "serve",
]
