"""API webhooks in the home's SQLite file (table `server_webhooks`)."""

from __future__ import annotations

import json
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
        with self._file.reading() as db:
            rows = db.execute("SELECT * FROM server_webhooks ORDER BY created_at").fetchall()
        return [
            StoredWebhook(
                **{
                    **dict(row),
                    "events": frozenset(json.loads(row["events"])),
                    "secret_sealed": bytes(row["secret_sealed"]),
                }
            )
            for row in rows
        ]

    def add_webhook(self, webhook: StoredWebhook) -> None:
        with self._file.writing() as db:
            db.execute(
                "INSERT INTO server_webhooks (id, url, format, events, secret_sealed,"
                " created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    webhook.id,
                    webhook.url,
                    webhook.format,
                    json.dumps(sorted(webhook.events)),
                    webhook.secret_sealed,
                    webhook.created_at,
                    webhook.created_by,
                ),
            )

    def remove_webhook(self, webhook_id: str) -> bool:
        with self._file.writing() as db:
            gone = db.execute("DELETE FROM server_webhooks WHERE id = ?", (webhook_id,)).rowcount
        return bool(gone)

    def close(self) -> None:
        self._file.close()
