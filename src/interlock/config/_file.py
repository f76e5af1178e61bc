"""interlock.toml read once: the whole file parsed, each table typed when first asked for.

Parsing is done once per file content (the text is read again on each look, which is cheap,
and a changed file is parsed again). Tables are checked when a component first asks for
them, so a mistake in `[proxy.http]` stops the HTTP proxy, not the hooks; `Config.check()`
checks every table (what `interlock up --check` does). A table or key the loader does not
know is refused, as is a file that is not UTF-8 TOML: always as one `ConfigError` naming
the file and the table.
"""

from __future__ import annotations

import threading
import tomllib
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from interlock.config._approvals import APPROVALS, approvals_from
from interlock.config._baseline import (
    BASELINE,
    BREAKER,
    baseline_from,
    breaker_from,
)
from interlock.config._core import (
    AUDIT,
    AUDIT_WITNESS,
    POLICIES,
    RESOURCE,
    AuditSettings,
    PolicySettings,
    audit_from,
    policies_from,
    resource_addresses,
    resources_from,
)
from interlock.config._enforcement import ENFORCEMENT, enforcement_from
from interlock.config._hooks import HOOKS, PRODUCTION_MARKER, hooks_from
from interlock.config._identity import IDENTITY, identity_from
from interlock.config._proxy_http import BEFORE, PROXY_HTTP, ROUTE, proxy_http_from
from interlock.config._proxy_pg import PG_AGENT, PG_RESOURCE, PROXY_PG, proxy_pg_from
from interlock.config._server import SERVER, server_from
from interlock.config._slack import SLACK, SLACK_USER, SlackSettings, slack_from
from interlock.config._up import UP, UP_PG, up_from
from interlock.config._values import Shape, Table
from interlock.config._vault import VAULT, VAULT_RESOURCE, vault_from
from interlock.config._webhooks import WEBHOOK, webhooks_from
from interlock.errors import ConfigError

TABLES = (
    "policies",
    "audit",
    "resources",
    "approvals",
    "hooks",
    "proxy",
    "server",
    "webhooks",
    "identity",
    "up",
    "baseline",
    "breaker",
    "enforcement",
    "vault",
    "slack",
)
PROXY = Shape("proxy", {}, nested=("http", "pg"))

SHAPES: tuple[Shape, ...] = (
    POLICIES,
    AUDIT,
    AUDIT_WITNESS,
    RESOURCE,
    APPROVALS,
    HOOKS,
    PRODUCTION_MARKER,
    PROXY_HTTP,
    ROUTE,
    BEFORE,
    PROXY_PG,
    PG_AGENT,
    PG_RESOURCE,
    SERVER,
    WEBHOOK,
    IDENTITY,
    UP,
    UP_PG,
    BASELINE,
    BREAKER,
    ENFORCEMENT,
    VAULT,
    VAULT_RESOURCE,
    SLACK,
    SLACK_USER,
)
"""Every table the loader accepts (what docs/configuration.md must document)."""

SECTIONS = tuple(
    section
    for table in TABLES
    for section in ([f"proxy_{n}" for n in PROXY.nested] if table == "proxy" else [table])
)
"""The typed sections of a `Config`, by attribute name."""

T = TypeVar("T")

_CACHE_SIZE = 32
_cache: OrderedDict[Path, tuple[str, Config]] = OrderedDict()
_cache_lock = threading.Lock()


def _section(
    reader: Callable[[Any, str], T], *keys: str, missing: Callable[[], Any] = dict
) -> cached_property[T]:
    """A `Config` section: the table at `keys` typed and checked by `reader`, once per file."""

    def read(config: Config) -> T:
        return reader(config._table(*keys, missing=missing), config._prefix)

    return cached_property(read)


@dataclass(frozen=True)
class Config:
    """One interlock.toml: the parsed document and its tables, typed and checked on first use.

    (Not slotted: the sections are cached properties, computed once per parsed file.)
    """

    path: Path
    document: Mapping[str, Any] = field(repr=False, compare=False)

    # -- the core every command of a home uses

    @cached_property
    def policies(self) -> PolicySettings:
        return policies_from(self._table("policies"), self._prefix, self.path.parent)

    @cached_property
    def audit(self) -> AuditSettings:
        return audit_from(self._table("audit"), self._prefix, self.path.parent)

    resources = _section(resources_from, "resources")

    @cached_property
    def resource_addresses(self) -> Mapping[str, tuple[str, tuple[str, ...]]]:
        """`upstream` and `targets` of each `[resources.NAME]` (for the target resolver)."""
        return resource_addresses(self._table("resources"), self._prefix)

    @property
    def policy_paths(self) -> tuple[Path, ...]:
        return self.policies.paths

    @property
    def checkpoint_every(self) -> int:
        return self.audit.checkpoint_every

    # -- one table per component

    approvals = _section(approvals_from, "approvals")
    hooks = _section(hooks_from, "hooks")
    proxy_http = _section(proxy_http_from, "proxy", "http")
    proxy_pg = _section(proxy_pg_from, "proxy", "pg")
    server = _section(server_from, "server")
    webhooks = _section(webhooks_from, "webhooks", missing=list)
    identity = _section(identity_from, "identity")
    up = _section(up_from, "up")
    baseline = _section(baseline_from, "baseline")
    breaker = _section(breaker_from, "breaker")
    enforcement = _section(enforcement_from, "enforcement")
    vault = _section(vault_from, "vault")

    @cached_property
    def slack(self) -> SlackSettings:
        return slack_from(self._table("slack"), self._prefix, present="slack" in self.document)

    # -- the file as a whole

    def has(self, table: str) -> bool:
        """Whether the file has `table` (dotted: `proxy.http`), whatever is in it."""
        node: Any = self.document
        for part in table.split("."):
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return True

    def check(self, *sections: str) -> Config:
        """Check `sections` (attribute names; all of `SECTIONS` when none); returns self."""
        for name in sections or SECTIONS:
            getattr(self, name)
        return self

    @property
    def _prefix(self) -> str:
        return f"{self.path}: "

    def _table(self, *keys: str, missing: Callable[[], Any] = dict) -> Any:
        """The table at `keys` (`"proxy", "http"`: `[proxy.http]`); `missing()` where absent."""
        node: Any = self.document
        for key in keys[:-1]:
            node = node.get(key, {})
        return node.get(keys[-1]) if keys[-1] in node else missing()


def parse_config(text: str, path: Path) -> Config:
    """`text` as the interlock.toml at `path` (which names it in errors and anchors relative
    paths). Only the file's outline is checked here; each table when it is first used."""
    try:
        document = tomllib.loads(text)
    except ValueError as exc:  # TOMLDecodeError, and integers longer than Python converts
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid TOML (nested too deeply)") from None
    unknown = set(document) - set(TABLES)
    if unknown:
        raise ConfigError(
            f"{path}: unknown key(s) {', '.join(sorted(unknown))} "
            f"(the tables are {', '.join(TABLES)})"
        )
    if "proxy" in document:
        Table.named(document["proxy"], PROXY, f"{path}: ")
    return Config(path, document)


def read_config(path: Path) -> Config:
    """The interlock.toml at `path`, parsed once per content."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML (not UTF-8 text at byte {exc.start})") from None
    with _cache_lock:
        cached = _cache.get(path)
        if cached is not None and cached[0] == text:
            _cache.move_to_end(path)
            return cached[1]
    config = parse_config(text, path)
    with _cache_lock:
        _cache[path] = (text, config)
        _cache.move_to_end(path)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return config
