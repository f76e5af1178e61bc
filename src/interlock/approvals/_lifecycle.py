"""A request's life as one pure function: (status, event, facts) -> a step or a refusal.

    pending    --approve (enough distinct humans)-->  approved   --claim-->  used
    approved   --claim with a delay-->  scheduled   --start-->  used
    pending | approved  --deny-->  denied;   --expire (past its expiry)-->  expired
    pending | approved | scheduled  --cancel-->  cancelled

`used`, `denied`, `cancelled` and `expired` are final: every event is refused there. A
pending or approved request past its expiry is treated as expired by every event, so a
request is never approved, claimed or decided after its time, whoever forgot to expire it.
The store reads the request, asks `transition`, and writes the step inside one write
transaction; this module does no I/O and knows nothing about storage.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Status(enum.StrEnum):
    """Where a request is in its life (see the module docstring)."""

    PENDING = "pending"
    APPROVED = "approved"
    SCHEDULED = "scheduled"
    USED = "used"
    DENIED = "denied"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def final(self) -> bool:
        return self in FINAL


FINAL = frozenset({Status.USED, Status.DENIED, Status.CANCELLED, Status.EXPIRED})
EXPIRABLE = frozenset({Status.PENDING, Status.APPROVED})
"""The statuses a request leaves when its expiry passes."""
LIVE = EXPIRABLE
"""The statuses in which an agent's retry finds the same request again."""


class Event(enum.StrEnum):
    """What can happen to a request."""

    APPROVE = "approve"  # one human's approval
    DENY = "deny"  # a human refuses it
    CANCEL = "cancel"  # a human stops it (a scheduled action during its window)
    CLAIM = "claim"  # an enforcement point uses the approval for the action it was made for
    START = "start"  # a scheduled action's cancel window is over: it runs
    EXPIRE = "expire"  # its expiry has passed
    RELEASE = "release"  # the action it was used for never happened (a safeguard failed)


SOURCES: dict[Event, frozenset[Status]] = {
    Event.APPROVE: frozenset({Status.PENDING}),
    Event.DENY: frozenset({Status.PENDING, Status.APPROVED}),
    Event.CANCEL: frozenset({Status.PENDING, Status.APPROVED, Status.SCHEDULED}),
    Event.CLAIM: frozenset({Status.APPROVED}),
    Event.START: frozenset({Status.SCHEDULED}),
    Event.EXPIRE: EXPIRABLE,
    Event.RELEASE: frozenset({Status.USED}),
}
"""The statuses each event may leave from; from any other it is refused."""


@dataclass(frozen=True, slots=True)
class Facts:
    """What a transition depends on besides the status, read inside the same transaction."""

    request_id: str
    now: float
    expires_at: float
    approvers_needed: int = 1
    approvals: int = 0  # distinct humans who approved before this event
    voter: str = ""  # the human behind APPROVE, DENY or CANCEL
    already_voted: bool = False  # `voter` has already voted on this request
    unproven_voter: bool = False  # `voter` is the unauthenticated local operator
    same_action: bool = True  # CLAIM: the request was granted for this exact fingerprint
    delay: float = 0.0  # CLAIM: a `delay` safeguard's cancel window, in seconds


@dataclass(frozen=True, slots=True)
class Step:
    """An allowed transition: the new status and the clock fields it sets (None: unchanged).

    An approval vote that is not yet enough keeps the request `pending` (a step to itself).
    """

    to: Status
    decided_at: float | None = None
    run_at: float | None = None
    used_at: float | None = None


@dataclass(frozen=True, slots=True)
class Refusal:
    """A transition that may not happen; `message` says why, for the person who asked."""

    message: str


def transition(status: Status, event: Event, facts: Facts) -> Step | Refusal:
    """What `event` does to a request in `status`, given `facts`."""
    if event is Event.EXPIRE:
        return _expire(status, facts)
    if status in EXPIRABLE and facts.now >= facts.expires_at:
        status = Status.EXPIRED
    if status not in SOURCES[event]:
        return Refusal(_not_from(status, event, facts.request_id))
    now = facts.now
    if event is Event.APPROVE:
        if facts.already_voted:
            return Refusal(
                f"{facts.voter} has already approved {facts.request_id}: it needs "
                f"{facts.approvers_needed} distinct approvers"
            )
        if facts.unproven_voter and facts.approvers_needed > 1:
            # `local:root` and `--user root` may be one person: never a distinct approver.
            return Refusal(
                f"{facts.request_id} needs {facts.approvers_needed} distinct approvers: the "
                "unauthenticated local operator is not one of them; approve with --user NAME"
            )
        if facts.approvals + 1 >= facts.approvers_needed:
            return Step(Status.APPROVED, decided_at=now)
        return Step(Status.PENDING)
    if event is Event.DENY:
        return Step(Status.DENIED, decided_at=now)
    if event is Event.CANCEL:
        return Step(Status.CANCELLED, decided_at=now)
    if event is Event.CLAIM:
        if not facts.same_action:
            return Refusal(f"{facts.request_id} was approved for another action")
        if facts.delay > 0:
            return Step(Status.SCHEDULED, run_at=now + facts.delay)
        return Step(Status.USED, used_at=now)
    if event is Event.RELEASE:
        # Given back by the enforcement point that used it, before the action had any
        # effect: the human's approval stands again, until its own expiry.
        if now >= facts.expires_at:
            return Refusal(f"{facts.request_id} has expired: it is not given back")
        return Step(Status.APPROVED)
    return Step(Status.USED, used_at=now)  # START


def _expire(status: Status, facts: Facts) -> Step | Refusal:
    if status not in EXPIRABLE:
        return Refusal(
            f"{facts.request_id} is {status.value}: only a pending or approved request expires"
        )
    if facts.now < facts.expires_at:
        return Refusal(f"{facts.request_id} has not reached its expiry yet")
    return Step(Status.EXPIRED, decided_at=facts.now)


def _not_from(status: Status, event: Event, request_id: str) -> str:
    if event is Event.APPROVE:
        return f"{request_id} is {status.value}: only a pending request can be approved"
    if event in (Event.DENY, Event.CANCEL):
        verb = "denied" if event is Event.DENY else "cancelled"
        ran = " (it has already run)" if status is Status.USED else ""
        return f"{request_id} is {status.value}: it can no longer be {verb}{ran}"
    if event is Event.CLAIM:
        return f"{request_id} is {status.value}: only an approved request can be used"
    if event is Event.RELEASE:
        return f"{request_id} is {status.value}: only a used approval can be given back"
    return f"{request_id} is {status.value}: only a scheduled action can start"
