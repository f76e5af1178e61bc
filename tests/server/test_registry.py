"""Agents, resources and webhooks over the API: roles, the kill switch, secrets kept in."""

from __future__ import annotations

import secrets

from fastapi.testclient import TestClient

from tests.server.conftest import PG_CREDENTIAL, Plane

BILLING_CREDENTIAL = "sk-billing-" + secrets.token_hex(12)


def test_admin_creates_an_agent_and_sees_its_token_once(plane: Plane, client: TestClient) -> None:
    plane.login(client, "alice")
    body = {
        "name": "new-bot",
        "environments": ["staging"],
        "task": "tidy",
        "owner": "alice",
        "max_risk": "write",
        "ttl": "1h",
    }
    response = client.post("/v1/agents", json=body)
    assert response.status_code == 201
    token = response.json()["token"]
    assert token.startswith("ilk_")
    assert token not in client.get("/v1/agents").text
    assert token not in client.get("/v1/agents/new-bot").text
    assert client.post("/v1/agents", json=body).status_code == 409


def test_wrong_role_is_refused(plane: Plane, client: TestClient) -> None:
    plane.login(client, "carol")  # an approver
    body = {"name": "x", "environments": ["dev"], "task": "t", "owner": "o"}
    for method, path, json in (
        ("POST", "/v1/agents", body),
        ("POST", "/v1/agents/ops-bot/revoke", None),
        ("POST", "/v1/agents/ops-bot/resume", None),
        ("POST", "/v1/resources", {"name": "r", "upstream": "https://x.example"}),
        ("DELETE", "/v1/resources/orders-db", None),
        ("GET", "/v1/webhooks", None),
        ("POST", "/v1/policies/reload", None),
    ):
        response = client.request(method, path, json=json)
        assert response.status_code == 403, (method, path, response.text)
        assert "admin" in response.json()["error"]


def test_the_kill_switch_is_for_every_human_and_takes_effect_at_once(
    plane: Plane, client: TestClient
) -> None:
    select = {"kind": "sql", "payload": "SELECT 1", "resource": "orders-db"}
    assert client.post("/v1/decide", json=select, headers=plane.agent_headers()).status_code == 200
    plane.login(client, "carol")
    response = client.post("/v1/agents/ops-bot/suspend")
    assert response.status_code == 200 and response.json()["status"] == "suspended"
    assert client.post("/v1/decide", json=select, headers=plane.agent_headers()).status_code == 401
    assert client.post("/v1/agents/ops-bot/suspend").status_code == 409
    assert client.post("/v1/agents/nobody/suspend").status_code == 404


def test_admin_resumes_and_revokes(plane: Plane, client: TestClient) -> None:
    plane.login(client, "alice")
    client.post("/v1/agents/ops-bot/suspend")
    assert client.post("/v1/agents/ops-bot/resume").json()["status"] == "active"
    assert client.post("/v1/agents/ops-bot/revoke").json()["status"] == "revoked"
    assert [a["name"] for a in client.get("/v1/agents").json()] == ["staging-fixer"]
    assert "ops-bot" in client.get("/v1/agents?revoked=true").text


def test_a_breaker_trip_is_resumed_by_an_admin_only(plane: Plane, client: TestClient) -> None:
    from interlock.identity import AgentRegistry
    from interlock.state import StoredTrip, baseline_storage

    agent = AgentRegistry.for_home(plane.home).get("ops-bot")
    storage = baseline_storage(plane.home)
    storage.add_trip(
        StoredTrip("trp_x", agent.id, "ops-bot", "circuit breaker: test", {}, 1.0, None, None)
    )
    AgentRegistry.for_home(plane.home).trip(agent.id, "circuit breaker: test")
    select = {"kind": "sql", "payload": "SELECT 1", "resource": "orders-db"}
    assert client.post("/v1/decide", json=select, headers=plane.agent_headers()).status_code == 401
    assert client.post("/v1/agents/ops-bot/resume", headers=plane.agent_headers()).status_code in (
        401,
        403,
    )
    plane.login(client, "bob")  # an approver, not an admin
    assert client.post("/v1/agents/ops-bot/resume").status_code == 403
    plane.login(client, "alice")
    assert client.post("/v1/agents/ops-bot/resume").json()["status"] == "active"
    assert storage.open_trip(agent.id) is None  # the breaker closed with the identity
    assert client.post("/v1/decide", json=select, headers=plane.agent_headers()).status_code == 200


def test_resources_never_return_their_credential(plane: Plane, client: TestClient) -> None:
    plane.login(client, "alice")
    body = {
        "name": "billing-api",
        "kind": "http",
        "environment": "production",
        "upstream": "https://billing.internal",
        "credential": BILLING_CREDENTIAL,
        "tags": ["pii"],
    }
    created = client.post("/v1/resources", json=body)
    assert created.status_code == 201 and BILLING_CREDENTIAL not in created.text
    listed = client.get("/v1/resources")
    assert {r["name"] for r in listed.json()} == {"billing-api", "orders-db"}
    assert "secret" not in listed.text.replace("credential", "")
    assert PG_CREDENTIAL not in listed.text and BILLING_CREDENTIAL not in listed.text
    bad = {**body, "name": "leaky", "upstream": "https://u:pw@billing.internal"}
    assert client.post("/v1/resources", json=bad).status_code == 422
    assert client.delete("/v1/resources/billing-api").status_code == 200
    assert client.delete("/v1/resources/billing-api").status_code == 404


def test_webhook_secrets_go_in_and_never_out(plane: Plane, client: TestClient) -> None:
    plane.login(client, "alice")
    secret = "whsec-never-shown-0123456789"
    body = {"url": "http://127.0.0.1:9/hook", "format": "slack", "secret": secret}
    created = client.post("/v1/webhooks", json=body)
    assert created.status_code == 201 and secret not in created.text
    listed = client.get("/v1/webhooks")
    assert secret not in listed.text and listed.json()[0]["secret"] == "sealed"
    bodies = [r.body for r in plane.home.audit_log().records()]
    assert any(b.get("event") == "webhook_added" for b in bodies)  # recorded, without it
    assert secret not in "\n".join(str(b) for b in bodies)
    webhook_id = created.json()["id"]
    assert client.delete(f"/v1/webhooks/{webhook_id}").status_code == 200
    assert client.delete(f"/v1/webhooks/{webhook_id}").status_code == 404
    short = {**body, "secret": "short"}
    assert client.post("/v1/webhooks", json=short).status_code == 422
    ftp = {**body, "url": "ftp://example.com/x"}
    assert client.post("/v1/webhooks", json=ftp).status_code == 422
