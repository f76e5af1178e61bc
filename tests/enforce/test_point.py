"""The one pipeline: judge → record → resolve, holds claimed once, humans' refusals named."""

from __future__ import annotations

import logging

import pytest

from interlock.approvals import Status
from interlock.enforce import (
    DECISIONS_LOG,
    ActionRequest,
    EnforcementPoint,
    request_fingerprint,
)
from interlock.home import Home
from interlock.model import Agent, Outcome

from .conftest import AGENT, ALICE, BOB, PROD, STAGING, sql


def _records(home: Home, type_: str) -> list[dict[str, object]]:
    return [r.body for r in home.audit_log().records() if r.type == type_]


def test_judge_is_the_gate_decision_with_words_for_the_agent(point: EnforcementPoint) -> None:
    read = point.judge(sql("SELECT * FROM orders"))
    assert read.outcome is Outcome.ALLOW and read.seq == 0
    drop = point.judge(sql("DROP TABLE orders"))
    assert drop.outcome is Outcome.HOLD
    assert "statement" in drop.message and "sql:DROP TABLE" in drop.message
    assert "another way" in drop.hint


def test_fingerprint_binds_every_part_that_changes_meaning(home: Home) -> None:
    key = home.hmac_key.read_bytes()
    base = sql("DELETE FROM t", binding=("POST", "/x"))
    same = sql("DELETE FROM t", binding=("POST", "/x"))
    assert request_fingerprint(key, base) == request_fingerprint(key, same)
    others = [
        sql("DELETE FROM t ", binding=("POST", "/x")),
        sql("DELETE FROM t", binding=("PUT", "/x")),
        sql("DELETE FROM t", binding=("POST", "/x", "x-tenant: b")),
        sql("DELETE FROM t", binding=("POS", "T/x")),  # length-prefixed: no shifting
        sql("DELETE FROM t", resource=STAGING, binding=("POST", "/x")),
        ActionRequest(
            "proxy:pg",
            Agent("other", id="zz"),
            PROD,
            "sql",
            "DELETE FROM t",
            binding=("POST", "/x"),
        ),
        ActionRequest("proxy:pg", AGENT, PROD, "shell", "DELETE FROM t", binding=("POST", "/x")),
    ]
    prints = {request_fingerprint(key, r) for r in others}
    assert len(prints) == len(others)
    assert request_fingerprint(key, base) not in prints
    assert request_fingerprint(b"another key", base) != request_fingerprint(key, base)


def test_decision_record_has_one_shape_and_no_payload(point: EnforcementPoint, home: Home) -> None:
    request = sql(
        "DELETE FROM orders WHERE id = 7",
        session_id="s-1",
        stated_reason="clean a test row",
        context={"protocol_message": "Query"},
    )
    verdict = point.record(point.judge(request))
    assert verdict.seq > 0
    body = _records(home, "decision")[-1]
    assert body["source"] == "proxy:pg" and body["session_id"] == "s-1"
    assert body["stated_reason"] == "clean a test row"
    assert body["protocol_message"] == "Query"
    assert body["principal"] == {"type": "agent", "name": "ops-bot", "id": AGENT.id}
    assert body["payload_hmac"] == point.payload_hmac("DELETE FROM orders WHERE id = 7")
    assert "payload" not in body  # the text is kept only as the classifier's excerpt
    assert body["kind"] == "sql"


def test_hold_opens_one_request_and_an_approval_runs_it_once(
    point: EnforcementPoint, home: Home
) -> None:
    first = point.decide(sql("DROP TABLE orders"))
    assert first.outcome is Outcome.HOLD and first.approval is not None
    assert first.approval.status is Status.PENDING
    assert first.approval_id in first.message and first.approval_id in first.hint
    assert "or wait on the connection" in first.hint
    retry = point.decide(sql("DROP TABLE orders"))
    assert retry.approval_id == first.approval_id  # retries never pile up requests

    assert point.approvals is not None
    point.approvals.approve(first.approval_id, ALICE, "go")
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    DECISIONS_LOG.addHandler(handler)
    level = DECISIONS_LOG.level
    DECISIONS_LOG.setLevel(logging.INFO)
    try:
        ran = point.decide(sql("DROP TABLE orders"))
    finally:
        DECISIONS_LOG.removeHandler(handler)
        DECISIONS_LOG.setLevel(level)
    assert ran.outcome is Outcome.ALLOW and ran.approved
    # the operator's log says the held statement runs now, not only the gate's HOLD
    assert lines[-1].startswith("APPROVED ") and lines[-1].endswith(first.approval_id)
    assert ran.approval is not None and ran.approval.status is Status.USED
    assert "alice" in ran.message
    outcomes = _records(home, "outcome")
    assert outcomes[-1]["outcome"] == "approved"
    assert outcomes[-1]["decision_seq"] == ran.seq
    assert outcomes[-1]["approval_request"] == first.approval_id

    again = point.decide(sql("DROP TABLE orders"))  # single use: a new request
    assert again.outcome is Outcome.HOLD and again.approval_id != first.approval_id


def test_an_approval_covers_only_its_own_action(point: EnforcementPoint) -> None:
    held = point.decide(sql("DROP TABLE orders"))
    assert point.approvals is not None
    point.approvals.approve(held.approval_id, ALICE)
    other = point.decide(sql("DROP TABLE customers"))
    assert other.outcome is Outcome.HOLD and other.approval_id != held.approval_id


def test_poll_pending_then_refused_by_a_human(point: EnforcementPoint, home: Home) -> None:
    held = point.decide(sql("TRUNCATE orders"))
    assert point.poll(held, final=False) is None
    assert point.approvals is not None
    point.approvals.deny(held.approval_id, BOB, "not on a Friday")
    refused = point.poll(held, final=False, waited=3.0)
    assert refused is not None and refused.outcome is Outcome.DENY
    assert "bob" in refused.message and "not on a Friday" in refused.message
    assert _records(home, "outcome")[-1]["outcome"] == "denied"


def test_poll_final_while_pending_is_still_held_and_says_how_long(
    point: EnforcementPoint, home: Home
) -> None:
    held = point.decide(sql("TRUNCATE orders"))
    settled = point.poll(held, final=True, waited=12.0, status=403)
    assert settled is not None and settled.outcome is Outcome.HOLD
    assert "12 s" in settled.message
    last = _records(home, "outcome")[-1]
    assert last["outcome"] == "held" and last["status"] == 403


def test_poll_approved_claims_with_a_delay_into_the_cancel_window(
    point: EnforcementPoint,
) -> None:
    held = point.decide(sql("TRUNCATE orders"))
    assert point.approvals is not None
    point.approvals.approve(held.approval_id, ALICE)
    ran = point.poll(held, final=False, delay=30.0)
    assert ran is not None and ran.outcome is Outcome.ALLOW
    assert ran.approval is not None and ran.approval.status is Status.SCHEDULED
    assert point.still_scheduled(ran)
    assert point.start_scheduled(ran)
    assert not point.start_scheduled(ran)  # once


def test_without_an_approval_store_a_hold_stays_a_hold(home: Home) -> None:
    from interlock.gate import Gate

    point = EnforcementPoint(
        gate=Gate(home.load_policies()), audit=None, approvals=None, hmac_key=b"k"
    )
    verdict = point.decide(sql("DROP TABLE orders"))
    assert verdict.outcome is Outcome.HOLD and verdict.approval is None and verdict.seq == 0


def test_scheduled_action_can_be_cancelled(point: EnforcementPoint) -> None:
    verdict = point.record(point.judge(sql("DELETE FROM orders", resource=STAGING)))
    scheduled = point.schedule(verdict, 30.0)
    assert scheduled.approval is not None and scheduled.approval.status is Status.SCHEDULED
    assert "30 s" in scheduled.message
    assert point.approvals is not None
    point.approvals.cancel(scheduled.approval_id, ALICE, "wrong table")
    assert not point.still_scheduled(scheduled)
    assert not point.start_scheduled(scheduled)


@pytest.mark.parametrize("outcome", ["forwarded", "upstream_failed"])
def test_settle_later_rides_on_the_next_record(
    point: EnforcementPoint, home: Home, outcome: str
) -> None:
    verdict = point.record(point.judge(sql("UPDATE orders SET x = 1 WHERE id = 2")))
    point.settle_later(verdict, outcome, status=200)
    assert not [b for b in _records(home, "outcome") if b["outcome"] == outcome]
    point.flush()
    assert _records(home, "outcome")[-1] == {
        "decision_seq": verdict.seq,
        "outcome": outcome,
        "source": "proxy:pg",
        "status": 200,
    }
