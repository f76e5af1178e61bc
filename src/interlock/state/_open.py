"""Which storage a home uses: the one place a PostgreSQL state will be chosen.

Callers ask here (or through `ApprovalStore.for_home`, `AgentRegistry.for_home`, …) instead
of naming an implementation, so adding a store for teams changes this module only.
"""

from __future__ import annotations

from interlock.home import Home
from interlock.state._approvals import ApprovalStorage
from interlock.state._baseline import BaselineStorage
from interlock.state._identity import IdentityStorage
from interlock.state._sqlite_approvals import SQLiteApprovalStorage
from interlock.state._sqlite_baseline import SQLiteBaselineStorage
from interlock.state._sqlite_identity import SQLiteIdentityStorage
from interlock.state._sqlite_webhooks import SQLiteWebhookStorage
from interlock.state._webhooks import WebhookStorage


def approval_storage(home: Home) -> ApprovalStorage:
    """The home's approvals, sealed under its HMAC key where the key can be read."""
    return SQLiteApprovalStorage(home.database, mac_key=_seal_key(home))


def identity_storage(home: Home) -> IdentityStorage:
    """The home's agents and humans; agents' grants sealed under its HMAC key."""
    return SQLiteIdentityStorage(home.database, mac_key=_seal_key(home))


def _seal_key(home: Home) -> bytes | None:
    try:
        return home.hmac_key.read_bytes()
    except OSError:
        return None


def webhook_storage(home: Home) -> WebhookStorage:
    return SQLiteWebhookStorage(home.database)


def baseline_storage(home: Home) -> BaselineStorage:
    return SQLiteBaselineStorage(home.database)
