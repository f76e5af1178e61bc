"""The console's pages and forms: login (password + TOTP), CSRF on every form, roles."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.server.conftest import PASSWORD, PG_CREDENTIAL, Plane

DROP = {"kind": "sql", "payload": "DROP TABLE orders", "resource": "orders-db"}
PAGES = ("/approvals", "/audit", "/agents", "/resources", "/policies")


def console_login(plane: Plane, client: TestClient, name: str) -> str:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    response = client.post(
        "/login",
        data={
            "name": name,
            "password": PASSWORD,
            "code": plane.code(name),
            "csrf_token": token.group(1),
            "next": "/agents",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/agents"
    page = client.get("/agents")
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
    assert csrf is not None
    return csrf.group(1)


def test_pages_need_a_login(client: TestClient) -> None:
    for path in PAGES:
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_login_form_needs_its_own_csrf_token(plane: Plane, client: TestClient) -> None:
    client.get("/login")
    response = client.post(
        "/login",
        data={"name": "alice", "password": PASSWORD, "code": plane.code("alice")},
        follow_redirects=False,
    )
    assert response.status_code == 403


def test_a_wrong_login_shows_the_generic_error(plane: Plane, client: TestClient) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    response = client.post(
        "/login",
        data={"name": "alice", "password": "wrong", "code": "1", "csrf_token": token.group(1)},
    )
    assert response.status_code == 401 and "invalid name, password or code" in response.text


def test_every_page_renders_after_login(plane: Plane, client: TestClient) -> None:
    client.post("/v1/decide", json=DROP, headers=plane.agent_headers())
    console_login(plane, client, "carol")
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "content-security-policy" in response.headers
    rows = client.get("/console/approvals/rows").text
    request_id = re.search(r'data-id="(apr_[0-9a-f]+)"', rows)
    assert request_id is not None
    detail = client.get(f"/approvals/{request_id.group(1)}").text
    assert "DROP TABLE orders" in detail and "bob@example.com" in detail
    assert PG_CREDENTIAL not in detail


@pytest.mark.parametrize(
    "path",
    [
        "/approvals/{id}/approve",
        "/approvals/{id}/deny",
        "/agents/ops-bot/suspend",
        "/policies/try",
        "/policies/validate",
        "/logout",
    ],
)
def test_every_form_refuses_a_missing_csrf_token(
    plane: Plane, client: TestClient, path: str
) -> None:
    answer = client.post("/v1/decide", json=DROP, headers=plane.agent_headers()).json()
    console_login(plane, client, "alice")
    request_id = answer["approval"]["id"]
    data = {"kind": "sql", "payload": "SELECT 1", "comment": "x", "text": ""}
    response = client.post(path.format(id=request_id), data=data)
    assert response.status_code == 403
    # Refused means nothing happened: still logged in, the agent active, the request pending.
    assert client.get("/v1/session").json()["name"] == "alice"
    assert (
        client.get("/v1/agents/ops-bot", headers={"X-CSRF-Token": "x"}).json()["status"] == "active"
    )
    assert client.get(f"/v1/approvals/{request_id}").json()["status"] == "pending"


def test_approve_and_suspend_through_the_forms(plane: Plane, client: TestClient) -> None:
    answer = client.post("/v1/decide", json=DROP, headers=plane.agent_headers()).json()
    request_id = answer["approval"]["id"]
    csrf = console_login(plane, client, "carol")
    # DROP TABLE on production is irreversible: the target's name must be typed.
    for typed in ("", "order", "orders-db"):
        refused = client.post(
            f"/approvals/{request_id}/approve",
            data={"comment": "fine", "csrf_token": csrf, "confirm": typed},
        )
        assert refused.status_code == 422 and "type orders to approve" in refused.text
    response = client.post(
        f"/approvals/{request_id}/approve",
        data={"comment": "fine", "csrf_token": csrf, "confirm": "orders"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "approved" in client.get(f"/approvals/{request_id}").text
    replay = client.post(
        f"/approvals/{request_id}/approve", data={"comment": "again", "csrf_token": csrf}
    )
    assert replay.status_code == 409 and "only a pending request" in replay.text
    response = client.post(
        "/agents/ops-bot/suspend", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert response.status_code == 303
    assert "suspended" in client.get("/agents").text
    # carol is an approver: resuming needs an admin.
    response = client.post("/agents/ops-bot/resume", data={"csrf_token": csrf})
    assert response.status_code == 403


def test_suspend_from_the_approval_page_denies_and_suspends(
    plane: Plane, client: TestClient
) -> None:
    answer = client.post("/v1/decide", json=DROP, headers=plane.agent_headers()).json()
    request_id = answer["approval"]["id"]
    csrf = console_login(plane, client, "carol")
    page = client.get(f"/approvals/{request_id}").text
    assert 'id="suspend"' in page and 'id="approve"' in page and 'id="deny"' in page
    response = client.post(
        f"/approvals/{request_id}/suspend",
        data={"csrf_token": csrf, "comment": "looping"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    page = client.get(f"/approvals/{request_id}").text
    assert "denied" in page and 'id="agent-status"' in page and "suspended" in page
    # the suspended agent is refused everywhere now
    again = client.post("/v1/decide", json=DROP, headers=plane.agent_headers())
    assert again.status_code in (401, 403)


def test_try_an_action_box(plane: Plane, client: TestClient) -> None:
    csrf = console_login(plane, client, "carol")
    response = client.post(
        "/policies/try",
        data={"kind": "shell", "payload": "rm -rf /srv/data", "csrf_token": csrf},
    )
    assert response.status_code == 200
    assert 'id="try-result"' in response.text and "hold-destructive-production" in response.text


def test_an_agent_token_on_the_console_is_refused(plane: Plane, client: TestClient) -> None:
    response = client.get("/approvals", headers=plane.agent_headers())
    assert response.status_code == 403
    response = client.post("/login", headers=plane.agent_headers(), data={})
    assert response.status_code == 403


def test_login_next_stays_on_this_site(plane: Plane, client: TestClient) -> None:
    page = client.get("/login?next=//evil.example/x").text
    assert 'value="/approvals"' in page
