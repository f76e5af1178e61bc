"""The approval store: bound to one action, single-use, expiring, distinct approvers, audited."""

from __future__ import annotations

import pytest

from interlock.approvals import ApprovalError, ApprovalStore, Status
from interlock.enforce import keyed_digest
from interlock.home import Home
from interlock.identity import HumanRequired
from interlock.model import Human

from .conftest import AGENT, PROD, FakeClock, held

ALICE = Human("alice", "approver")
BOB = Human("bob", "approver")


def _open(store: ApprovalStore, fingerprint: str = "fp-1", approvers: int = 1, ttl: float = 60):
    return store.open_request(
        fingerprint=fingerprint,
        agent=AGENT,
        resource=PROD,
        decision=held(approvers),
        summary="POST /railway/graphql/v2 volumeDelete",
        source="proxy:http",
        ttl=ttl,
    )


def test_request_is_pending_then_approved_then_used_once(store: ApprovalStore) -> None:
    request = _open(store)
    assert request.id.startswith("apr_") and request.status is Status.PENDING
    assert store.approve(request.id, ALICE, "ok").status is Status.APPROVED
    assert store.find_approved("fp-1", AGENT.id) is not None
    assert store.claim(request.id, "fp-1") is not None
    assert store.get(request.id).status is Status.USED
    # single-use: a second claim finds nothing
    assert store.claim(request.id, "fp-1") is None
    assert store.find_approved("fp-1", AGENT.id) is None


def test_approval_is_bound_to_the_fingerprint(store: ApprovalStore) -> None:
    request = _open(store)
    store.approve(request.id, ALICE)
    assert store.claim(request.id, "another-action") is None
    assert store.find_approved("another-action", AGENT.id) is None
    assert store.find_approved("fp-1", "some-other-agent") is None


def test_retries_reuse_the_live_request(store: ApprovalStore) -> None:
    first = _open(store)
    assert _open(store).id == first.id
    assert _open(store, "fp-2").id != first.id


def test_two_approvers_must_be_distinct(store: ApprovalStore) -> None:
    request = _open(store, approvers=2)
    assert store.approve(request.id, ALICE).status is Status.PENDING
    with pytest.raises(ApprovalError, match="already approved"):
        store.approve(request.id, ALICE)
    done = store.approve(request.id, BOB)
    assert done.status is Status.APPROVED and set(done.approvals) == {"alice", "bob"}


def test_expiry(store: ApprovalStore, clock: FakeClock) -> None:
    request = _open(store, ttl=30)
    clock.now += 31
    assert store.status(request.id) is Status.EXPIRED
    with pytest.raises(ApprovalError, match="expired"):
        store.approve(request.id, ALICE)
    # an approved but unused request expires too
    again = _open(store, ttl=30)
    assert again.id != request.id
    store.approve(again.id, ALICE)
    clock.now += 31
    assert store.claim(again.id, "fp-1") is None
    assert store.get(again.id).status is Status.EXPIRED


def test_deny_and_cancel(store: ApprovalStore) -> None:
    request = _open(store)
    assert store.deny(request.id, ALICE, "no: production").status is Status.DENIED
    with pytest.raises(ApprovalError, match="denied"):
        store.approve(request.id, BOB)
    scheduled = store.schedule(
        fingerprint="fp-3",
        agent=AGENT,
        resource=PROD,
        decision=held(),
        summary="delayed delete",
        source="proxy:http",
        delay=10,
    )
    assert scheduled.status is Status.SCHEDULED and scheduled.run_at is not None
    assert store.cancel(scheduled.id, BOB, "wrong volume").status is Status.CANCELLED
    assert store.start(scheduled.id) is False


def test_scheduled_runs_once(store: ApprovalStore) -> None:
    request = _open(store)
    store.approve(request.id, ALICE)
    assert store.claim(request.id, "fp-1", delay=5) is not None
    assert store.status(request.id) is Status.SCHEDULED
    assert store.start(request.id) is True
    assert store.start(request.id) is False
    with pytest.raises(ApprovalError, match="already run"):
        store.cancel(request.id, ALICE)


def test_only_humans_decide(store: ApprovalStore) -> None:
    request = _open(store)
    with pytest.raises(HumanRequired):
        store.approve(request.id, AGENT)  # type: ignore[arg-type]
    assert store.get(request.id).status is Status.PENDING


def test_every_change_is_audited(store: ApprovalStore, home: Home) -> None:
    request = _open(store, approvers=2)
    store.approve(request.id, ALICE, "looks right")
    store.approve(request.id, BOB)
    store.claim(request.id, "fp-1")
    records = [r for r in home.audit_log().records() if r.body.get("id") == request.id]
    events = [r.body.get("event", r.type) for r in records]
    assert events == ["approval_request", "approval_vote", "approved", "used"]
    assert home.audit_log().verify(home.audit_verifier()).ok


def test_fingerprint_changes_with_any_part() -> None:
    base = keyed_digest(b"k", ["agent", "POST", "/x", b"body"])
    assert base == keyed_digest(b"k", ["agent", "POST", "/x", b"body"])
    assert base != keyed_digest(b"k", ["agent", "POST", "/x", b"bodY"])
    assert base != keyed_digest(b"k", ["agent", "POST", "/xb", b"ody"])
    assert base != keyed_digest(b"other", ["agent", "POST", "/x", b"body"])
