"""Webhooks against a real HTTP receiver on loopback: signed, retried, never blocking."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from interlock.errors import ConfigError
from interlock.server._webhooks import WebhookRegistry
from tests._wait import wait_until
from tests.server.conftest import Plane, build_app

SECRET = "whsec-test-0123456789abcdef"
DROP = {"kind": "sql", "payload": "DROP TABLE orders", "resource": "orders-db"}


@dataclass
class Receiver:
    server: ThreadingHTTPServer
    got: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    fail_first: int = 0
    # Cleared: every delivery is held open until the test sets it (a receiver that hangs).
    released: threading.Event = field(default_factory=threading.Event)
    holding: int = 0  # deliveries the receiver is holding open right now

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.got]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler))
    state.server.server_close()
    state.released.set()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                state.holding += 1
            try:
                if not state.released.wait(30):
                    raise AssertionError("the test never released the receiver")
            finally:
                with lock:
                    state.holding -= 1
            if state.fail_first > 0:
                state.fail_first -= 1
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            state.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(204)
            self.end_headers()

    state.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=state.server.serve_forever, daemon=True)
    thread.start()
    yield state
    state.released.set()
    state.server.shutdown()
    state.server.server_close()


def verify(headers: dict[str, str], body: bytes) -> bool:
    mac = hmac.new(
        SECRET.encode(), headers["x-interlock-timestamp"].encode() + b"." + body, hashlib.sha256
    )
    return hmac.compare_digest(headers["x-interlock-signature"], "sha256=" + mac.hexdigest())


def test_hold_approval_and_suspension_are_notified_signed(plane: Plane, receiver: Receiver) -> None:
    app = build_app(plane)
    app.state.plane.dispatcher.backoff = 0.05
    receiver.fail_first = 1  # the first delivery fails: it is retried
    with TestClient(app) as client:
        plane.login(client, "alice")
        body = {"url": receiver.url, "format": "json", "secret": SECRET}
        assert client.post("/v1/webhooks", json=body).status_code == 201
        answer = client.post("/v1/decide", json=DROP, headers=plane.agent_headers()).json()
        request_id = answer["approval"]["id"]
        wait_until(lambda: receiver.got)
        client.post(f"/v1/approvals/{request_id}/approve", json={"comment": "ok"})
        client.post("/v1/agents/ops-bot/suspend")
        wait_until(lambda: len(receiver.got) >= 3)
    events = [b["event"] for b in receiver.bodies()]
    assert events == ["hold", "approved", "suspended"]
    hold = receiver.bodies()[0]
    assert hold["request"]["id"] == request_id and hold["request"]["agent"] == "ops-bot"
    assert hold["url"].endswith(f"/approvals/{request_id}")
    for headers, raw in receiver.got:
        assert verify(headers, raw)
        assert headers["x-interlock-event"] in ("hold", "approved", "suspended")
    assert receiver.bodies()[1]["by"] == "alice"
    metrics = app.state.plane.metrics
    assert metrics.value("interlock_webhook_deliveries_total", result="retried") == 1
    assert SECRET not in json.dumps(receiver.bodies())


def test_slack_format_from_interlock_toml(
    plane: Plane, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    config = plane.home.config_path
    config.write_text(
        config.read_text()
        + f'\n[[webhooks]]\nurl = "{receiver.url}"\nformat = "slack"\nevents = ["hold"]\n'
        'secret_env = "HOOK_SECRET"\n'
    )
    with TestClient(build_app(plane)) as client:
        client.post("/v1/decide", json=DROP, headers=plane.agent_headers())
        wait_until(lambda: receiver.got)
        plane.login(client, "alice")
        listed = client.get("/v1/webhooks").json()
    assert listed == [
        {
            "id": "config-1",
            "url": receiver.url,
            "format": "slack",
            "events": ["hold"],
            "source": "config",
            "secret": "HOOK_SECRET",
        }
    ]
    (slack,) = receiver.bodies()
    assert "Held for approval" in slack["text"] and "ops-bot" in slack["text"]
    assert slack["blocks"][0]["type"] == "section"
    assert verify(*receiver.got[0])


def test_a_slow_receiver_never_slows_a_decision(plane: Plane, receiver: Receiver) -> None:
    # The receiver holds every delivery open until released. Decisions made meanwhile must
    # all be answered while it still holds the first one: had any waited on a delivery, it
    # would have made its own attempt, or timed one out into a retry.
    receiver.released.clear()
    app = build_app(plane)
    metrics = app.state.plane.metrics
    with TestClient(app) as client:
        plane.login(client, "alice")
        client.post("/v1/webhooks", json={"url": receiver.url, "secret": SECRET})
        held = client.post("/v1/decide", json=DROP, headers=plane.agent_headers()).json()
        assert held["decision"] == "hold"
        wait_until(lambda: receiver.holding, what="the first delivery to reach the receiver")
        for index in range(5):
            body = {**DROP, "payload": f"DROP TABLE t{index}"}
            answer = client.post("/v1/decide", json=body, headers=plane.agent_headers()).json()
            assert answer["decision"] == "hold"
        assert receiver.holding == 1 and receiver.got == []
        for result in ("delivered", "retried", "failed"):
            assert metrics.value("interlock_webhook_deliveries_total", result=result) == 0
        receiver.released.set()
        wait_until(lambda: len(receiver.got) == 6, what="all six hold notifications")
    assert [b["event"] for b in receiver.bodies()] == ["hold"] * 6


def test_a_plain_secret_in_the_file_is_refused(plane: Plane) -> None:
    config = plane.home.config_path
    config.write_text(
        config.read_text() + '\n[[webhooks]]\nurl = "https://x.example"\nsecret = "abc"\n'
    )
    app = build_app(plane)
    registry: WebhookRegistry = app.state.plane.webhooks
    with pytest.raises(ConfigError, match="secret_env"):
        registry.configured()
