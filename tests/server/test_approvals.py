"""The approvals API: what a human sees, deciding, and every refusal the queue owes."""

from __future__ import annotations

import time

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from interlock.approvals import ApprovalStore
from interlock.policy import default_policy_dir
from tests.server.conftest import PG_CREDENTIAL, Plane, build_app, other_client

DROP = {"kind": "sql", "payload": "DROP TABLE orders", "resource": "orders-db", "reason": "cleanup"}


def hold(plane: Plane, client: TestClient, body: dict[str, object] | None = None) -> str:
    response = client.post("/v1/decide", json=body or DROP, headers=plane.agent_headers())
    assert response.status_code == 200 and response.json()["decision"] == "hold", response.text
    request_id: str = response.json()["approval"]["id"]
    return request_id


def test_a_request_shows_everything_a_human_needs(plane: Plane, client: TestClient) -> None:
    request_id = hold(plane, client)
    plane.login(client, "carol")
    (listed,) = client.get("/v1/approvals").json()
    view = client.get(f"/v1/approvals/{request_id}").json()
    assert listed["id"] == view["id"] == request_id
    assert view["agent"] == "ops-bot" and view["agent_owner"] == "bob@example.com"
    assert view["agent_task"] == "rotate logs" and view["stated_reason"] == "cleanup"
    assert view["resource"] == "orders-db" and view["environment"] == "production"
    (action,) = view["actions"]
    assert action["operation"] == "sql:DROP TABLE" and action["detail"] == "DROP TABLE orders"
    assert view["policies"][0]["id"] == "hold-destructive-production"
    assert "forbid" in view["policies"][0]["text"]
    # The policy asks for a snapshot, but nothing here takes one: the page must not say so.
    assert view["safeguards"] == [] and view["safeguards_requested"] == ["snapshot"]
    assert view["safeguards_unavailable"] == ["snapshot"] and view["risk"] == "destructive"
    assert view["status"] == "pending" and view["approvers_needed"] == 1
    # Never a credential: the resource's sealed credential is nowhere in the view.
    assert PG_CREDENTIAL not in str(view)


def test_approve_with_a_comment_is_recorded(plane: Plane, client: TestClient) -> None:
    request_id = hold(plane, client)
    plane.login(client, "carol")
    response = client.post(f"/v1/approvals/{request_id}/approve", json={"comment": "checked"})
    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    assert response.json()["votes"][0] == {
        **response.json()["votes"][0],
        "human": "carol",
        "comment": "checked",
    }
    events = [r.body for r in plane.home.audit_log().records() if r.type == "approval"]
    assert events[-1]["event"] == "approved" and events[-1]["by"] == "carol"
    # The agent's retry is allowed once, then held again.
    again = client.post("/v1/decide", json=DROP, headers=plane.agent_headers()).json()
    assert again["decision"] == "allow" and again["approval"]["id"] == request_id
    third = client.post("/v1/decide", json=DROP, headers=plane.agent_headers()).json()
    assert third["decision"] == "hold" and third["approval"]["id"] != request_id


def test_deny_tells_the_agent(plane: Plane, client: TestClient) -> None:
    request_id = hold(plane, client)
    plane.login(client, "carol")
    response = client.post(f"/v1/approvals/{request_id}/deny", json={"comment": "not today"})
    assert response.status_code == 200 and response.json()["status"] == "denied"


def test_a_replayed_approval_is_refused(plane: Plane, client: TestClient) -> None:
    request_id = hold(plane, client)
    plane.login(client, "carol")
    assert client.post(f"/v1/approvals/{request_id}/approve", json={}).status_code == 200
    response = client.post(f"/v1/approvals/{request_id}/approve", json={})
    assert response.status_code == 409 and "only a pending request" in response.json()["error"]
    # Used by the agent, it cannot be approved (or denied) again either.
    client.post("/v1/decide", json=DROP, headers=plane.agent_headers())
    assert client.post(f"/v1/approvals/{request_id}/approve", json={}).status_code == 409
    assert client.post(f"/v1/approvals/{request_id}/deny", json={}).status_code == 409


def test_an_expired_request_cannot_be_approved(plane: Plane, client: TestClient) -> None:
    request_id = hold(plane, client)
    store = ApprovalStore.for_home(plane.home)
    store.clock = lambda: time.time() + 7200
    store.expire_due()
    plane.login(client, "carol")
    response = client.post(f"/v1/approvals/{request_id}/approve", json={})
    assert response.status_code == 410 and "expired" in response.json()["error"]


def test_unknown_request_is_404(plane: Plane, client: TestClient) -> None:
    plane.login(client, "carol")
    assert client.get("/v1/approvals/apr_ffffffffffffffff").status_code == 404
    assert client.post("/v1/approvals/apr_ffffffffffffffff/approve", json={}).status_code == 404


@pytest.fixture
def two_approvers(plane: Plane) -> FastAPI:
    policies = plane.home.root / "policies"
    text = (default_policy_dir() / "protect-production.cedar").read_text()
    text = text.replace(
        '@id("hold-destructive-production")\n@approval("required")',
        '@id("hold-destructive-production")\n@approval("required")\n@approvers("2")\n'
        '@separation("owner")',
    )
    (policies / "protect-production.cedar").write_text(text)
    return build_app(plane)


def test_two_distinct_approvers_and_never_the_same_twice(
    plane: Plane, two_approvers: FastAPI
) -> None:
    with TestClient(two_approvers) as alice:
        request_id = hold(plane, alice)
        plane.login(alice, "alice")
        first = alice.post(f"/v1/approvals/{request_id}/approve", json={"comment": "one"})
        assert first.status_code == 200 and first.json()["status"] == "pending"
        second = alice.post(f"/v1/approvals/{request_id}/approve", json={"comment": "again"})
        assert second.status_code == 409 and "distinct" in second.json()["error"]
        carol = other_client(two_approvers)
        plane.login(carol, "carol")
        done = carol.post(f"/v1/approvals/{request_id}/approve", json={"comment": "two"})
        assert done.status_code == 200 and done.json()["status"] == "approved"
        assert done.json()["approved_by"] == ["alice", "carol"]


def test_the_owner_cannot_approve_when_the_policy_says_so(
    plane: Plane, two_approvers: FastAPI
) -> None:
    with TestClient(two_approvers) as bob:
        request_id = hold(plane, bob)
        plane.login(bob, "bob")  # ops-bot's owner is bob@example.com
        view = bob.get(f"/v1/approvals/{request_id}").json()
        assert view["owner_separation"] is True
        response = bob.post(f"/v1/approvals/{request_id}/approve", json={})
        assert response.status_code == 403 and "owns agent" in response.json()["error"]
        # Denying is always possible: it only makes things safer.
        assert bob.post(f"/v1/approvals/{request_id}/deny", json={}).status_code == 200


def test_owner_separation_from_the_config_flag(plane: Plane) -> None:
    with TestClient(build_app(plane, owner_separation=True)) as bob:
        request_id = hold(plane, bob)
        plane.login(bob, "bob")
        assert bob.post(f"/v1/approvals/{request_id}/approve", json={}).status_code == 403


def test_without_separation_the_owner_may_approve(plane: Plane, client: TestClient) -> None:
    request_id = hold(plane, client)
    plane.login(client, "bob")
    assert client.post(f"/v1/approvals/{request_id}/approve", json={}).status_code == 200


def test_list_filters_by_status(plane: Plane, client: TestClient) -> None:
    request_id = hold(plane, client)
    plane.login(client, "carol")
    client.post(f"/v1/approvals/{request_id}/deny", json={})
    assert client.get("/v1/approvals").json() == []
    assert [r["id"] for r in client.get("/v1/approvals?status=denied").json()] == [request_id]
    assert len(client.get("/v1/approvals?status=all").json()) == 1
    assert client.get("/v1/approvals?status=nonsense").status_code == 422
