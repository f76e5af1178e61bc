"""The state package's face: one place chooses a home's storage; the audit store is
the audit package's own, re-exported here."""

from __future__ import annotations

from pathlib import Path

import interlock.audit
import interlock.state
from interlock.home import init_home
from interlock.state import (
    SQLiteApprovalStorage,
    SQLiteIdentityStorage,
    SQLiteWebhookStorage,
    approval_storage,
    identity_storage,
    webhook_storage,
)


def test_a_home_uses_its_sqlite_file(tmp_path: Path) -> None:
    home, _ = init_home(tmp_path / ".interlock")
    for opened, kind in (
        (approval_storage(home), SQLiteApprovalStorage),
        (identity_storage(home), SQLiteIdentityStorage),
        (webhook_storage(home), SQLiteWebhookStorage),
    ):
        assert isinstance(opened, kind) and opened.path == home.database
        opened.close()


def test_the_audit_store_is_reexported_not_copied() -> None:
    assert interlock.state.AuditStore is interlock.audit.AuditStore
    assert interlock.state.SQLiteAuditStore is interlock.audit.SQLiteAuditStore
