"""`[policies]`, `[audit]` and `[resources.NAME]`: what every command of a home reads."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from interlock.config._values import Shape, Table, named_tables
from interlock.model import Resource

DEFAULT_POLICY_PATHS = ("policies",)
DEFAULT_CHECKPOINT_EVERY = 100
DEFAULT_CHECKPOINT_INTERVAL = 5

POLICIES = Shape("policies", {"paths": list(DEFAULT_POLICY_PATHS)})
AUDIT = Shape(
    "audit",
    {
        "checkpoint_every": DEFAULT_CHECKPOINT_EVERY,
        "checkpoint_interval": DEFAULT_CHECKPOINT_INTERVAL,
        "key_fingerprint": None,
    },
    nested=("witness",),
)
AUDIT_WITNESS = Shape("audit.witness", {"directory": None, "webhook": None, "webhook_read": True})
_FINGERPRINT = re.compile(r"sha256:[0-9a-f]{64}")
RESOURCE = Shape(
    "resources.NAME",
    {
        "kind": "generic",
        "environment": "production",
        "tags": [],
        "owner": "",
        "upstream": "",
        "targets": [],
    },
)


@dataclass(frozen=True, slots=True)
class PolicySettings:
    """`[policies]`: where the active policies are, resolved against the file's folder."""

    paths: tuple[Path, ...]


@dataclass(frozen=True, slots=True)
class AuditSettings:
    """`[audit]` and `[audit.witness]`: checkpoints, the pinned key, the witnesses."""

    checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY
    checkpoint_interval: float = float(DEFAULT_CHECKPOINT_INTERVAL)
    key_fingerprint: str = ""  # "sha256:<64 hex>", pinned by `interlock init`
    witness_directory: Path | None = None  # resolved against the file's folder
    webhook: str = ""
    webhook_read: bool = True


def policies_from(value: Any, prefix: str, base: Path) -> PolicySettings:
    table = Table.named(value, POLICIES, prefix)
    return PolicySettings(tuple(base / p for p in table.strings("paths", non_empty=True)))


def audit_from(value: Any, prefix: str, base: Path) -> AuditSettings:
    table = Table.named(value, AUDIT, prefix)
    pin = table.string("key_fingerprint")
    if pin and not _FINGERPRINT.fullmatch(pin):
        raise table.bad("key_fingerprint", "must be 'sha256:' and 64 lowercase hex digits")
    witness = Table.named(table.values.get("witness", {}), AUDIT_WITNESS, prefix)
    directory = witness.optional_string("directory")
    webhook = witness.string("webhook").strip()
    if webhook and not webhook.startswith(("http://", "https://")):
        raise witness.bad("webhook", "must be an http:// or https:// URL")
    return AuditSettings(
        checkpoint_every=table.integer("checkpoint_every", minimum=1),
        checkpoint_interval=table.number(
            "checkpoint_interval", minimum=0.01, maximum=3600, unit="seconds"
        ),
        key_fingerprint=pin,
        witness_directory=None if directory is None else base / directory,
        webhook=webhook,
        webhook_read=witness.flag("webhook_read"),
    )


def resources_from(value: Any, prefix: str) -> Mapping[str, Resource]:
    tables = named_tables(value, RESOURCE, prefix, f"{prefix}[resources]")
    return MappingProxyType({name: _resource(name, table) for name, table in tables})


def resource_addresses(value: Any, prefix: str) -> Mapping[str, tuple[str, tuple[str, ...]]]:
    """Each file resource's `upstream` and declared `targets`, for the target resolver."""
    tables = named_tables(value, RESOURCE, prefix, f"{prefix}[resources]")
    out = {}
    for name, table in tables:
        upstream = table.string("upstream").strip()
        if "@" in upstream.partition("://")[2].partition("/")[0]:
            raise table.bad("upstream", "must not carry credentials (user:password@)")
        out[name] = (upstream, tuple(t.strip() for t in table.strings("targets") if t.strip()))
    return MappingProxyType(out)


def _resource(name: str, table: Table) -> Resource:
    tags = table.strings("tags")
    kind, environment, owner = (table.string(k) for k in ("kind", "environment", "owner"))
    table.string("upstream")  # where it is (matched by the target resolver; never a secret)
    table.strings("targets")
    return Resource(
        name=name, environment=environment, kind=kind, tags=frozenset(tags), owner=owner
    )
