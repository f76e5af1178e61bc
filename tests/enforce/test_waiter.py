"""Waiting for a human, on a fake clock: minutes of waiting cost microseconds."""

from __future__ import annotations

import asyncio

from interlock.enforce import ApprovalWaiter, EnforcementPoint
from interlock.model import Outcome

from .conftest import ALICE, STAGING, FakeClock, sql


def test_a_human_approving_during_the_wait_lets_it_run(point: EnforcementPoint) -> None:
    clock = FakeClock()
    held = point.decide(sql("DROP TABLE orders"))
    assert point.approvals is not None

    async def sleep(seconds: float) -> None:
        await clock.sleep(seconds)
        if clock.now >= 1005.0:  # five seconds in, a human approves
            point.approvals.approve(held.approval_id, ALICE)  # type: ignore[union-attr]

    waiter = ApprovalWaiter(point, clock=clock, sleep=sleep, poll_seconds=1.0)
    settled = asyncio.run(waiter.wait(held, 60))
    assert settled.outcome is Outcome.ALLOW and settled.approved
    assert settled.waited == 5.0
    assert len(clock.sleeps) == 5


def test_nobody_deciding_ends_the_wait_at_its_deadline(point: EnforcementPoint) -> None:
    clock = FakeClock()
    held = point.decide(sql("DROP TABLE orders"))
    waiter = ApprovalWaiter(point, clock=clock, sleep=clock.sleep, poll_seconds=0.5)
    settled = asyncio.run(waiter.wait(held, 120))
    assert settled.outcome is Outcome.HOLD
    assert settled.waited == 120.0 and "120 s" in settled.message
    assert clock.now == 1120.0


def test_no_wait_answers_at_once(point: EnforcementPoint) -> None:
    clock = FakeClock()
    held = point.decide(sql("DROP TABLE orders"))
    waiter = ApprovalWaiter(point, clock=clock, sleep=clock.sleep)
    settled = asyncio.run(waiter.wait(held, 0))
    assert settled.outcome is Outcome.HOLD and clock.sleeps == []


def test_window_runs_after_the_delay_unless_cancelled(point: EnforcementPoint) -> None:
    clock = FakeClock()
    waiter = ApprovalWaiter(point, clock=clock, sleep=clock.sleep, poll_seconds=1.0)
    first = point.schedule(point.record(point.judge(sql("DELETE FROM a", STAGING))), 10)
    assert asyncio.run(waiter.window(first, 10))
    assert clock.now == 1010.0

    second = point.schedule(point.record(point.judge(sql("DELETE FROM b", STAGING))), 10)

    async def cancel_midway(seconds: float) -> None:
        await clock.sleep(seconds)
        if clock.now >= 1013.0:
            point.approvals.cancel(second.approval_id, ALICE)  # type: ignore[union-attr]

    canceller = ApprovalWaiter(point, clock=clock, sleep=cancel_midway, poll_seconds=1.0)
    assert not asyncio.run(canceller.window(second, 10))


def test_blocking_steps_can_run_off_the_loop(point: EnforcementPoint) -> None:
    clock = FakeClock()
    held = point.decide(sql("DROP TABLE orders"))
    ran: list[str] = []

    async def in_thread(call):  # type: ignore[no-untyped-def]
        ran.append("thread")
        return await asyncio.to_thread(call)

    waiter = ApprovalWaiter(point, clock=clock, sleep=clock.sleep, run=in_thread)
    assert asyncio.run(waiter.wait(held, 0)).outcome is Outcome.HOLD
    assert ran == ["thread"]
