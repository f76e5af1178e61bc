"""Group commit for decision records.

Every request's decision must be in the audit log before the request is forwarded. Under
load, requests that reach that point in the same turn of the event loop share one SQLite
transaction: each awaits its own record, and one commit serves them all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from interlock.audit import AuditLog, AuditRecord


class DecisionBatcher:
    """Appends records for the requests of one loop turn in one transaction."""

    def __init__(self, audit: AuditLog) -> None:
        self.audit = audit
        self._pending: list[tuple[str, Mapping[str, Any], asyncio.Future[AuditRecord]]] = []
        self._scheduled = False

    async def append(self, type_: str, body: Mapping[str, Any]) -> AuditRecord:
        """The record, once it is written (raises what the write raised)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[AuditRecord] = loop.create_future()
        self._pending.append((type_, body, future))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        self._scheduled = False
        batch, self._pending = self._pending, []
        if not batch:
            return
        try:
            records = self.audit.append_all([(type_, body) for type_, body, _ in batch])
        except Exception as exc:  # every waiting request fails: none is forwarded unrecorded
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, _, future), record in zip(batch, records, strict=True):
            if not future.done():
                future.set_result(record)
