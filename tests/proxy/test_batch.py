"""Group commit of decision records (proxy/http/_batch.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from interlock.audit import AuditLog, SQLiteAuditStore
from interlock.errors import AuditError
from interlock.proxy.http._batch import DecisionBatcher


class CountingStore(SQLiteAuditStore):
    transactions = 0

    def append_many(self, makes):  # type: ignore[no-untyped-def]
        CountingStore.transactions += 1
        return super().append_many(makes)


def test_requests_of_one_loop_turn_share_a_transaction(tmp_path: Path) -> None:
    log = AuditLog(CountingStore(tmp_path / "a.db"), hmac_key=b"k")
    batcher = DecisionBatcher(log)

    async def main() -> list[int]:
        records = await asyncio.gather(*(batcher.append("decision", {"i": i}) for i in range(8)))
        return [r.seq for r in records]

    CountingStore.transactions = 0
    assert asyncio.run(main()) == list(range(1, 9))  # each request gets its own record, in order
    assert CountingStore.transactions == 1


def test_a_failed_write_fails_every_waiting_request(tmp_path: Path) -> None:
    log = AuditLog(SQLiteAuditStore(tmp_path / "a.db"), hmac_key=b"k")
    log.store.close()  # the next write fails
    batcher = DecisionBatcher(log)

    async def main() -> None:
        await asyncio.gather(batcher.append("decision", {"i": 1}), batcher.append("decision", {}))

    with pytest.raises(AuditError):
        asyncio.run(main())
