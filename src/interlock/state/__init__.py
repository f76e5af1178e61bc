"""Interlock's state behind small storage interfaces, and their SQLite implementations.

    interface         records                          SQLite implementation
    ApprovalStorage   StoredApproval, StoredVote       SQLiteApprovalStorage
    IdentityStorage   StoredAgent, StoredToken,        SQLiteIdentityStorage
                      StoredHuman, StoredResource
    WebhookStorage    StoredWebhook                    SQLiteWebhookStorage
    BaselineStorage   StoredProfile, StoredTrip        SQLiteBaselineStorage
    AuditStore        AuditRecord, Checkpoint          SQLiteAuditStore (interlock.audit's)

`IdentityStorage` is made of `AgentStorage` (with `TokenStorage`, what the verifier reads),
`HumanStorage` and `ResourceStorage`; each registry asks only for its part. Storage keeps
records and transactions; the rules stay with their owners (approvals, identity, server,
audit). The SQLite implementations share one file, `state/interlock.db`, in WAL mode, and
write inside `BEGIN IMMEDIATE`, so processes sharing it serialise. Callers get a home's
storage from `approval_storage(home)`, `identity_storage(home)`, `webhook_storage(home)` and
`baseline_storage(home)`:
a PostgreSQL state implements the same protocols and is chosen there, without touching them.
"""

from interlock.audit import AuditStore, SQLiteAuditStore
from interlock.state._approvals import (
    ApprovalReads,
    ApprovalStorage,
    ApprovalWrites,
    StoredApproval,
    StoredVote,
)
from interlock.state._baseline import BaselineStorage, StoredProfile, StoredTrip
from interlock.state._errors import AlreadyStored
from interlock.state._identity import (
    AgentStorage,
    HumanStorage,
    IdentityStorage,
    ResourceStorage,
    StoredAgent,
    StoredHuman,
    StoredResource,
    StoredToken,
    TokenStorage,
)
from interlock.state._open import (
    approval_storage,
    baseline_storage,
    identity_storage,
    webhook_storage,
)
from interlock.state._sqlite_approvals import SQLiteApprovalStorage
from interlock.state._sqlite_baseline import SQLiteBaselineStorage
from interlock.state._sqlite_identity import SQLiteIdentityStorage
from interlock.state._sqlite_webhooks import SQLiteWebhookStorage
from interlock.state._webhooks import StoredWebhook, WebhookStorage

__all__ = [
    "AgentStorage",
    "AlreadyStored",
    "ApprovalReads",
    "ApprovalStorage",
    "ApprovalWrites",
    "AuditStore",
    "BaselineStorage",
    "HumanStorage",
    "IdentityStorage",
    "ResourceStorage",
    "SQLiteApprovalStorage",
    "SQLiteAuditStore",
    "SQLiteBaselineStorage",
    "SQLiteIdentityStorage",
    "SQLiteWebhookStorage",
    "StoredAgent",
    "StoredApproval",
    "StoredHuman",
    "StoredProfile",
    "StoredResource",
    "StoredToken",
    "StoredTrip",
    "StoredVote",
    "StoredWebhook",
    "TokenStorage",
    "WebhookStorage",
    "approval_storage",
    "baseline_storage",
    "identity_storage",
    "webhook_storage",
]
