"""A failed vault restore drill is a webhook event; a passing one is not."""

from __future__ import annotations

from pathlib import Path

from interlock.home import init_home
from interlock.server._events import notification_of
from interlock.server._webhooks import payload, slack_payload


def test_a_failed_drill_is_a_drill_failed_event(tmp_path: Path) -> None:
    home, _ = init_home(tmp_path / "home")
    audit = home.audit_log()
    passed = audit.append("vault_drill", {"snapshot": "ab12", "ok": True, "tables": []})
    failed = audit.append(
        "vault_drill",
        {"snapshot": "cd34", "ok": False, "tables": [], "error": "object cd34 was altered"},
    )
    assert notification_of(passed) is None
    assert notification_of(failed) == "drill_failed"
    generic = payload("drill_failed", failed, "http://127.0.0.1:8900")
    assert generic["drill"]["snapshot"] == "cd34"
    assert "was altered" in slack_payload(generic)["text"]
