"""Approval rows sealed by an HMAC under the home's key: a row or a vote edited directly in
the SQLite file (the agent's `sqlite3 … UPDATE approval_requests SET status='approved'`)
approves nothing."""

from __future__ import annotations

import sqlite3
import subprocess

import pytest

from interlock.approvals import ApprovalStore, Status
from interlock.home import Home
from interlock.model import Human

from .conftest import AGENT, PROD, FakeClock, held

ALICE = Human("alice", "approver")


def _open(store: ApprovalStore, fingerprint: str = "fp-1", approvers: int = 1):
    return store.open_request(
        fingerprint=fingerprint,
        agent=AGENT,
        resource=PROD,
        decision=held(approvers),
        summary="TRUNCATE orders",
        source="proxy:pg",
    )


def _sql(home: Home, statement: str) -> None:
    """Edit the file as another process would: the sqlite3 program where there is one."""
    try:
        subprocess.run(["sqlite3", str(home.database), statement], check=True, timeout=30)
    except FileNotFoundError:
        with sqlite3.connect(home.database) as db:
            db.execute(statement)


@pytest.mark.parametrize(
    "forgery",
    [
        "UPDATE approval_requests SET status='approved', decided_at=1 WHERE id='{id}'",
        "UPDATE approval_requests SET status='approved', approvers_needed=0 WHERE id='{id}'",
        "INSERT INTO approval_votes VALUES ('{id}', 'alice', 'approve', 'ok', 1);"
        " UPDATE approval_requests SET status='approved' WHERE id='{id}'",
    ],
)
def test_a_row_edited_in_the_file_approves_nothing(
    home: Home, clock: FakeClock, forgery: str
) -> None:
    store = ApprovalStore.for_home(home, clock=clock)
    request = _open(store)
    _sql(home, forgery.format(id=request.id))
    fresh = ApprovalStore.for_home(home, clock=clock)
    assert fresh.find_approved("fp-1", AGENT.id) is None
    assert fresh.claim(request.id, "fp-1") is None
    assert fresh.get(request.id).status is Status.DENIED


def test_a_forged_row_copied_from_another_request_fails(home: Home, clock: FakeClock) -> None:
    store = ApprovalStore.for_home(home, clock=clock)
    approved = _open(store, "fp-other")
    store.approve(approved.id, ALICE, "ok")
    target = _open(store, "fp-1")
    # Re-point a genuinely approved request (and its seal) at the agent's own action.
    _sql(home, f"UPDATE approval_requests SET fingerprint='fp-1' WHERE id='{approved.id}'")
    _sql(home, f"DELETE FROM approval_requests WHERE id='{target.id}'")
    fresh = ApprovalStore.for_home(home, clock=clock)
    assert fresh.find_approved("fp-1", AGENT.id) is None


def test_genuine_decisions_still_work(home: Home, clock: FakeClock) -> None:
    store = ApprovalStore.for_home(home, clock=clock)
    request = _open(store)
    assert store.approve(request.id, ALICE, "ok").status is Status.APPROVED
    fresh = ApprovalStore.for_home(home, clock=clock)
    assert fresh.find_approved("fp-1", AGENT.id) is not None
    assert fresh.claim(request.id, "fp-1") is not None
    assert fresh.get(request.id).status is Status.USED


def test_rows_from_before_seals_are_sealed_once_then_checked(home: Home, clock: FakeClock) -> None:
    unsealed = ApprovalStore(home.database, clock=clock)  # as an older version wrote them
    request = _open(unsealed)
    unsealed.approve(request.id, ALICE, "ok")
    upgraded = ApprovalStore.for_home(home, clock=clock)
    assert upgraded.find_approved("fp-1", AGENT.id) is not None
    _sql(home, f"UPDATE approval_requests SET approvers_needed=0 WHERE id='{request.id}'")
    assert ApprovalStore.for_home(home, clock=clock).find_approved("fp-1", AGENT.id) is None
