"""`[proxy.pg]`: the PostgreSQL proxy's limits, per agent and per resource.

Precedence: `[proxy.pg.agents.NAME]` over `[proxy.pg.resources.NAME]` over `[proxy.pg]`.
Where the proxy listens is not here: that is the command line (or `[up.pg]`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

from interlock.config._values import Shape, Table

DEFAULT_MAX_WAIT = 300.0
_T = TypeVar("_T")

_LIMITS: Mapping[str, object] = {
    "statement_timeout_ms": None,
    "row_limit": None,
    "wait_for_approval": None,
}
PROXY_PG = Shape(
    "proxy.pg",
    {
        **_LIMITS,
        "max_wait_for_approval": DEFAULT_MAX_WAIT,
        "log_decisions": True,
        "metrics_listen": "",
    },
    nested=("agents", "resources"),
)
PG_AGENT = Shape("proxy.pg.agents.NAME", _LIMITS)
PG_RESOURCE = Shape("proxy.pg.resources.NAME", _LIMITS)


@dataclass(frozen=True, slots=True)
class AgentLimits:
    """Per-agent (or per-resource) limits; None: not set here.

    `wait_for_approval`: seconds a held statement waits on the connection for a human's
    decision before the hold error is returned (0: answer at once, the agent retries).
    """

    statement_timeout_ms: int | None = None
    row_limit: int | None = None
    wait_for_approval: float | None = None

    def over(self, base: AgentLimits) -> AgentLimits:
        """These limits, with what they leave unset taken from `base`."""
        return AgentLimits(
            _first(self.statement_timeout_ms, base.statement_timeout_ms),
            _first(self.row_limit, base.row_limit),
            _first(self.wait_for_approval, base.wait_for_approval),
        )


def _first(value: _T | None, default: _T | None) -> _T | None:
    return value if value is not None else default


@dataclass(frozen=True, slots=True)
class ProxySettings:
    """`[proxy.pg]` of interlock.toml, with command-line overrides applied.

    Precedence: `[proxy.pg.agents.NAME]` over `[proxy.pg.resources.NAME]` over `[proxy.pg]`.
    `max_wait_for_approval` caps what a client asks for itself (`interlock.wait`).
    """

    defaults: AgentLimits = AgentLimits()
    agents: Mapping[str, AgentLimits] = field(default_factory=dict)
    resources: Mapping[str, AgentLimits] = field(default_factory=dict)
    max_wait_for_approval: float = DEFAULT_MAX_WAIT
    log_decisions: bool = True  # one line per decision on standard output
    metrics_listen: str = ""  # HOST:PORT of a Prometheus /metrics listener ("": none)

    def for_agent(self, name: str, resource: str = "") -> AgentLimits:
        limits = self.defaults
        own_resource = self.resources.get(resource)
        if own_resource is not None:
            limits = own_resource.over(limits)
        own = self.agents.get(name)
        if own is not None:
            limits = own.over(limits)
        return limits


def proxy_pg_from(value: Any, prefix: str) -> ProxySettings:
    table = Table.named(value, PROXY_PG, prefix)
    return ProxySettings(
        _limits(table),
        MappingProxyType(
            {name: _limits(spec) for name, spec in table.named_tables("agents", PG_AGENT)}
        ),
        MappingProxyType(
            {name: _limits(spec) for name, spec in table.named_tables("resources", PG_RESOURCE)}
        ),
        table.number("max_wait_for_approval", minimum=0, unit="seconds"),
        log_decisions=table.flag("log_decisions"),
        metrics_listen=_metrics_listen(table),
    )


def _metrics_listen(table: Table) -> str:
    text = table.string("metrics_listen").strip()
    if text:
        table.listen("metrics_listen", example="127.0.0.1:9188")  # checked, kept as text
    return text


def _limits(table: Table) -> AgentLimits:
    return AgentLimits(
        table.optional_integer("statement_timeout_ms", minimum=1),
        table.optional_integer("row_limit", minimum=1),
        table.optional_number("wait_for_approval", minimum=0, unit="seconds"),
    )
