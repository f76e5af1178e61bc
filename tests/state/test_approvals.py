"""ApprovalStorage: rows kept exactly, the queries the approval store relies on, and write
transactions that commit or roll back whole."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from interlock.state import ApprovalStorage, SQLiteApprovalStorage, StoredApproval, StoredVote


def _request(
    id_: str,
    *,
    status: str = "pending",
    fingerprint: str = "fp",
    created: float = 10.0,
    expires: float = 100.0,
    agent_id: str = "a1",
) -> StoredApproval:
    return StoredApproval(
        id=id_,
        fingerprint=fingerprint,
        status=status,
        agent="ops-bot",
        agent_id=agent_id,
        resource="orders-db",
        environment="production",
        summary="DROP TABLE orders",
        detail={"decision": "hold", "policies": ["hold-destructive"], "approvers": 2},
        approvers_needed=2,
        source="proxy:pg",
        decision_seq=7,
        created_at=created,
        expires_at=expires,
        decided_at=None,
        run_at=None,
        used_at=None,
    )


def test_a_request_comes_back_as_it_went_in(approvals: ApprovalStorage) -> None:
    request = _request("apr_1")
    with approvals.writing() as tx:
        tx.insert(request)
        assert tx.request("apr_1") == request  # visible inside the transaction
    assert approvals.request("apr_1") == request
    assert approvals.request("apr_2") is None


def test_update_writes_the_status_and_its_clock(approvals: ApprovalStorage) -> None:
    request = _request("apr_1")
    with approvals.writing() as tx:
        tx.insert(request)
    moved = replace(request, status="scheduled", decided_at=11.0, run_at=41.0, used_at=None)
    with approvals.writing() as tx:
        tx.update(moved)
    assert approvals.request("apr_1") == moved


def test_find_by_action_agent_and_status(approvals: ApprovalStorage) -> None:
    with approvals.writing() as tx:
        tx.insert(_request("old", created=1.0, status="approved"))
        tx.insert(_request("new", created=2.0, status="approved"))
        tx.insert(_request("used", created=3.0, status="used"))
        tx.insert(_request("other-agent", created=4.0, status="approved", agent_id="a2"))
    newest = approvals.find("fp", "a1", ["approved"], newest=True)
    oldest = approvals.find("fp", "a1", ["approved"], newest=False)
    assert (newest and newest.id, oldest and oldest.id) == ("new", "old")
    assert approvals.find("fp", "a1", ["pending"], newest=True) is None
    assert approvals.find("other-fp", "a1", ["approved"], newest=True) is None


def test_due_and_listing(approvals: ApprovalStorage) -> None:
    with approvals.writing() as tx:
        tx.insert(_request("due", expires=50.0, created=1.0))
        tx.insert(_request("later", expires=500.0, created=2.0))
        tx.insert(_request("scheduled", status="scheduled", expires=50.0, created=3.0))
    assert [r.id for r in approvals.due(["pending", "approved"], 50.0)] == ["due"]
    assert approvals.due(["pending"], 49.9) == []
    assert [r.id for r in approvals.listing(None, 10)] == ["scheduled", "later", "due"]
    assert [r.id for r in approvals.listing(None, 2)] == ["scheduled", "later"]
    assert [r.id for r in approvals.listing(["pending"], 10)] == ["later", "due"]


def test_a_vote_per_human_the_latest_kept(approvals: ApprovalStorage) -> None:
    with approvals.writing() as tx:
        tx.insert(_request("apr_1"))
        tx.put_vote("apr_1", StoredVote("bob", "approve", "ok", 2.0))
        tx.put_vote("apr_1", StoredVote("alice", "approve", "", 1.0))
    with approvals.writing() as tx:
        tx.put_vote("apr_1", StoredVote("bob", "deny", "wrong table", 3.0))
    assert approvals.votes("apr_1") == [
        StoredVote("alice", "approve", "", 1.0),
        StoredVote("bob", "deny", "wrong table", 3.0),
    ]
    assert approvals.votes("apr_2") == []


def test_a_failed_transaction_leaves_nothing(approvals: ApprovalStorage) -> None:
    with pytest.raises(RuntimeError), approvals.writing() as tx:
        tx.insert(_request("apr_1"))
        tx.put_vote("apr_1", StoredVote("alice", "approve", "", 1.0))
        raise RuntimeError("the lifecycle refused half-way")
    assert approvals.request("apr_1") is None and approvals.votes("apr_1") == []


def test_another_connection_sees_committed_writes(
    approvals: ApprovalStorage, tmp_path: Path
) -> None:
    other = SQLiteApprovalStorage(tmp_path / "state.db")
    try:
        with approvals.writing() as tx:
            tx.insert(_request("apr_1"))
        assert other.request("apr_1") == _request("apr_1")
    finally:
        other.close()
