"""A request's life as a pure function: every (status, event) pair, then random event
sequences checked against the promises approvals make (single use, final states, expiry)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interlock.approvals import EXPIRABLE, FINAL, Event, Facts, Refusal, Status, Step, transition

NOW = 1_000.0
LATER = 5_000.0

# The specification, written out: for each event, the statuses it may leave and where to.
# Facts are neutral here (one approver needed, nobody voted, the same action, no delay,
# expiry not reached except for EXPIRE, which is asked after it).
SPEC: dict[Event, dict[Status, Status]] = {
    Event.APPROVE: {Status.PENDING: Status.APPROVED},
    Event.DENY: {Status.PENDING: Status.DENIED, Status.APPROVED: Status.DENIED},
    Event.CANCEL: {
        Status.PENDING: Status.CANCELLED,
        Status.APPROVED: Status.CANCELLED,
        Status.SCHEDULED: Status.CANCELLED,
    },
    Event.CLAIM: {Status.APPROVED: Status.USED},
    Event.START: {Status.SCHEDULED: Status.USED},
    Event.EXPIRE: {Status.PENDING: Status.EXPIRED, Status.APPROVED: Status.EXPIRED},
    Event.RELEASE: {Status.USED: Status.APPROVED},
}


def _neutral(event: Event) -> Facts:
    now = LATER if event is Event.EXPIRE else NOW
    return Facts("apr_1", now, expires_at=LATER, voter="alice")


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("event", list(Event))
def test_every_status_and_event(status: Status, event: Event) -> None:
    result = transition(status, event, _neutral(event))
    expected = SPEC[event].get(status)
    if expected is None:
        assert isinstance(result, Refusal)
        assert "apr_1" in result.message and status.value in result.message
    else:
        assert isinstance(result, Step) and result.to is expected


def test_final_statuses_are_the_ones_no_decision_leaves() -> None:
    # RELEASE is not a decision: the enforcement point gives back an approval whose action
    # never happened (its safeguard failed first).
    leavable = {s for event, moves in SPEC.items() if event is not Event.RELEASE for s in moves}
    assert set(FINAL) == set(Status) - leavable
    assert all(s.final is (s in FINAL) for s in Status)


@pytest.mark.parametrize("event", [Event.APPROVE, Event.DENY, Event.CANCEL, Event.CLAIM])
@pytest.mark.parametrize("status", sorted(EXPIRABLE))
def test_past_its_expiry_a_live_request_is_expired_for_every_event(
    status: Status, event: Event
) -> None:
    facts = Facts("apr_1", now=LATER, expires_at=LATER, voter="alice")
    result = transition(status, event, facts)
    assert isinstance(result, Refusal) and "is expired" in result.message


def test_expire_waits_for_the_expiry() -> None:
    early = transition(Status.PENDING, Event.EXPIRE, Facts("apr_1", NOW, expires_at=LATER))
    assert isinstance(early, Refusal)
    due = transition(Status.PENDING, Event.EXPIRE, Facts("apr_1", LATER, expires_at=LATER))
    assert due == Step(Status.EXPIRED, decided_at=LATER)


def test_approval_needs_enough_distinct_humans() -> None:
    first = transition(Status.PENDING, Event.APPROVE, Facts("apr_1", NOW, LATER, 2, 0, "alice"))
    assert first == Step(Status.PENDING)
    again = transition(
        Status.PENDING, Event.APPROVE, Facts("apr_1", NOW, LATER, 2, 1, "alice", True)
    )
    assert isinstance(again, Refusal) and "alice has already approved apr_1" in again.message
    second = transition(Status.PENDING, Event.APPROVE, Facts("apr_1", NOW, LATER, 2, 1, "bob"))
    assert second == Step(Status.APPROVED, decided_at=NOW)


def test_claim_is_bound_to_the_action_and_may_be_delayed() -> None:
    other = transition(Status.APPROVED, Event.CLAIM, Facts("apr_1", NOW, LATER, same_action=False))
    assert isinstance(other, Refusal) and "another action" in other.message
    delayed = transition(Status.APPROVED, Event.CLAIM, Facts("apr_1", NOW, LATER, delay=30))
    assert delayed == Step(Status.SCHEDULED, run_at=NOW + 30)
    now = transition(Status.APPROVED, Event.CLAIM, Facts("apr_1", NOW, LATER))
    assert now == Step(Status.USED, used_at=NOW)


def test_a_used_request_says_it_has_already_run() -> None:
    result = transition(Status.USED, Event.CANCEL, _neutral(Event.CANCEL))
    assert isinstance(result, Refusal) and result.message.endswith("(it has already run)")


# -- random lives -------------------------------------------------------------------------

HUMANS = ("alice", "bob", "carol")


@dataclass(frozen=True)
class Moment:
    before: Status
    event: Event
    facts: Facts
    result: Step | Refusal


@dataclass
class Life:
    """One request driven only through `transition`, remembering what happened to it."""

    status: Status
    needed: int
    expires_at: float
    now: float = 0.0
    voters: list[str] = field(default_factory=list)
    claims: int = 0
    history: list[Moment] = field(default_factory=list)


@st.composite
def _moves(draw: st.DrawFn) -> tuple[Event, float, str, bool, float]:
    return (
        draw(st.sampled_from(list(Event))),
        draw(st.sampled_from([0.0, 0.0, 0.0, 1.0, 10.0, 400.0])),  # time passing before it
        draw(st.sampled_from(HUMANS)),
        draw(st.booleans()),  # claimed for the same action
        draw(st.sampled_from([0.0, 0.0, 5.0])),  # a claim's delay
    )


def _live(
    start: Status, needed: int, ttl: float, moves: list[tuple[Event, float, str, bool, float]]
) -> Life:
    life = Life(start, needed, expires_at=ttl)
    for event, wait, voter, same, delay in moves:
        life.now += wait
        facts = Facts(
            "apr_x",
            life.now,
            life.expires_at,
            needed,
            approvals=len(life.voters),
            voter=voter,
            already_voted=voter in life.voters,
            same_action=same,
            delay=delay,
        )
        result = transition(life.status, event, facts)
        life.history.append(Moment(life.status, event, facts, result))
        if isinstance(result, Refusal):
            continue
        life.status = result.to
        if event is Event.APPROVE:
            life.voters.append(voter)
        if event is Event.CLAIM:
            life.claims += 1
    return life


_lives = st.builds(
    _live,
    st.sampled_from([Status.PENDING, Status.SCHEDULED]),  # open_request, schedule
    st.integers(1, 3),
    st.sampled_from([30.0, 1_000.0]),
    st.lists(_moves(), max_size=40),
)


@given(_lives)
def test_a_request_is_claimed_at_most_once(life: Life) -> None:
    assert life.claims <= 1


# Every sequence of up to four moves, from both starting statuses and for one or two
# approvers: small enough to run whole, long enough for approve, approve, claim, claim.
_MOVES = [
    (Event.APPROVE, 0.0, "alice", True, 0.0),
    (Event.APPROVE, 0.0, "bob", True, 0.0),
    (Event.DENY, 0.0, "alice", True, 0.0),
    (Event.CANCEL, 0.0, "alice", True, 0.0),
    (Event.CLAIM, 0.0, "", True, 0.0),
    (Event.CLAIM, 0.0, "", True, 5.0),
    (Event.CLAIM, 0.0, "", False, 0.0),
    (Event.START, 0.0, "", True, 0.0),
    (Event.EXPIRE, 0.0, "", True, 0.0),
    (Event.EXPIRE, 100.0, "", True, 0.0),  # time passes beyond the expiry, then it expires
]


def _every_life() -> Iterator[Life]:
    for start, needed, length in itertools.product(
        (Status.PENDING, Status.SCHEDULED), (1, 2), range(1, 5)
    ):
        for moves in itertools.product(_MOVES, repeat=length):
            yield _live(start, needed, 50.0, list(moves))


def test_every_short_life_keeps_the_promises() -> None:
    lives = 0
    for life in _every_life():
        lives += 1
        assert life.claims <= 1
        assert len(set(life.voters)) == len(life.voters)
        final_seen = False
        for m in life.history:
            assert not (final_seen and isinstance(m.result, Step))
            if isinstance(m.result, Step):
                final_seen = final_seen or m.result.to.final
                if m.result.to is Status.EXPIRED:
                    assert m.before in EXPIRABLE and m.facts.now >= m.facts.expires_at
                if m.result.to is Status.USED:
                    assert (m.before, m.event) in {
                        (Status.APPROVED, Event.CLAIM),
                        (Status.SCHEDULED, Event.START),
                    }
    assert lives == 4 * sum(len(_MOVES) ** n for n in range(1, 5))


@given(_lives)
def test_final_states_are_final(life: Life) -> None:
    reached_final = False
    for moment in life.history:
        if moment.event is Event.RELEASE:  # only a used approval is given back (below)
            assert isinstance(moment.result, Refusal) or moment.before is Status.USED
            reached_final = reached_final and not isinstance(moment.result, Step)
            continue
        if reached_final:
            assert moment.before.final and isinstance(moment.result, Refusal)
        reached_final = reached_final or (
            isinstance(moment.result, Step) and moment.result.to.final
        )


@given(_lives)
def test_expiry_only_from_pending_or_approved_and_only_when_due(life: Life) -> None:
    for m in life.history:
        if isinstance(m.result, Step) and m.result.to is Status.EXPIRED:
            assert m.event is Event.EXPIRE
            assert m.before in EXPIRABLE and m.facts.now >= m.facts.expires_at


@given(_lives)
def test_a_live_request_past_its_time_can_only_expire(life: Life) -> None:
    for m in life.history:
        overdue = m.before in EXPIRABLE and m.facts.now >= m.facts.expires_at
        if overdue and isinstance(m.result, Step):
            assert m.event is Event.EXPIRE


@given(_lives)
def test_approved_by_enough_distinct_humans_and_used_only_after_a_grant(life: Life) -> None:
    assert len(set(life.voters)) == len(life.voters)
    for m in life.history:
        if not isinstance(m.result, Step):
            continue
        if m.result.to is Status.APPROVED and m.before is not Status.APPROVED:
            if m.event is Event.RELEASE:  # given back: it was used, so granted before
                assert m.before is Status.USED
                continue
            assert m.event is Event.APPROVE and m.facts.approvals + 1 >= life.needed
        if m.result.to is Status.USED:
            assert (m.before, m.event) in {
                (Status.APPROVED, Event.CLAIM),
                (Status.SCHEDULED, Event.START),
            }


def test_the_local_operator_is_never_one_of_several_distinct_approvers() -> None:
    facts = Facts("apr_1", now=10.0, expires_at=100.0, approvers_needed=2, voter="local:root")
    refused = transition(Status.PENDING, Event.APPROVE, replace(facts, unproven_voter=True))
    assert isinstance(refused, Refusal) and "distinct approvers" in refused.message
    # Alone it may decide a one-approver request (where local_operator is allowed at all).
    single = replace(facts, approvers_needed=1, unproven_voter=True)
    assert transition(Status.PENDING, Event.APPROVE, single) == Step(
        Status.APPROVED, decided_at=10.0
    )
