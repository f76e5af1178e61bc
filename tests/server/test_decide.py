"""POST /v1/decide: the agent's own token, its grant, recorded first, holds queued."""

from __future__ import annotations

import http.client
import json
import threading

from fastapi.testclient import TestClient

from interlock.approvals import ApprovalStore
from interlock.model import Human
from tests._wait import wait_until
from tests.server.conftest import LiveServer, Plane, build_app

DROP = {"kind": "sql", "payload": "DROP TABLE orders", "resource": "orders-db"}


def test_reads_are_allowed_and_recorded_for_that_agent(plane: Plane, client: TestClient) -> None:
    body = {"kind": "sql", "payload": "SELECT 1", "resource": "orders-db", "reason": "health"}
    response = client.post("/v1/decide", json=body, headers=plane.agent_headers())
    assert response.status_code == 200
    answer = response.json()
    assert answer["decision"] == "allow" and answer["risk"] == "read"
    record = plane.home.audit_log().store.get(answer["audit_seq"])
    assert record is not None and record.type == "decision"
    assert record.body["principal"]["name"] == "ops-bot"
    assert record.body["stated_reason"] == "health" and "payload" not in record.body


def test_the_grant_decides_first(plane: Plane, client: TestClient) -> None:
    # staging-fixer may not touch production, whatever the policies say.
    body = {"kind": "sql", "payload": "SELECT 1", "resource": "orders-db"}
    answer = client.post("/v1/decide", json=body, headers=plane.agent_headers(plane.staging_token))
    assert answer.json()["decision"] == "deny"
    assert answer.json()["policies"] == ["grant"]


def test_the_registered_environment_wins(plane: Plane, client: TestClient) -> None:
    body = {**DROP, "env": "dev"}  # a request cannot relabel production
    answer = client.post("/v1/decide", json=body, headers=plane.agent_headers()).json()
    assert answer["decision"] == "hold"


def test_a_hold_names_the_request_and_tells_the_agent_to_wait(
    plane: Plane, client: TestClient
) -> None:
    answer = client.post("/v1/decide", json=DROP, headers=plane.agent_headers()).json()
    request_id = answer["approval"]["id"]
    assert answer["decision"] == "hold" and answer["approval"]["status"] == "pending"
    assert f"Wait until a human approves {request_id}" in answer["message"]
    assert "another way" in answer["message"]
    # A retry is the same request, not a new one for humans to read.
    again = client.post("/v1/decide", json=DROP, headers=plane.agent_headers()).json()
    assert again["approval"]["id"] == request_id


def test_prefer_wait_returns_as_soon_as_a_human_approves(plane: Plane) -> None:
    # The agent may wait a minute; its answer must come once a human approves, not when the
    # minute is up. Reading the answer with a half-minute socket timeout tells the two apart
    # on any machine (a real server, so a broken wait fails the test instead of hanging it).
    def approve_when_held() -> None:
        store = ApprovalStore.for_home(plane.home)  # its own SQLite connections, this thread
        (request,) = wait_until(store.requests, what="the held request")
        store.approve(request.id, Human("carol", "approver"), "go")

    approver = threading.Thread(target=approve_when_held, daemon=True)
    with LiveServer(build_app(plane)) as server:
        approver.start()
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        headers = {
            **plane.agent_headers(),
            "Prefer": "wait=60",
            "Content-Type": "application/json",
        }
        try:
            conn.request("POST", "/v1/decide", body=json.dumps(DROP), headers=headers)
            answer = json.loads(conn.getresponse().read())
        except TimeoutError:
            raise AssertionError("the waiting decision did not return once approved") from None
        finally:
            conn.close()
        approver.join(30)
    assert answer["decision"] == "allow" and answer["approval"]["approved_by"] == ["carol"]


def test_a_denied_request_is_a_deny_with_the_comment(plane: Plane, client: TestClient) -> None:
    answer = client.post("/v1/decide", json=DROP, headers=plane.agent_headers()).json()
    store = ApprovalStore.for_home(plane.home)
    store.deny(answer["approval"]["id"], Human("carol", "approver"), "use a migration")
    headers = {**plane.agent_headers(), "Prefer": "wait=1"}
    again = client.post("/v1/decide", json=DROP, headers=headers).json()
    # The denied request is final: the same action opens a fresh request.
    assert again["decision"] == "hold" and again["approval"]["id"] != answer["approval"]["id"]


def test_refusals(plane: Plane, client: TestClient) -> None:
    assert client.post("/v1/decide", json=DROP).status_code == 401
    bad = {"Authorization": "Bearer ilk_nope"}
    response = client.post("/v1/decide", json=DROP, headers=bad)
    assert response.status_code == 401 and response.json() == {
        "error": "invalid or expired agent token"
    }
    # A human session is not an agent: decisions are for agents under their grant.
    plane.login(client, "alice")
    assert client.post("/v1/decide", json=DROP).status_code == 403
    client.post("/v1/agents/ops-bot/suspend")
    response = client.post("/v1/decide", json=DROP, headers=plane.agent_headers())
    assert response.status_code == 401


def test_bad_payloads_are_422_not_500(plane: Plane, client: TestClient) -> None:
    headers = plane.agent_headers()
    for body, where in (
        ({"kind": "nope", "payload": "x"}, "body.kind"),
        ({"kind": "sql"}, "body.payload"),
        ({"kind": "sql", "payload": "x", "surprise": 1}, "body.surprise"),
    ):
        response = client.post("/v1/decide", json=body, headers=headers)
        assert response.status_code == 422, (body, response.text)
        assert [p["where"] for p in response.json()["problems"]] == [where]
    for body, error in (
        ({"kind": "sql", "payload": None}, "missing 'payload'"),
        ({"kind": "http", "payload": 12}, "the payload cannot be read as http"),
    ):
        response = client.post("/v1/decide", json=body, headers=headers)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"].startswith(error)


def test_shadow_mode_answers_allow_and_says_what_enforcing_would_have_decided(
    plane: Plane,
) -> None:
    plane.home.config_path.write_text(
        plane.home.config_path.read_text() + '\n[enforcement]\ndecide = "shadow"\n'
    )
    with TestClient(build_app(plane)) as shadow:
        answer = shadow.post("/v1/decide", json=DROP, headers=plane.agent_headers()).json()
        assert answer["decision"] == "allow" and answer["shadow"] == {"decision": "hold"}
        assert "approval" not in answer and "shadow mode" in answer["message"]
        record = plane.home.audit_log().store.get(answer["audit_seq"])
        assert record is not None and record.body["shadow"] is True
        assert record.body["decision"]["decision"] == "hold"
        attempt = {"kind": "shell", "payload": f"rm -rf {plane.home.root}", "resource": "orders-db"}
        refused = shadow.post("/v1/decide", json=attempt, headers=plane.agent_headers()).json()
        assert refused["decision"] == "deny" and "shadow" not in refused
    assert ApprovalStore.for_home(plane.home).requests() == []
