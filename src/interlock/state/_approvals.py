"""What the approval store needs from storage: requests and votes, and a write transaction.

The rules (which status may follow which, who may vote, when a request expires) live in
`interlock.approvals`; storage only keeps rows and guarantees that one write transaction
at a time runs against them, across every process that shares the state. That guarantee is
what makes an approval single-use: read the request, decide, write, all inside `writing()`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class StoredVote:
    """One human's vote on a request: approve, deny or cancel, with their comment."""

    human: str
    vote: str  # "approve" | "deny" | "cancel"
    comment: str
    at: float


@dataclass(frozen=True, slots=True)
class StoredApproval:
    """One approval request as stored: the action's fingerprint (never its payload), who
    asked, on what, the gate's decision (`detail`, a JSON object), and its clock."""

    id: str
    fingerprint: str
    status: str
    agent: str
    agent_id: str
    resource: str
    environment: str
    summary: str
    detail: Mapping[str, Any]
    approvers_needed: int
    source: str
    decision_seq: int | None
    created_at: float
    expires_at: float
    decided_at: float | None
    run_at: float | None
    used_at: float | None


class ApprovalReads(Protocol):
    """Reads, inside a write transaction or outside one."""

    def request(self, request_id: str) -> StoredApproval | None: ...

    def status(self, request_id: str) -> tuple[str, float] | None:
        """The status and expiry only: what a waiting enforcement point polls."""
        ...

    def votes(self, request_id: str) -> list[StoredVote]:
        """Oldest first."""
        ...

    def find(
        self, fingerprint: str, agent_id: str, statuses: Collection[str], *, newest: bool
    ) -> StoredApproval | None:
        """The newest (or oldest) request for this action and agent in one of `statuses`."""
        ...

    def due(self, statuses: Collection[str], now: float) -> list[StoredApproval]:
        """Requests in one of `statuses` whose expiry is at or before `now`."""
        ...

    def listing(self, statuses: Collection[str] | None, limit: int) -> list[StoredApproval]:
        """Newest first, optionally only in `statuses`."""
        ...

    def ids_starting(self, prefix: str, limit: int) -> list[str]:
        """Up to `limit` request ids that begin with `prefix` (what a typed prefix names)."""
        ...


class ApprovalWrites(ApprovalReads, Protocol):
    """One write transaction: serialised with every other, committed or rolled back whole."""

    def insert(self, request: StoredApproval) -> None: ...

    def update(self, request: StoredApproval) -> None:
        """Store the request's status and clock (`decided_at`, `run_at`, `used_at`)."""
        ...

    def put_vote(self, request_id: str, vote: StoredVote) -> None:
        """Record a human's vote, replacing an earlier vote of the same human."""
        ...


class ApprovalStorage(ApprovalReads, Protocol):
    """Where approval requests live (SQLite today; PostgreSQL for teams)."""

    def writing(self) -> AbstractContextManager[ApprovalWrites]:
        """A write transaction that holds the write lock from its start."""
        ...

    def close(self) -> None: ...
