"""interlock.toml, read in one place: the file parsed once, each table a typed, frozen value.

    read_config(path) -> Config        the file (parsed once per content)
    Config.policies / .audit / .resources          [policies], [audit], [resources.NAME]
    Config.approvals                               [approvals]      -> ApprovalSettings
    Config.hooks                                   [hooks]          -> HookSettings
    Config.proxy_http / .proxy_pg                  [proxy.http]     -> ProxyConfig
                                                   [proxy.pg]       -> ProxySettings
    Config.server                                  [server]         -> ServerSettings
    Config.webhooks                                [[webhooks]]     -> WebhookConfig, …
    Config.identity                                [identity]       -> IdentitySettings
    Config.up                                      [up], [up.pg]    -> UpSettings
    Config.baseline                                [baseline]       -> BaselineSettings
    Config.breaker                                 [breaker]        -> BreakerSettings
    Config.enforcement                             [enforcement]    -> EnforcementSettings
    Config.vault                                   [vault]          -> VaultSettings
    Config.check()                                 every table at once

Every problem is one `ConfigError` naming the file, the table and the key:
`/srv/.interlock/interlock.toml: [hooks]: read_limit must be an integer of at least 1024
(bytes)`. Unknown tables and keys are refused. `SHAPES` lists every table with its keys and
defaults; docs/configuration.md documents exactly those (a test keeps them together).

    _file        reading, parsing once, the `Config` of a file
    _values      `Shape`, `Table` and the value checks every table shares
    _core        [policies], [audit], [resources.NAME]
    _hooks, _proxy_http, _proxy_pg, _server, _webhooks, _identity, _up, _enforcement,
    _vault, _slack: one table each
"""

from interlock.config._approvals import ApprovalSettings
from interlock.config._baseline import BaselineSettings, BreakerSettings
from interlock.config._core import AuditSettings, PolicySettings
from interlock.config._enforcement import EnforcementSettings
from interlock.config._file import SECTIONS, SHAPES, TABLES, Config, parse_config, read_config
from interlock.config._hooks import (
    DEFAULT_BUDGET_SECONDS,
    DEFAULT_READ_LIMIT,
    HookSettings,
    ProductionMarker,
)
from interlock.config._identity import IdentitySettings
from interlock.config._proxy_http import DEFAULT_LISTEN as DEFAULT_HTTP_LISTEN
from interlock.config._proxy_http import (
    BeforeHook,
    ProxyConfig,
    RouteConfig,
    proxy_http_from,
)
from interlock.config._proxy_pg import AgentLimits, ProxySettings
from interlock.config._server import DEFAULT_PORT, ServerSettings
from interlock.config._slack import SlackSettings
from interlock.config._up import (
    DEFAULT_MAX_RESTARTS,
    DEFAULT_STOP_TIMEOUT,
    UpPgSettings,
    UpSettings,
)
from interlock.config._values import Shape, parse_duration, parse_listen, toml_literal
from interlock.config._vault import VaultSettings
from interlock.config._webhooks import (
    EVENTS,
    FORMATS,
    WebhookConfig,
    check_events,
    check_url,
)

__all__ = [
    "DEFAULT_BUDGET_SECONDS",
    "DEFAULT_HTTP_LISTEN",
    "DEFAULT_MAX_RESTARTS",
    "DEFAULT_PORT",
    "DEFAULT_READ_LIMIT",
    "DEFAULT_STOP_TIMEOUT",
    "EVENTS",
    "FORMATS",
    "SECTIONS",
    "SHAPES",
    "TABLES",
    "AgentLimits",
    "ApprovalSettings",
    "AuditSettings",
    "BaselineSettings",
    "BeforeHook",
    "BreakerSettings",
    "Config",
    "EnforcementSettings",
    "HookSettings",
    "IdentitySettings",
    "PolicySettings",
    "ProductionMarker",
    "ProxyConfig",
    "ProxySettings",
    "RouteConfig",
    "ServerSettings",
    "Shape",
    "SlackSettings",
    "UpPgSettings",
    "UpSettings",
    "VaultSettings",
    "WebhookConfig",
    "check_events",
    "check_url",
    "parse_config",
    "parse_duration",
    "parse_listen",
    "proxy_http_from",
    "read_config",
    "toml_literal",
]
