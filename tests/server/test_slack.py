"""Approving from Slack, with requests signed exactly as Slack signs them
(`X-Slack-Signature: v0=HMAC-SHA256(secret, "v0:{ts}:{body}")`, a `payload` form field
holding a block_actions JSON): a signed press approves and the message is replaced through
`response_url` (a loopback server here); a bad signature, an old timestamp, an unmapped
user and a second press by the same person are refused; two-person rules and a policy
asking for the console hold."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from interlock.approvals import ApprovalStore, Status
from interlock.server._slack import APPROVE, DENY, parse_press, signature, verify
from interlock.server._webhooks import slack_payload
from tests.proxy.conftest import wait_until
from tests.server.conftest import Plane, build_app

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # interlock:ignore-secret (Slack's example)
DROP = {"kind": "sql", "payload": "DROP TABLE orders", "resource": "orders-db", "reason": "x"}


class ResponseUrl:
    """Slack's response_url, on loopback: records each message Interlock posts."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        messages = self.messages

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                messages.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/actions/T1/B1"


@pytest.fixture
def response_url() -> Iterator[ResponseUrl]:
    server = ResponseUrl()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def slack(plane: Plane, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv("INTERLOCK_SLACK_SIGNING_SECRET", SECRET)
    with plane.home.config_path.open("a") as config:
        config.write(
            "\n[slack]\nmax_age = 300\n"
            '\n[[slack.users]]\nslack_id = "UCAROL"\nhuman = "carol"\n'
            '\n[[slack.users]]\nslack_id = "UALICE"\nhuman = "alice"\n'
            '\n[[slack.users]]\nslack_id = "UBOB"\nhuman = "bob"\n'
        )
    return TestClient(build_app(plane))


def held(plane: Plane, client: TestClient) -> str:
    answer = client.post("/v1/decide", json=DROP, headers=plane.agent_headers()).json()
    assert answer["decision"] == "hold", answer
    request_id: str = answer["approval"]["id"]
    return request_id


def press_body(user: str, request_id: str, url: str, action: str = APPROVE) -> bytes:
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": "T1"},
        "api_app_id": "A1",
        "team": {"id": "T1", "domain": "example"},
        "channel": {"id": "C1", "name": "ops"},
        "response_url": url,
        "trigger_id": "1.2.3",
        "actions": [
            {
                "type": "button",
                "action_id": action,
                "block_id": "interlock_decide",
                "value": request_id,
                "action_ts": str(time.time()),
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def send(
    client: TestClient,
    body: bytes,
    *,
    secret: str = SECRET,
    ts: int | None = None,
    sig: str | None = None,
) -> Any:
    stamp = str(int(time.time()) if ts is None else ts)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": sig if sig is not None else signature(secret.encode(), stamp, body),
    }
    return client.post("/v1/slack/interactions", content=body, headers=headers)


def status(plane: Plane, request_id: str) -> Status:
    return ApprovalStore.for_home(plane.home).get(request_id).status


def test_a_signed_press_approves_and_updates_the_message(
    plane: Plane, slack: TestClient, response_url: ResponseUrl
) -> None:
    request_id = held(plane, slack)
    response = send(slack, press_body("UCAROL", request_id, response_url.url))
    assert response.status_code == 200 and response.json()["ok"] is True
    assert status(plane, request_id) is Status.APPROVED
    request = ApprovalStore.for_home(plane.home).get(request_id)
    assert request.votes[0].human == "carol" and "Slack" in request.votes[0].comment
    wait_until(lambda: response_url.messages)
    (message,) = response_url.messages
    assert message["replace_original"] is True and "Approved by carol" in message["text"]
    # the agent's identical retry now runs, once
    again = slack.post("/v1/decide", json=DROP, headers=plane.agent_headers()).json()
    assert again["decision"] == "allow"


def test_deny_from_slack(plane: Plane, slack: TestClient, response_url: ResponseUrl) -> None:
    request_id = held(plane, slack)
    assert send(slack, press_body("UALICE", request_id, response_url.url, DENY)).json()["ok"]
    assert status(plane, request_id) is Status.DENIED
    wait_until(lambda: response_url.messages)
    assert "Denied by alice" in response_url.messages[0]["text"]


def test_a_bad_signature_is_refused(
    plane: Plane, slack: TestClient, response_url: ResponseUrl
) -> None:
    request_id = held(plane, slack)
    body = press_body("UCAROL", request_id, response_url.url)
    for bad in (
        send(slack, body, secret="not-the-signing-secret"),
        send(slack, body, sig="v0=" + "0" * 64),
        send(slack, body, sig=""),
        # a valid signature of another body (the press tampered with after signing)
        send(slack, body.replace(b"UCAROL", b"UALICE"), sig=_signed(body)),
    ):
        assert bad.status_code == 401
    assert status(plane, request_id) is Status.PENDING
    assert response_url.messages == []
    refused = [
        r.body
        for r in plane.home.audit_log().records()
        if r.type == "approval" and r.body.get("event") == "slack_refused"
    ]
    assert len(refused) == 4


def _signed(body: bytes) -> str:
    return signature(SECRET.encode(), str(int(time.time())), body)


def test_an_old_timestamp_is_refused(
    plane: Plane, slack: TestClient, response_url: ResponseUrl
) -> None:
    request_id = held(plane, slack)
    body = press_body("UCAROL", request_id, response_url.url)
    old = int(time.time()) - 301
    response = send(slack, body, ts=old)  # correctly signed, but replayed too late
    assert response.status_code == 401 and "Timestamp" in response.json()["detail"]
    future = send(slack, body, ts=int(time.time()) + 301)
    assert future.status_code == 401
    assert status(plane, request_id) is Status.PENDING


def test_an_unmapped_user_is_refused(
    plane: Plane, slack: TestClient, response_url: ResponseUrl
) -> None:
    request_id = held(plane, slack)
    response = send(slack, press_body("UMALLORY", request_id, response_url.url))
    assert response.status_code == 200 and response.json()["ok"] is False
    assert "not mapped" in response.json()["detail"]
    assert status(plane, request_id) is Status.PENDING
    wait_until(lambda: response_url.messages)
    assert response_url.messages[0]["response_type"] == "ephemeral"


def test_a_second_press_by_the_same_person_is_refused(
    plane: Plane, slack: TestClient, response_url: ResponseUrl
) -> None:
    _two_person_policy(plane)
    slack = TestClient(build_app(plane))
    request_id = held(plane, slack)
    first = send(slack, press_body("UCAROL", request_id, response_url.url))
    assert first.json()["ok"] is True
    assert status(plane, request_id) is Status.PENDING  # 1 of 2
    second = send(slack, press_body("UCAROL", request_id, response_url.url))
    assert second.json()["ok"] is False
    assert status(plane, request_id) is Status.PENDING
    third = send(slack, press_body("UALICE", request_id, response_url.url))
    assert third.json()["ok"] is True
    assert status(plane, request_id) is Status.APPROVED
    votes = {v.human for v in ApprovalStore.for_home(plane.home).get(request_id).votes}
    assert votes == {"carol", "alice"}


def test_the_agents_owner_cannot_approve_where_separation_is_required(
    plane: Plane, slack: TestClient, response_url: ResponseUrl
) -> None:
    slack = TestClient(build_app(plane, owner_separation=True))
    request_id = held(plane, slack)
    response = send(slack, press_body("UBOB", request_id, response_url.url))  # bob owns ops-bot
    assert response.json()["ok"] is False and "owns agent" in response.json()["detail"]
    assert status(plane, request_id) is Status.PENDING


def test_a_policy_can_require_the_console(
    plane: Plane, slack: TestClient, response_url: ResponseUrl
) -> None:
    policies = plane.home.root / "policies"
    for path in policies.glob("*.cedar"):
        text = re.sub(
            r'^@approval\("required"\)$',
            '@approval("required")\n@approve_in("console")',
            path.read_text(),
            flags=re.MULTILINE,
        )
        path.write_text(text)
    slack = TestClient(build_app(plane))
    request_id = held(plane, slack)
    response = send(slack, press_body("UCAROL", request_id, response_url.url))
    assert response.json()["ok"] is False and "console" in response.json()["detail"]
    assert status(plane, request_id) is Status.PENDING
    denied = send(slack, press_body("UCAROL", request_id, response_url.url, DENY))
    assert denied.json()["ok"] is True  # refusing never needs the console
    assert status(plane, request_id) is Status.DENIED


def test_not_configured_is_404(plane: Plane) -> None:
    client = TestClient(build_app(plane))
    assert client.post("/v1/slack/interactions", content=b"payload=%7B%7D").status_code == 404


def test_hold_messages_carry_buttons_only_when_interactive() -> None:
    generic = {
        "event": "hold",
        "request": {"id": "apr_0123456789abcdef", "agent": "a", "resource": "r"},
        "url": "https://interlock.example/approvals/apr_0123456789abcdef",
    }
    plain = slack_payload(generic)
    assert [b["type"] for b in plain["blocks"]] == ["section"]
    interactive = slack_payload(generic, interactive=True)
    actions = interactive["blocks"][-1]
    assert actions["type"] == "actions"
    assert [e["action_id"] for e in actions["elements"]] == [APPROVE, DENY]
    assert {e["value"] for e in actions["elements"]} == {"apr_0123456789abcdef"}


def test_slacks_documented_example_signature_verifies() -> None:
    # The example of Slack's "Verifying requests from Slack" page.
    secret = b"8f742231b10e8888abcd99yyyzzz85a5"
    body = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&"  # interlock:ignore-secret
        b"team_id=T1DC2JH3J&team_domain=testteamnow&"
        b"channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&"
        b"command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2F"
        b"commands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&"
        b"trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    expected = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    assert signature(secret, "1531420618", body) == expected
    assert verify(secret, "1531420618", body, expected, now=1531420618, max_age=300) is None
    assert verify(secret, "1531420618", body, expected, now=1531420618 + 301, max_age=300)


def test_payloads_that_are_not_an_interlock_press_are_refused() -> None:
    for body in (
        b"",
        b"payload=not-json",
        urlencode({"payload": json.dumps({"type": "view_submission"})}).encode(),
        urlencode(
            {"payload": json.dumps({"type": "block_actions", "user": {"id": "U"}, "actions": []})}
        ).encode(),
        urlencode(
            {
                "payload": json.dumps(
                    {
                        "type": "block_actions",
                        "user": {"id": "U"},
                        "actions": [{"action_id": "other", "value": "apr_1"}],
                    }
                )
            }
        ).encode(),
    ):
        with pytest.raises(ValueError):
            parse_press(body)
    assert hmac.compare_digest(hashlib.sha256(b"").hexdigest(), hashlib.sha256(b"").hexdigest())


def _two_person_policy(plane: Plane) -> None:
    policies = plane.home.root / "policies"
    for path in policies.glob("*.cedar"):
        text = path.read_text()
        if '@id("hold-destructive-production")' in text:
            path.write_text(
                text.replace(
                    '@id("hold-destructive-production")',
                    '@id("hold-destructive-production")\n@approvers("2")',
                )
            )
            return
    raise AssertionError("the default pack has no hold-destructive-production")
