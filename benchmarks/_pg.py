"""The home the PostgreSQL benchmarks share: one registered database and one agent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
PG_PORT = 5432


def pg_home(tmp: Path, database: str, environment: str, max_verb: str) -> tuple[Any, str]:
    """A fresh home under `tmp` with the resource `benchdb` (the local server's `database`,
    in `environment`) and an agent `bench` granted up to `max_verb`; the home and its token."""
    from interlock.home import init_home
    from interlock.identity import AgentRegistry, ResourceRegistry
    from interlock.model import Human, Verb

    admin = Human("bench", "admin")
    home, _ = init_home(tmp / ".interlock")
    ResourceRegistry.for_home(home).add(
        admin,
        "benchdb",
        kind="postgres",
        environment=environment,
        upstream=f"postgresql://postgres@{HOST}:{PG_PORT}/{database}",
        credential=None,
    )
    _, minted = AgentRegistry.for_home(home).create(
        admin,
        "bench",
        environments=[environment],
        task="benchmark",
        owner="bench",
        max_verb=Verb(max_verb),
    )
    return home, minted.token
