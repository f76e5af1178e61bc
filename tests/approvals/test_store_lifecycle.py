"""The store applies the lifecycle: random sequences of human decisions, claims, starts and
time passing, run against a real store, end where `transition` alone says they end."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlock.approvals import (
    EXPIRABLE,
    ApprovalError,
    ApprovalStore,
    Event,
    Facts,
    Refusal,
    Status,
    transition,
)
from interlock.home import init_home
from interlock.model import Human

from .conftest import AGENT, PROD, FakeClock, held

HUMANS = {name: Human(name, "approver") for name in ("alice", "bob")}
TTL = 60.0
_fingerprints = itertools.count()

Op = tuple[str, str, bool, float]  # (what, human, same action, delay or seconds to wait)

# Weighted towards the moves that interact (votes, claims); deciding or waiting past the
# expiry ends a request's life, so they come less often.
_WHAT = ["approve"] * 4 + ["claim"] * 3 + ["start", "wait", "deny", "cancel"]
_ops = st.lists(
    st.tuples(
        st.sampled_from(_WHAT),
        st.sampled_from(sorted(HUMANS)),
        st.booleans(),
        st.sampled_from([0.0, 0.0, 5.0, 70.0]),
    ),
    max_size=10,
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ApprovalStore, FakeClock]]:
    home, _ = init_home(Path(tmp_path_factory.mktemp("lifecycle")) / ".interlock")
    clock = FakeClock()
    store = ApprovalStore.for_home(home, clock=clock)
    yield store, clock
    store.close()


class Model:
    """The request as `transition` alone would have it."""

    def __init__(self, request_id: str, now: float, needed: int, scheduled: bool) -> None:
        self.id = request_id
        self.status = Status.SCHEDULED if scheduled else Status.PENDING
        self.expires_at = now + (5.0 + 3600.0 if scheduled else TTL)
        self.needed = needed
        self.voters: list[str] = []

    def apply(
        self, event: Event, now: float, voter: str = "", same: bool = True, delay: float = 0.0
    ) -> bool:
        if self.status in EXPIRABLE and now >= self.expires_at:
            self.status = Status.EXPIRED  # the store expires due requests first
        facts = Facts(
            self.id,
            now,
            self.expires_at,
            self.needed,
            approvals=len(self.voters),
            voter=voter,
            already_voted=voter in self.voters,
            same_action=same,
            delay=delay,
        )
        result = transition(self.status, event, facts)
        if isinstance(result, Refusal):
            return False
        self.status = result.to
        if event is Event.APPROVE:
            self.voters.append(voter)
        return True


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=_ops, needed=st.integers(1, 2), scheduled=st.booleans())
def test_the_store_ends_where_the_lifecycle_says(
    world: tuple[ApprovalStore, FakeClock], ops: list[Op], needed: int, scheduled: bool
) -> None:
    store, clock = world
    fingerprint = f"fp-{next(_fingerprints)}"
    if scheduled:
        request = store.schedule(
            fingerprint=fingerprint,
            agent=AGENT,
            resource=PROD,
            decision=held(needed),
            summary="scheduled",
            source="test",
            delay=5.0,
        )
    else:
        request = store.open_request(
            fingerprint=fingerprint,
            agent=AGENT,
            resource=PROD,
            decision=held(needed),
            summary="held",
            source="test",
            ttl=TTL,
        )
    model = Model(request.id, clock.now, needed, scheduled)
    for what, human, same, amount in ops:
        if what == "wait":
            clock.now += amount
            continue
        if what in ("approve", "deny", "cancel"):
            event = {"approve": Event.APPROVE, "deny": Event.DENY, "cancel": Event.CANCEL}[what]
            expected = model.apply(event, clock.now, voter=human)
            try:
                getattr(store, what)(request.id, HUMANS[human])
                done = True
            except ApprovalError:
                done = False
        elif what == "claim":
            expected = model.apply(Event.CLAIM, clock.now, same=same, delay=amount)
            claimed = store.claim(request.id, fingerprint if same else "other", delay=amount)
            done = claimed is not None
        else:
            expected = model.apply(Event.START, clock.now)
            done = store.start(request.id)
        assert done == expected, (what, model.status)
        assert store.get(request.id).status is model.status
