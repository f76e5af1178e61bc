"""The PostgreSQL enforcement point on the real pipeline (no network): what it decides on
the event loop, what it leaves to the state thread, and what it records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from interlock.approvals import ApprovalStore
from interlock.enforce import SAFEGUARD_UNAVAILABLE, EnforcementPoint
from interlock.gate import Gate
from interlock.home import Home, init_home
from interlock.model import Agent, Human, Resource, Verb
from interlock.proxy.pg._dump import Scope
from interlock.proxy.pg._enforce import VAULT_FENCE, WAIT_HINT, Snapshotter, StatementGate
from interlock.proxy.pg._ruling import PendingRuling, Ruling
from interlock.vault import Snapshot

AGENT = Agent(
    "ops-bot",
    id="a1b2c3",
    environments=frozenset({"production", "staging", "development"}),
    max_verb=Verb.DESTRUCTIVE,
)
ALICE = Human("alice@example.com", "approver")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    monkeypatch.delenv("INTERLOCK_AGENT_TOKEN", raising=False)
    created, _ = init_home(tmp_path / ".interlock")
    (created.root / "policies" / "dev-delay.cedar").write_text(
        '@id("dev-delay")\n@safeguard("delay:30s")\n'
        'permit (principal is Agent, action in Action::"dangerous", resource)\n'
        'when { resource.environment == "development" };\n'
    )
    return created


def _no_snapshot(scope: Scope, labels: dict[str, Any]) -> Snapshot:
    raise AssertionError("the plan's offload is run by the session, not these tests")


def gate_for(
    home: Home, environment: str = "production", snapshots: Snapshotter | None = _no_snapshot
) -> StatementGate:
    audit = home.audit_log()
    point = EnforcementPoint(
        gate=Gate(home.load_policies()),
        audit=audit,
        approvals=ApprovalStore(home.database, audit=audit),
        hmac_key=home.hmac_key.read_bytes(),
        wait_hint=WAIT_HINT,
    )
    return StatementGate(
        point, AGENT, Resource(f"{environment}-db", environment), "pgs_1", snapshots=snapshots
    )


def finish(answer: Ruling | PendingRuling) -> Ruling:
    """What the shell's state thread does with a pending ruling."""
    return answer.finish() if isinstance(answer, PendingRuling) else answer


def records(home: Home, type_: str) -> list[dict[str, object]]:
    return [dict(r.body) for r in home.audit_log().records() if r.type == type_]


def approve(home: Home, request_id: str) -> None:
    store = ApprovalStore(home.database)
    try:
        store.approve(request_id, ALICE, "ok")
    finally:
        store.close()


def test_a_read_is_recorded_once_then_allowed_on_the_loop(home: Home) -> None:
    gate = gate_for(home)
    first = gate.check("SELECT v FROM t WHERE id = 1", extended=True)
    assert isinstance(first, PendingRuling)  # the record is written off the event loop
    assert records(home, "decision") == []
    assert finish(first).allowed
    (record,) = records(home, "decision")
    assert record["source"] == "proxy:pg" and record["protocol_message"] == "Parse"
    assert record["session_id"] == "pgs_1" and len(str(record["payload_hmac"])) == 64
    again = gate.check("SELECT v FROM t WHERE id = 2", extended=False)  # same shape
    assert isinstance(again, Ruling) and again.allowed
    assert len(records(home, "decision")) == 1 and gate.counts.reads_unrecorded == 1


def test_writes_are_recorded_every_time(home: Home) -> None:
    gate = gate_for(home)
    for _ in range(2):
        answer = gate.check("INSERT INTO t VALUES (1)", extended=False)
        assert isinstance(answer, PendingRuling) and finish(answer).allowed
    assert len(records(home, "decision")) == 2


def test_vault_fence_refuses_and_records(home: Home) -> None:
    ruling = finish(
        gate_for(home, "staging").check("SELECT * FROM interlock_trash.t", extended=False)
    )
    assert not ruling.allowed and VAULT_FENCE in ruling.message and ruling.hint
    (record,) = records(home, "decision")
    assert record["decision"]["decision"] == "deny"  # type: ignore[index]


def test_hold_approved_while_waiting_is_an_approved_outcome_of_the_hold(home: Home) -> None:
    gate = gate_for(home)
    text = "DELETE FROM orders"
    held = finish(gate.check(text, extended=False))
    assert not held.allowed and held.held.startswith("apr_")
    assert "hold-destructive-production" in held.message and "interlock.wait" in held.hint
    assert gate.settle(held.held, text, extended=False, final=False) is None  # pending
    approve(home, held.held)
    ruling = gate.settle(held.held, text, extended=False, final=False)
    assert ruling is not None and ruling.allowed
    (decision,) = records(home, "decision")  # no second decision record
    outcomes = records(home, "outcome")
    assert [o["outcome"] for o in outcomes] == ["approved"]
    assert outcomes[0]["approval_request"] == held.held
    assert outcomes[0]["decision_seq"] == next(
        r.seq for r in home.audit_log().records() if r.type == "decision"
    )
    assert decision["resource"] == {"name": "production-db", "environment": "production"}
    # single use: the same statement is held again
    assert finish(gate.check(text, extended=False)).held


def test_wait_that_ends_undecided_and_a_wait_abandoned_are_recorded(home: Home) -> None:
    gate = gate_for(home)
    first = finish(gate.check("TRUNCATE a", extended=False))
    ruling = gate.settle(first.held, "TRUNCATE a", extended=False, final=True)
    assert ruling is not None and not ruling.allowed and first.held in ruling.message
    assert not ruling.held  # the wait is over: a refusal, not another wait
    second = finish(gate.check("TRUNCATE b", extended=False))
    gate.abandon(second.held, "client disconnected")
    outcomes = {o["outcome"]: o for o in records(home, "outcome")}
    assert set(outcomes) == {"held", "abandoned"}
    assert outcomes["abandoned"]["reason"] == "client disconnected"
    with pytest.raises(LookupError):  # the session waits on its own holds only
        gate.settle(second.held, "TRUNCATE b", extended=False, final=False)


def test_denied_while_waiting_names_the_human_and_comment(home: Home) -> None:
    gate = gate_for(home)
    held = finish(gate.check("DROP TABLE orders", extended=False))
    store = ApprovalStore(home.database)
    try:
        store.deny(held.held, ALICE, "not on a Friday")
    finally:
        store.close()
    ruling = gate.settle(held.held, "DROP TABLE orders", extended=False, final=False)
    assert ruling is not None and not ruling.allowed
    assert "alice@example.com" in ruling.message and "not on a Friday" in ruling.message
    assert [o["outcome"] for o in records(home, "outcome")] == ["denied"]


def test_a_safeguard_it_cannot_take_is_a_hold_a_human_may_approve(home: Home) -> None:
    gate = gate_for(home, "staging")  # staging permits destructive statements with a snapshot
    text = "DROP VIEW reports"  # nothing a snapshot covers
    held = finish(gate.check(text, extended=False))
    assert not held.allowed and held.held and SAFEGUARD_UNAVAILABLE in held.message
    approve(home, held.held)
    ruling = finish(gate.check(text, extended=False))
    assert ruling.allowed and ruling.safeguard is None
    (impossible,) = records(home, "safeguard")
    assert impossible["status"] == "impossible" and impossible["approval"] == held.held


def test_a_snapshot_it_can_take_is_planned(home: Home) -> None:
    gate = gate_for(home, "staging")
    ruling = finish(gate.check("DELETE FROM orders", extended=True))
    assert ruling.allowed and ruling.safeguard is not None
    assert not ruling.safeguard.replaces_statement
    ruling.safeguard.done("kept", True)  # what the session does once the plan ran
    (taken,) = records(home, "safeguard")
    assert taken["status"] == "taken" and taken["mode"] == "snapshot"
    assert gate.counts.safeguards == 1


def test_without_a_vault_a_snapshot_cannot_be_taken_so_it_is_a_hold(home: Home) -> None:
    # The trash in the same database is no backup: without a vault, nothing is promised.
    for text in ("DELETE FROM orders", "DROP TABLE orders"):
        gate = gate_for(home, "staging", snapshots=None)
        ruling = finish(gate.check(text, extended=False))
        assert not ruling.allowed and ruling.held and SAFEGUARD_UNAVAILABLE in ruling.message


def test_a_failed_safeguard_gives_the_approval_back(home: Home) -> None:
    gate = gate_for(home)  # production: DROP TABLE is held for a human
    held = finish(gate.check("DROP TABLE orders", extended=False))
    approve(home, held.held)
    ruling = finish(gate.check("DROP TABLE orders", extended=False))
    assert ruling.allowed and ruling.safeguard is not None
    ruling.safeguard.done("pg_dump failed: disk full", False)
    (failed,) = records(home, "safeguard")
    assert failed["status"] == "failed" and failed["approval_returned"] is True
    # the same statement is allowed again on the same approval: it was not spent
    again = finish(gate.check("DROP TABLE orders", extended=False))
    assert again.allowed and again.safeguard is not None
    again.safeguard.done("kept", True)
    assert not finish(gate.check("DROP TABLE orders", extended=False)).allowed


def test_a_delay_safeguard_holds_on_this_proxy(home: Home) -> None:
    ruling = finish(gate_for(home, "development").check("DELETE FROM t", extended=False))
    assert not ruling.allowed and ruling.held and SAFEGUARD_UNAVAILABLE in ruling.message
    (record,) = records(home, "decision")
    reasons = record["decision"]["reasons"]  # type: ignore[index]
    assert any("delay:30s" in reason for reason in reasons)  # the one it cannot take
