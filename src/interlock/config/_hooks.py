"""`[hooks]`: what the coding-agent hooks assume about the commands they see.

The environment of a shell command is not visible to a hook, so it comes from here (default
production: fail closed), with markers that make a command production whatever it says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from interlock.config._values import Shape, Table

DEFAULT_READ_LIMIT = 1_000_000
DEFAULT_BUDGET_SECONDS = 2.0
DEFAULT_ASK_TTL = 300.0
DEFAULT_SNAPSHOT_LIMIT = 64 * 1024 * 1024

HOOKS = Shape(
    "hooks",
    {
        "environment": "production",
        "agent": None,
        "read_limit": DEFAULT_READ_LIMIT,
        "budget_seconds": DEFAULT_BUDGET_SECONDS,
        "ask_outside_production": False,
        "ask_ttl": DEFAULT_ASK_TTL,
        "snapshot_limit": DEFAULT_SNAPSHOT_LIMIT,
        "workspace_environment": "production",
    },
    nested=("production_markers",),
)
PRODUCTION_MARKER = Shape("hooks.production_markers", {"contains": "", "variable": ""}, array=True)


@dataclass(frozen=True, slots=True)
class ProductionMarker:
    """A declaration that a command or tool call touching something is production.

    `contains`: a substring (a host name, a database name); `variable`: an environment
    variable name whose use (`$NAME` / `${NAME}`) marks the command as production.
    """

    contains: str = ""
    variable: str = ""

    def matches(self, text: str) -> bool:
        if self.contains and self.contains in text:
            return True
        if self.variable:
            return f"${self.variable}" in text or f"${{{self.variable}}}" in text
        return False


@dataclass(frozen=True, slots=True)
class HookSettings:
    """The `[hooks]` table of interlock.toml."""

    environment: str = "production"
    agent: str | None = None
    production_markers: tuple[ProductionMarker, ...] = ()
    read_limit: int = DEFAULT_READ_LIMIT
    budget_seconds: float = DEFAULT_BUDGET_SECONDS
    ask_outside_production: bool = False
    ask_ttl: float = DEFAULT_ASK_TTL
    snapshot_limit: int = DEFAULT_SNAPSHOT_LIMIT  # bytes a local snapshot may hold
    # The environment of the workspace and temporary directories (the home directory and the
    # system stay production): `development` on a developer machine lets destructive work in
    # the workspace run after a snapshot the vault keeps, instead of waiting for a human.
    workspace_environment: str = "production"

    def may_ask(self, environment: str) -> bool:
        """Whether a hold may become the host's own "ask": never on production (hosts
        auto-approve asks in their auto modes and deny them headless), and elsewhere only
        when configured."""
        return self.ask_outside_production and environment != "production"

    def environment_for(self, text: str) -> str:
        if any(marker.matches(text) for marker in self.production_markers):
            return "production"
        return self.environment


def hooks_from(value: Any, prefix: str) -> HookSettings:
    table = Table.named(value, HOOKS, prefix)
    return HookSettings(
        environment=table.string("environment", non_empty=True),
        agent=table.optional_string("agent"),
        production_markers=tuple(
            _marker(item) for item in table.array("production_markers", PRODUCTION_MARKER)
        ),
        read_limit=table.integer("read_limit", minimum=1024, unit="bytes"),
        budget_seconds=table.number("budget_seconds", minimum=0.05, maximum=30, unit="seconds"),
        ask_outside_production=table.flag("ask_outside_production"),
        ask_ttl=table.number("ask_ttl", minimum=10, maximum=86400, unit="seconds"),
        snapshot_limit=table.integer("snapshot_limit", minimum=1024, unit="bytes"),
        workspace_environment=table.string("workspace_environment", non_empty=True),
    )


def _marker(table: Table) -> ProductionMarker:
    contains, variable = table.string("contains"), table.string("variable")
    if not contains and not variable:
        raise table.fail("give `contains` or `variable`")
    return ProductionMarker(contains, variable)
