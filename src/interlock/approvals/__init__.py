"""Approvals: held actions wait here for humans, bound to the exact action, single-use,
expiring. Enforcement points (the HTTP proxy, coding-agent hooks) open requests; humans
decide them from the CLI (`interlock approvals`) or the console (`interlock serve`); owner
separation is one rule for both. See docs/approvals.md.
"""

from interlock.approvals._fingerprint import action_fingerprint
from interlock.approvals._separation import (
    SEPARATION_ANNOTATION,
    Separation,
    is_owner,
    owner_refusal,
    separation_for,
)
from interlock.approvals._store import (
    DEFAULT_TTL,
    ID_PREFIX,
    ApprovalError,
    ApprovalRequest,
    ApprovalStore,
    Status,
    Vote,
    new_request_id,
)

__all__ = [
    "DEFAULT_TTL",
    "ID_PREFIX",
    "SEPARATION_ANNOTATION",
    "ApprovalError",
    "ApprovalRequest",
    "ApprovalStore",
    "Separation",
    "Status",
    "Vote",
    "action_fingerprint",
    "is_owner",
    "new_request_id",
    "owner_refusal",
    "separation_for",
]
