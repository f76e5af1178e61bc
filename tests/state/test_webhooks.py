"""WebhookStorage: API webhooks kept with their sealed secret, listed oldest first."""

from __future__ import annotations

from interlock.state import StoredWebhook, WebhookStorage


def test_add_list_remove(webhooks: WebhookStorage) -> None:
    first = StoredWebhook(
        "whk_1", "https://a.example/h", "json", frozenset({"hold"}), b"\x01s", 1.0, "alice"
    )
    second = StoredWebhook(
        "whk_2", "https://b.example/h", "slack", frozenset({"hold", "denied"}), b"\x02s", 2.0, "bob"
    )
    webhooks.add_webhook(second)
    webhooks.add_webhook(first)
    assert webhooks.webhooks() == [first, second]
    assert webhooks.remove_webhook("whk_1") is True
    assert webhooks.remove_webhook("whk_1") is False
    assert webhooks.webhooks() == [second]
