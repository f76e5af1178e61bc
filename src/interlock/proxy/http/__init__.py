"""The HTTP/GraphQL enforcement proxy: agents send requests with their Interlock token, the
proxy classifies and decides each one before a byte goes upstream, injects the resource's
real credential, and records the decision before and the outcome after. See
docs/proxy-http.md.

    _config    `[proxy.http]` in interlock.toml
    _routes    which resource a path addresses; the before hooks (snapshots)
    _headers   header rewriting (token out, credential in), the credential scrubber
    _action    what the gate is asked about a request (classifier payload, summary)
    _replies   what the agent is told
    _exchange  one request as a state machine: events in, commands (_commands) out
    _enforce   the HTTP side of the pipeline (interlock.enforce): routes, tokens, hooks
    _batch     group commit of decision records
    _server    the asyncio shell (aiohttp server and client): carries out the commands
"""

from interlock.proxy.http._config import (
    BeforeHook,
    ProxyConfig,
    RouteConfig,
    http_resource_names,
    load_fronted_config,
    load_proxy_config,
    proxy_config_from,
    with_default_routes,
)
from interlock.proxy.http._enforce import Enforcer
from interlock.proxy.http._headers import CredentialScrubber
from interlock.proxy.http._routes import Route, match_route
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
    "http_resource_names",
    "load_fronted_config",
    "load_proxy_config",
    "match_route",
    "proxy_config_from",
    "serve",
    "with_default_routes",
]
