"""API webhooks in the home's SQLite file (table `server_webhooks`)."""

from __future__ import annotations

from pathlib import Path

from interlock.state._sqlite import SQLiteFile
from interlock.state._webhooks import StoredWebhook

_SCHEMA = """
CREATE TABLE IF NOT EXISTS server_webhooks (
    id            TEXT PRIMARY KEY,
    url           TEXT NOT NULL,
    format        TEXT NOT NULL,
    events        TEXT NOT NULL,
    secret_sealed BLOB NOT NULL,
    created_at    REAL NOT NULL,
    created_by    TEXT NOT NULL
);
"""


class SQLiteWebhookStorage:
    """`WebhookStorage` in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = SQLiteFile(path, _SCHEMA, "the webhook store")

    def webhooks(self) -> list[StoredWebhook]:
        return self._file.select(StoredWebhook, "server_webhooks", "ORDER BY created_at")

    def add_webhook(self, webhook: StoredWebhook) -> None:
        self._file.add("server_webhooks", webhook)

    def remove_webhook(self, webhook_id: str) -> bool:
        return bool(self._file.change("DELETE FROM server_webhooks WHERE id = ?", (webhook_id,)))

    def close(self) -> None:
        self._file.close()
