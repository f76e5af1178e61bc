"""Before hooks that export to Interlock's vault instead of only asking the provider.

A provider's own backup lives in the provider's account: the same blast radius as the
volume it copies (the incident lost both). A before hook with `export` keeps a copy where
the agent's action cannot reach:

    export = "vault"         the hook's answer (a backup download: GET …/backup) is the
                             snapshot: streamed into the vault, bounded by `export_limit`
    export = "pg:RESOURCE"   a pg_dump of the registered PostgreSQL resource RESOURCE (its
                             whole database) into the vault, instead of an HTTP call

Either way the snapshot's id goes into the `safeguard` audit record of the decision, and a
failure (the download fails, is larger than its limit, the dump cannot be taken) refuses
the action: nothing runs without the copy its policy asked for.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from interlock.home import Home
from interlock.proxy.http._config import BeforeHook

KIND = "http"
PG_PREFIX = "pg:"


class ExportFailed(Exception):
    """The copy could not be taken; the message says why (never a credential)."""


@dataclass(slots=True)
class Exports:
    """The home's vault (opened on first use) and the PostgreSQL sources `pg:` hooks dump."""

    home: Home
    sources: Mapping[str, Any] = field(default_factory=dict)  # resource → proxy.pg Source
    _vault: Any = None

    @classmethod
    def for_home(cls, home: Home, hooks: list[BeforeHook], registry: Any) -> Exports:
        """Every `pg:` resource the hooks name, with its credential revealed once."""
        from interlock.errors import ConfigError
        from interlock.proxy.pg import Source, parse_upstream, target_url

        sources: dict[str, Any] = {}
        for hook in hooks:
            if not hook.export.startswith(PG_PREFIX):
                continue
            name = hook.export.removeprefix(PG_PREFIX)
            records = {r.resource.name: r for r in registry.resources()}
            record = records.get(name)
            if record is None or record.resource.kind != "postgres" or not record.upstream:
                raise ConfigError(
                    f"before hook for {hook.operation}: export {hook.export!r} names no "
                    "registered postgres resource with an upstream"
                )
            target = parse_upstream(record.resource, record.upstream)
            password = registry.reveal_credential(name) if record.has_credential else None
            sources[name] = Source(target_url(target), password, max_bytes=hook.export_limit)
        return cls(home, sources)

    def vault(self) -> Any:
        if self._vault is None:
            from interlock.vault import open_vault

            self._vault = open_vault(self.home)
        return self._vault

    async def store(
        self, hook: BeforeHook, resource: str, labels: dict[str, Any], body: AsyncIterator[bytes]
    ) -> str:
        """The answer's body as one snapshot entry, bounded; its id."""
        blocks: list[bytes] = []
        size = 0
        async for block in body:
            size += len(block)
            if size > hook.export_limit:
                raise ExportFailed(
                    f"the download is larger than its limit of {hook.export_limit} bytes"
                )
            blocks.append(block)

        def write() -> str:
            writer = self.vault().writer(KIND, resource, labels)
            writer.add("body", blocks, {"bytes": size}, limit=hook.export_limit)
            return str(writer.commit().id)

        return await asyncio.to_thread(write)

    async def dump(self, hook: BeforeHook, labels: dict[str, Any]) -> str:
        """A whole-database pg_dump of the hook's resource into the vault; its id."""
        from interlock.proxy.pg import Scope, SnapshotFailed, take_snapshot

        name = hook.export.removeprefix(PG_PREFIX)
        source = self.sources[name]
        database = source.url.rsplit("/", 1)[-1].split("?", 1)[0]

        def run() -> str:
            snapshot = take_snapshot(self.vault(), source, name, Scope(database=database), labels)
            return str(snapshot.id)

        try:
            return await asyncio.to_thread(run)
        except SnapshotFailed as exc:
            raise ExportFailed(str(exc)) from None
