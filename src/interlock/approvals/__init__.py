"""Approvals: held actions wait here for humans, bound to the exact action, single-use,
expiring. Enforcement points (the HTTP proxy, coding-agent hooks) open requests; humans
decide them from the CLI (`interlock approvals`) or, later, the console. See docs/approvals.md.
"""

from interlock.approvals._fingerprint import action_fingerprint
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
    "ApprovalError",
    "ApprovalRequest",
    "ApprovalStore",
    "Status",
    "Vote",
    "action_fingerprint",
    "new_request_id",
]
