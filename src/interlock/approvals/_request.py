"""An approval request as enforcement points, the CLI and the console see it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from interlock.approvals._lifecycle import Status
from interlock.errors import InterlockError
from interlock.state import StoredApproval, StoredVote

ID_PREFIX = "apr_"

Vote = StoredVote
"""One human's vote on a request: approve, deny or cancel, with their comment."""


class ApprovalError(InterlockError):
    """An approval operation cannot be done; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class ApprovalRequest(StoredApproval):
    """One request as stored, with its votes. `detail` is the gate's decision as JSON (no
    payload)."""

    status: Status
    detail: dict[str, Any]
    votes: tuple[Vote, ...] = ()

    @classmethod
    def from_stored(cls, stored: StoredApproval, votes: list[Vote]) -> ApprovalRequest:
        values: dict[str, Any] = {name: getattr(stored, name) for name in _STORED}
        detail = stored.detail
        values.update(
            status=Status(stored.status),
            detail=detail if isinstance(detail, dict) else dict(detail),
            votes=tuple(votes),
        )
        return cls(**values)

    @property
    def approvals(self) -> tuple[str, ...]:
        return tuple(v.human for v in self.votes if v.vote == "approve")

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status.value,
            "agent": self.agent,
            "agent_id": self.agent_id,
            "resource": self.resource,
            "environment": self.environment,
            "summary": self.summary,
            "decision": self.detail,
            "approvers_needed": self.approvers_needed,
            "approved_by": list(self.approvals),
            "votes": [
                {"human": v.human, "vote": v.vote, "comment": v.comment, "at": iso(v.at)}
                for v in self.votes
            ],
            "source": self.source,
            "decision_seq": self.decision_seq,
            "fingerprint": self.fingerprint,
            "created_at": iso(self.created_at),
            "expires_at": iso(self.expires_at),
            "decided_at": iso(self.decided_at) if self.decided_at else None,
            "run_at": iso(self.run_at) if self.run_at else None,
            "used_at": iso(self.used_at) if self.used_at else None,
        }


_STORED = tuple(f.name for f in fields(StoredApproval))


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def new_request_id() -> str:
    """`apr_` and 16 hex digits: the form hooks and proxies show agents."""
    return ID_PREFIX + secrets.token_hex(8)
