"""The approval store: held actions waiting for humans.

A request is bound to one fingerprint (never the payload) and one agent, can be claimed
once, and expires; its life is `_lifecycle.transition`. Every change reads the request,
asks the lifecycle and writes the step inside one storage write transaction (SQLite's
`BEGIN IMMEDIATE` today), so a proxy and the CLI in different processes cannot both claim
or both decide one request. Every change is appended to the audit log, after the
transaction: the audit log may share the file, and must not wait on our own write lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from interlock.approvals._lifecycle import (
    EXPIRABLE,
    LIVE,
    Event,
    Facts,
    Refusal,
    Status,
    transition,
)
from interlock.approvals._request import (
    ID_PREFIX,
    ApprovalError,
    ApprovalRequest,
    Vote,
    iso,
    new_request_id,
)
from interlock.audit import AuditLog
from interlock.home import Home
from interlock.model import Agent, Decision, Human, Resource
from interlock.redact import redact_value
from interlock.state import (
    ApprovalStorage,
    ApprovalWrites,
    SQLiteApprovalStorage,
    StoredApproval,
    approval_storage,
)

Clock = Callable[[], float]
DEFAULT_TTL = 3600.0
LOCAL_OPERATOR_PREFIX = "local:"  # the name `identity.local_operator` gives the OS user


class ApprovalStore:
    """Approval requests in the home's state; every change is also an audit record.

    `storage` is where requests live: an `ApprovalStorage`, or the path of a SQLite file.
    """

    def __init__(
        self,
        storage: Path | ApprovalStorage,
        *,
        audit: AuditLog | None = None,
        clock: Clock = time.time,
    ):
        self.storage = SQLiteApprovalStorage(storage) if isinstance(storage, Path) else storage
        self.audit = audit
        self.clock = clock
        self._lock = threading.RLock()
        self._deferred: list[tuple[str, dict[str, Any]]] = []

    @classmethod
    def for_home(cls, home: Home, *, clock: Clock = time.time) -> ApprovalStore:
        return cls(approval_storage(home), audit=home.audit_log(), clock=clock)

    def close(self) -> None:
        with self._lock:
            self.storage.close()

    # -- creating

    def open_request(
        self,
        *,
        fingerprint: str,
        agent: Agent,
        resource: Resource,
        decision: Decision,
        summary: str,
        source: str,
        ttl: float = DEFAULT_TTL,
        decision_seq: int | None = None,
    ) -> ApprovalRequest:
        """A pending request for this exact action, or the live one that already exists.

        An agent that retries a held action gets the same request back (pending, or approved
        and ready to be claimed), so retries never pile up new requests for humans to read.
        """
        now = self.clock()
        with self._write() as tx:
            self._expire(tx, now)
            live = tx.find(fingerprint, agent.id or agent.name, LIVE, newest=True)
            if live is not None:
                existing = ApprovalRequest.from_stored(live, tx.votes(live.id))
            else:
                created = _new(
                    Status.PENDING,
                    fingerprint=fingerprint,
                    agent=agent,
                    resource=resource,
                    decision=decision,
                    summary=summary,
                    source=source,
                    decision_seq=decision_seq,
                    now=now,
                    expires_at=now + ttl,
                )
                tx.insert(created)
        if live is not None:
            return existing
        request = ApprovalRequest.from_stored(created, [])
        self._log(
            "approval_request",
            {
                **_audit_view(request),
                "status": Status.PENDING.value,
                "approvers": request.approvers_needed,
                "expires_at": iso(request.expires_at),
            },
        )
        return request

    def schedule(
        self,
        *,
        fingerprint: str,
        agent: Agent,
        resource: Resource,
        decision: Decision,
        summary: str,
        source: str,
        delay: float,
        decision_seq: int | None = None,
    ) -> ApprovalRequest:
        """An allowed action with a `delay` safeguard: scheduled at once, cancellable until
        it starts."""
        now = self.clock()
        created = _new(
            Status.SCHEDULED,
            fingerprint=fingerprint,
            agent=agent,
            resource=resource,
            decision=decision,
            summary=summary,
            source=source,
            decision_seq=decision_seq,
            now=now,
            expires_at=now + delay + DEFAULT_TTL,
            run_at=now + delay,
        )
        with self._write() as tx:
            tx.insert(created)
        request = ApprovalRequest.from_stored(created, [])
        self._log(
            "approval",
            {**_audit_view(request), "event": "scheduled", "run_at": iso(now + delay)},
        )
        return request

    # -- reading

    def get(self, request_id: str) -> ApprovalRequest:
        self.expire_due()
        stored = self.storage.request(request_id.strip())
        if stored is None:
            raise ApprovalError(
                f"no approval request {request_id!r} (see `interlock approvals list --all`)"
            )
        return self._with_votes(stored)

    def resolve(self, typed: str) -> str:
        """The full id a typed id or unique prefix names (`apr_79f9`, or `79f9`).

        An ambiguous prefix is an error listing the candidates, never a guess: approving
        the wrong request is worse than asking again.
        """
        text = typed.strip()
        if not text:
            raise ApprovalError("no approval request id given")
        if self.storage.request(text) is not None:
            return text
        prefix = text if text.startswith(ID_PREFIX) else ID_PREFIX + text
        found = self.storage.ids_starting(prefix, 6)
        if len(found) == 1:
            return found[0]
        if not found:
            raise ApprovalError(
                f"no approval request {typed!r} (see `interlock approvals list --all`)"
            )
        shown = ", ".join(found[:5]) + (", …" if len(found) > 5 else "")
        raise ApprovalError(
            f"approval request prefix {typed!r} is ambiguous: it matches {shown}; type more of it"
        )

    def requests(
        self, statuses: Iterable[Status] | None = None, *, limit: int = 200
    ) -> list[ApprovalRequest]:
        """Requests newest first, optionally only in `statuses`."""
        self.expire_due()
        wanted = None if statuses is None else [s.value for s in statuses]
        return [self._with_votes(s) for s in self.storage.listing(wanted, limit)]

    def status(self, request_id: str) -> Status:
        """The current state only: what a waiting proxy polls (one indexed read)."""
        now = self.clock()
        found = self.storage.status(request_id)
        if found is None:
            raise ApprovalError(f"no approval request {request_id!r}")
        status, expires_at = Status(found[0]), found[1]
        if status in EXPIRABLE and expires_at <= now:
            self.expire_due()
            return Status.EXPIRED
        return status

    # -- humans deciding

    def approve(self, request_id: str, by: Human, comment: str = "") -> ApprovalRequest:
        """One human's approval; the request is approved once enough distinct humans agree."""
        human = _human(by)
        now = self.clock()
        with self._write() as tx:
            self._expire(tx, now)
            stored = _existing(tx, request_id)
            votes = tx.votes(stored.id)
            count = sum(v.vote == "approve" for v in votes)
            facts = _facts(
                stored,
                now,
                approvals=count,
                voter=human.name,
                already_voted=any(v.human == human.name for v in votes),
                unproven_voter=human.name.startswith(LOCAL_OPERATOR_PREFIX),
            )
            request = self._vote(tx, stored, Event.APPROVE, facts, human, comment)
        if isinstance(request, Refusal):
            raise ApprovalError(request.message)
        self._log(
            "approval",
            {
                **_audit_view(request),
                "event": "approved" if request.status is Status.APPROVED else "approval_vote",
                "by": human.name,
                "comment": comment[:1000],
                "approvals": count + 1,
                "approvers_needed": request.approvers_needed,
            },
        )
        return request

    def deny(self, request_id: str, by: Human, comment: str = "") -> ApprovalRequest:
        """Refuse a pending or approved (not yet used) request."""
        return self._close(request_id, by, comment, Event.DENY)

    def cancel(self, request_id: str, by: Human, comment: str = "") -> ApprovalRequest:
        """Stop a scheduled action during its cancel window (or any request not yet used)."""
        return self._close(request_id, by, comment, Event.CANCEL)

    def _close(self, request_id: str, by: Human, comment: str, event: Event) -> ApprovalRequest:
        human = _human(by)
        now = self.clock()
        with self._write() as tx:
            self._expire(tx, now)
            stored = _existing(tx, request_id)
            facts = _facts(stored, now, voter=human.name)
            request = self._vote(tx, stored, event, facts, human, comment)
        if isinstance(request, Refusal):
            raise ApprovalError(request.message)
        self._log(
            "approval",
            {
                **_audit_view(request),
                "event": request.status.value,
                "by": human.name,
                "comment": comment[:1000],
            },
        )
        return request

    # -- enforcement points using an approval

    def find_approved(self, fingerprint: str, agent_id: str) -> ApprovalRequest | None:
        """The approved, unused, unexpired request for exactly this action and agent."""
        self.expire_due()
        stored = self.storage.find(fingerprint, agent_id, (Status.APPROVED,), newest=False)
        return self._with_votes(stored) if stored is not None else None

    def claim(
        self, request_id: str, fingerprint: str, *, delay: float = 0.0
    ) -> ApprovalRequest | None:
        """Use an approved request for the action it was granted for, once.

        With `delay` it becomes `scheduled` (cancellable until `start`); otherwise `used`.
        Returns None when it is not approved any more, expired, or bound to another action.
        """
        now = self.clock()
        with self._write() as tx:
            self._expire(tx, now)
            stored = tx.request(request_id)
            if stored is None:
                return None
            facts = _facts(stored, now, same_action=stored.fingerprint == fingerprint, delay=delay)
            moved = self._move(tx, stored, Event.CLAIM, facts)
            if isinstance(moved, Refusal):
                return None
            request = ApprovalRequest.from_stored(moved, tx.votes(stored.id))
        event = (
            {"event": "scheduled", "run_at": iso(now + delay)} if delay > 0 else {"event": "used"}
        )
        self._log("approval", {**_audit_view(request), **event})
        return request

    def release(self, request_id: str, reason: str) -> bool:
        """Give back an approval an enforcement point used for an action that then did not
        happen (its safeguard failed first): approved again until its expiry. False when
        it cannot be (not used, or expired)."""
        request = self._step(request_id, Event.RELEASE)
        if request is None:
            return False
        self._log("approval", {**_audit_view(request), "event": "released", "reason": reason})
        return True

    def start(self, request_id: str) -> bool:
        """A scheduled action's window is over: mark it used, unless a human cancelled it."""
        request = self._step(request_id, Event.START)
        if request is None:
            return False
        self._log("approval", {**_audit_view(request), "event": "used"})
        return True

    def _step(self, request_id: str, event: Event) -> ApprovalRequest | None:
        """`event` applied to the request in one write; None when there is no such request
        or its lifecycle refuses the event (an enforcement point's steps never raise)."""
        now = self.clock()
        with self._write() as tx:
            stored = tx.request(request_id)
            if stored is None:
                return None
            moved = self._move(tx, stored, event, _facts(stored, now))
            if isinstance(moved, Refusal):
                return None
            return ApprovalRequest.from_stored(moved, tx.votes(stored.id))

    # -- expiry

    def expire_due(self) -> int:
        """Mark pending and approved requests past their expiry as expired (audited)."""
        now = self.clock()
        if not self.storage.due(EXPIRABLE, now):
            return 0
        with self._write() as tx:
            return self._expire(tx, now)

    def _expire(self, tx: ApprovalWrites, now: float) -> int:
        expired = 0
        for stored in tx.due(EXPIRABLE, now):
            if isinstance(self._move(tx, stored, Event.EXPIRE, _facts(stored, now)), Refusal):
                continue
            expired += 1
            self._deferred.append(
                (
                    "approval",
                    {
                        "event": "expired",
                        "id": stored.id,
                        "agent": stored.agent,
                        "resource": stored.resource,
                        "environment": stored.environment,
                    },
                )
            )
        return expired

    # -- plumbing

    @staticmethod
    def _move(
        tx: ApprovalWrites, stored: StoredApproval, event: Event, facts: Facts
    ) -> StoredApproval | Refusal:
        """Apply the lifecycle's answer to `event` inside the transaction `tx`."""
        step = transition(Status(stored.status), event, facts)
        if isinstance(step, Refusal):
            return step
        moved = replace(
            stored,
            status=step.to.value,
            decided_at=stored.decided_at if step.decided_at is None else step.decided_at,
            run_at=stored.run_at if step.run_at is None else step.run_at,
            used_at=stored.used_at if step.used_at is None else step.used_at,
        )
        tx.update(moved)
        return moved

    def _vote(
        self,
        tx: ApprovalWrites,
        stored: StoredApproval,
        event: Event,
        facts: Facts,
        human: Human,
        comment: str,
    ) -> ApprovalRequest | Refusal:
        """A human's `event` on the request inside `tx`: the move and their recorded vote, or
        the lifecycle's refusal (raised by the caller once the write, and its expiries, stand)."""
        moved = self._move(tx, stored, event, facts)
        if isinstance(moved, Refusal):
            return moved
        tx.put_vote(stored.id, Vote(human.name, event.value, comment[:1000], facts.now))
        return ApprovalRequest.from_stored(moved, tx.votes(stored.id))

    @contextmanager
    def _write(self) -> Iterator[ApprovalWrites]:
        with self._lock:
            try:
                with self.storage.writing() as tx:
                    yield tx
            except BaseException:
                self._deferred.clear()  # rolled back: those expiries did not happen
                raise
            # Audit records go to the same SQLite file through another connection: written
            # after our write lock is released, never inside it (that would wait on itself).
            deferred, self._deferred = self._deferred, []
            for type_, body in deferred:
                self._log(type_, body)

    def _with_votes(self, stored: StoredApproval) -> ApprovalRequest:
        return ApprovalRequest.from_stored(stored, self.storage.votes(stored.id))

    def _log(self, type_: str, body: dict[str, Any]) -> None:
        if self.audit is not None:
            self.audit.append(type_, body)


def _new(
    status: Status,
    *,
    fingerprint: str,
    agent: Agent,
    resource: Resource,
    decision: Decision,
    summary: str,
    source: str,
    decision_seq: int | None,
    now: float,
    expires_at: float,
    run_at: float | None = None,
) -> StoredApproval:
    return StoredApproval(
        id=new_request_id(),
        fingerprint=fingerprint,
        status=status.value,
        agent=agent.name,
        agent_id=agent.id or agent.name,
        resource=resource.name,
        environment=resource.environment,
        summary=summary[:500],
        # Targets, details and reasons quote the agent's own input (its SQL, its URL):
        # redacted before a human, the API or the console ever sees them.
        detail=redact_value(decision.to_json()),
        approvers_needed=max(1, decision.approvers),
        source=source,
        decision_seq=decision_seq,
        created_at=now,
        expires_at=expires_at,
        decided_at=None,
        run_at=run_at,
        used_at=None,
    )


def _existing(tx: ApprovalWrites, request_id: str) -> StoredApproval:
    stored = tx.request(request_id.strip())
    if stored is None:
        raise ApprovalError(
            f"no approval request {request_id!r} (see `interlock approvals list --all`)"
        )
    return stored


def _facts(stored: StoredApproval, now: float, **more: Any) -> Facts:
    return Facts(stored.id, now, stored.expires_at, stored.approvers_needed, **more)


def _human(by: object) -> Human:
    if not isinstance(by, Human):
        # Imported here: identity pulls in argon2 and pyotp, which only this path needs.
        from interlock.identity import require_human

        return require_human(by, action="approvals")
    return by


def _audit_view(request: ApprovalRequest) -> dict[str, Any]:
    return {
        "id": request.id,
        "agent": request.agent,
        "agent_id": request.agent_id,
        "resource": request.resource,
        "environment": request.environment,
        "summary": request.summary,
        "fingerprint": request.fingerprint,
        "source": request.source,
        **({"decision_seq": request.decision_seq} if request.decision_seq else {}),
    }
