"""The one enforcement pipeline every enforcement point uses.

An enforcement point (the HTTP and PostgreSQL proxies, the coding-agent hooks,
`POST /v1/decide`) turns what it saw into an `ActionRequest`, asks its `EnforcementPoint`,
and renders the `Verdict` into its protocol. Fingerprints, decision and outcome records,
messages to agents, the approval lookup / claim / open / wait and safeguard scheduling live
here, once. See docs/architecture.md.
"""

from interlock.enforce._metrics import DECISIONS_LOG, PointMetrics, decision_line
from interlock.enforce._point import (
    BREAKER_RULE,
    NOT_RECORDED,
    EnforcementPoint,
    suspended_decision,
)
from interlock.enforce._request import ActionRequest, keyed_digest, request_fingerprint
from interlock.enforce._safeguards import (
    DEFAULT_DELAY,
    DELAY,
    SAFEGUARD_UNAVAILABLE,
    delay_seconds,
    missing_safeguards,
    only_takeable,
    require_safeguards,
    safeguard_name,
    safeguards_context,
)
from interlock.enforce._verdict import Verdict
from interlock.enforce._waiter import ApprovalWaiter

__all__ = [
    "BREAKER_RULE",
    "DECISIONS_LOG",
    "DEFAULT_DELAY",
    "DELAY",
    "NOT_RECORDED",
    "SAFEGUARD_UNAVAILABLE",
    "ActionRequest",
    "ApprovalWaiter",
    "EnforcementPoint",
    "PointMetrics",
    "Verdict",
    "decision_line",
    "delay_seconds",
    "keyed_digest",
    "missing_safeguards",
    "only_takeable",
    "request_fingerprint",
    "require_safeguards",
    "safeguard_name",
    "safeguards_context",
    "suspended_decision",
]
