"""Waiting for a human, with a clock and a sleep that tests can replace.

The HTTP proxy (`Prefer: wait=N`), the PostgreSQL proxy (`interlock.wait`) and
`/v1/decide` hold an agent's connection open while a human decides. The waiting loop is here
once; `run` says how the blocking store reads run (off the event loop in servers), and a
fake clock and sleep make a wait of minutes a test of microseconds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import KW_ONLY, dataclass
from functools import partial
from typing import Any, TypeVar, cast

from interlock.enforce._point import EnforcementPoint
from interlock.enforce._verdict import Verdict
from interlock.model import Outcome

T = TypeVar("T")
Runner = Callable[[Callable[[], Any]], Awaitable[Any]]
"""How a blocking step runs: inline (default), or e.g. `asyncio.to_thread`-like off the loop."""
POLL_SECONDS = 0.1


@dataclass(eq=False)
class ApprovalWaiter:
    """Polls the pipeline for a held request until a human decides or the wait is over."""

    point: EnforcementPoint
    _: KW_ONLY
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep
    poll_seconds: float = POLL_SECONDS
    run: Runner | None = None

    async def _call(self, call: Callable[[], T]) -> T:
        if self.run is None:
            return call()
        return cast(T, await self.run(call))

    async def wait(
        self, verdict: Verdict, seconds: float, *, delay: float = 0.0, **detail: object
    ) -> Verdict:
        """The settled verdict: approved (claimed), refused by a human, lapsed, or still
        held after `seconds` (its outcome recorded either way)."""
        if verdict.outcome is not Outcome.HOLD or verdict.approval is None:
            return verdict
        started = self.clock()
        deadline = started + max(0.0, seconds)
        while True:
            now = self.clock()
            settled = await self._call(
                partial(
                    self.point.poll,
                    verdict,
                    final=now >= deadline,
                    waited=now - started,
                    delay=delay,
                    **detail,
                )
            )
            if settled is not None:
                return settled
            await self.sleep(min(self.poll_seconds, max(0.0, deadline - self.clock())))

    async def window(self, verdict: Verdict, delay: float) -> bool:
        """Wait out a delay safeguard's cancel window; True when the action may now run."""
        deadline = self.clock() + delay
        while self.clock() < deadline:
            await self.sleep(min(self.poll_seconds, max(0.0, deadline - self.clock())))
            if not await self._call(lambda: self.point.still_scheduled(verdict)):
                return False
        return await self._call(lambda: self.point.start_scheduled(verdict))
