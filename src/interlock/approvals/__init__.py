"""Approvals: held actions wait here for humans, bound to the exact action, single-use,
expiring. Enforcement points (the HTTP proxy, coding-agent hooks) open requests; humans
decide them from the CLI (`interlock approvals`) or the console (`interlock serve`); owner
separation is one rule for both. A request's life is one pure function (`transition`);
the store applies it inside a storage write transaction. See docs/approvals.md.
"""

from interlock.approvals._lifecycle import (
    EXPIRABLE,
    FINAL,
    Event,
    Facts,
    Refusal,
    Status,
    Step,
    transition,
)
from interlock.approvals._request import (
    ID_PREFIX,
    ApprovalError,
    ApprovalRequest,
    Vote,
    new_request_id,
)
from interlock.approvals._separation import (
    SEPARATION_ANNOTATION,
    Separation,
    is_owner,
    owner_refusal,
    separation_for,
)
from interlock.approvals._store import DEFAULT_TTL, ApprovalStore

__all__ = [
    "DEFAULT_TTL",
    "EXPIRABLE",
    "FINAL",
    "ID_PREFIX",
    "SEPARATION_ANNOTATION",
    "ApprovalError",
    "ApprovalRequest",
    "ApprovalStore",
    "Event",
    "Facts",
    "Refusal",
    "Separation",
    "Status",
    "Step",
    "Vote",
    "is_owner",
    "new_request_id",
    "owner_refusal",
    "separation_for",
    "transition",
]
