"""`[vault]` and `[vault.resources.NAME]`: where safeguards keep their snapshots, for how long,
and how large and slow a snapshot may be before the statement is held instead."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from interlock.config._values import Shape, Table

DEFAULT_RETENTION_DAYS = 30
DEFAULT_MAX_SNAPSHOT_MB = 512
DEFAULT_SNAPSHOT_TIMEOUT = 120
BACKENDS = ("directory", "s3")
MIN_DRILL_SECONDS = 60

VAULT = Shape(
    "vault",
    {
        "path": None,
        "retention_days": DEFAULT_RETENTION_DAYS,
        "max_snapshot_mb": DEFAULT_MAX_SNAPSHOT_MB,
        "snapshot_timeout": DEFAULT_SNAPSHOT_TIMEOUT,
        "pg_dump": "pg_dump",
        "backend": "directory",
        "s3_bucket": "",
        "s3_prefix": "",
        "s3_endpoint": "",
        "s3_region": "",
        "drill_every": "",
    },
    nested=("resources",),
)
VAULT_RESOURCE = Shape("vault.resources.NAME", {"retention_days": None})


@dataclass(frozen=True, slots=True)
class VaultSettings:
    """`[vault]`: `path` "" means the home's `state/vault` (relative paths are relative to
    interlock.toml); `retention` maps a resource name to its own retention in days."""

    path: str = ""
    retention_days: int = DEFAULT_RETENTION_DAYS
    max_snapshot_mb: int = DEFAULT_MAX_SNAPSHOT_MB
    snapshot_timeout: float = DEFAULT_SNAPSHOT_TIMEOUT
    pg_dump: str = "pg_dump"
    retention: dict[str, int] = field(default_factory=dict)
    backend: str = "directory"  # directory | s3
    s3_bucket: str = ""
    s3_prefix: str = ""
    s3_endpoint: str = ""
    s3_region: str = ""
    drill_every: str = ""  # "" (off) or a duration: `interlock up` runs drills that often


def vault_from(value: Any, prefix: str) -> VaultSettings:
    table = Table.named(value, VAULT, prefix)
    retention = {
        name: spec.integer("retention_days", minimum=1, unit="days")
        for name, spec in table.named_tables("resources", VAULT_RESOURCE)
    }
    backend = table.string("backend")
    if backend not in BACKENDS:
        raise table.bad("backend", f"must be one of {', '.join(BACKENDS)}")
    bucket = table.string("s3_bucket")
    if backend == "s3" and not bucket.strip():
        raise table.bad("s3_bucket", 'must name the bucket when backend = "s3"')
    return VaultSettings(
        path=table.string("path"),
        retention_days=table.integer("retention_days", minimum=1, unit="days"),
        max_snapshot_mb=table.integer("max_snapshot_mb", minimum=1, unit="MB"),
        snapshot_timeout=table.number("snapshot_timeout", minimum=1, maximum=3600, unit="seconds"),
        pg_dump=table.string("pg_dump", non_empty=True),
        retention=retention,
        backend=backend,
        s3_bucket=bucket,
        s3_prefix=table.string("s3_prefix"),
        s3_endpoint=table.string("s3_endpoint"),
        s3_region=table.string("s3_region"),
        drill_every=_every(table),
    )


def _every(table: Table) -> str:
    text = table.string("drill_every").strip()
    if text and table.duration("drill_every", example="24h") < MIN_DRILL_SECONDS:
        raise table.bad("drill_every", "must be at least 1m")
    return text
