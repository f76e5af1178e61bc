"""`[policies]`, `[audit]` and `[resources.NAME]`: what every command of a home reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from interlock.config._values import Shape, Table, named_tables
from interlock.model import Resource

DEFAULT_POLICY_PATHS = ("policies",)
DEFAULT_CHECKPOINT_EVERY = 100

POLICIES = Shape("policies", {"paths": list(DEFAULT_POLICY_PATHS)})
AUDIT = Shape("audit", {"checkpoint_every": DEFAULT_CHECKPOINT_EVERY})
RESOURCE = Shape(
    "resources.NAME",
    {
        "kind": "generic",
        "environment": "production",
        "tags": [],
        "owner": "",
        "upstream": "",
    },
)


@dataclass(frozen=True, slots=True)
class PolicySettings:
    """`[policies]`: where the active policies are, resolved against the file's folder."""

    paths: tuple[Path, ...]


@dataclass(frozen=True, slots=True)
class AuditSettings:
    """`[audit]`."""

    checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY


def policies_from(value: Any, prefix: str, base: Path) -> PolicySettings:
    table = Table.named(value, POLICIES, prefix)
    return PolicySettings(tuple(base / p for p in table.strings("paths", non_empty=True)))


def audit_from(value: Any, prefix: str) -> AuditSettings:
    table = Table.named(value, AUDIT, prefix)
    return AuditSettings(table.integer("checkpoint_every", minimum=1))


def resources_from(value: Any, prefix: str) -> Mapping[str, Resource]:
    tables = named_tables(value, RESOURCE, prefix, f"{prefix}[resources]")
    return MappingProxyType({name: _resource(name, table) for name, table in tables})


def _resource(name: str, table: Table) -> Resource:
    tags = table.strings("tags")
    kind, environment, owner = (table.string(k) for k in ("kind", "environment", "owner"))
    table.string("upstream")  # accepted for old files; upstreams are registered (sealed)
    return Resource(
        name=name, environment=environment, kind=kind, tags=frozenset(tags), owner=owner
    )
