"""What the webhook registry needs from storage: webhooks added through the API.

Webhooks from interlock.toml are configuration, not state, and never stored. A stored
webhook's secret is sealed with the identity master key before it reaches storage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class StoredWebhook:
    id: str
    url: str
    format: str  # "json" | "slack"
    events: frozenset[str]
    secret_sealed: bytes
    created_at: float
    created_by: str


class WebhookStorage(Protocol):
    """Where API webhooks live (SQLite today; PostgreSQL for teams)."""

    def webhooks(self) -> list[StoredWebhook]:
        """Oldest first."""
        ...

    def add_webhook(self, webhook: StoredWebhook) -> None: ...

    def remove_webhook(self, webhook_id: str) -> bool:
        """False when there was no such webhook."""
        ...

    def close(self) -> None: ...
