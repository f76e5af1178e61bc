"""Logging in, sessions, CSRF, throttling, lockout, and agent tokens on human paths."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.server.conftest import PASSWORD, Plane, build_app


def test_login_gives_a_strict_httponly_session_cookie(plane: Plane, client: TestClient) -> None:
    response = client.post(
        "/v1/session", json={"name": "alice", "password": PASSWORD, "code": plane.code("alice")}
    )
    assert response.status_code == 200
    assert response.json()["role"] == "admin" and response.json()["csrf_token"]
    cookie = response.headers["set-cookie"]
    assert "interlock_session=" in cookie and "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "samesite=strict" in cookie.lower()
    assert "secure" not in cookie.lower()  # plain http on loopback
    assert client.get("/v1/session").json() == {"name": "alice", "role": "admin"}


def test_secure_cookie_when_configured(plane: Plane) -> None:
    with TestClient(build_app(plane, secure_cookies="always")) as client:
        response = client.post(
            "/v1/session",
            json={"name": "alice", "password": PASSWORD, "code": plane.code("alice")},
        )
        assert "secure" in response.headers["set-cookie"].lower()


def test_wrong_password_or_code_is_one_generic_refusal(plane: Plane, client: TestClient) -> None:
    code = plane.code("alice")
    for body in (
        {"name": "alice", "password": "wrong password!!", "code": code},
        {"name": "alice", "password": PASSWORD, "code": "000000"},
        {"name": "nobody", "password": PASSWORD, "code": code},
    ):
        response = client.post("/v1/session", json=body)
        assert response.status_code == 401
        assert response.json() == {"error": "invalid name, password or code"}
    assert client.get("/v1/session").status_code == 401


def test_unauthenticated_calls_are_refused(client: TestClient) -> None:
    for method, path in (
        ("GET", "/v1/approvals"),
        ("GET", "/v1/agents"),
        ("GET", "/v1/resources"),
        ("GET", "/v1/policies"),
        ("GET", "/v1/audit"),
        ("GET", "/v1/audit/verify"),
        ("GET", "/v1/audit/stream"),
        ("GET", "/v1/webhooks"),
        ("POST", "/v1/approvals/apr_0000000000000000/approve"),
        ("POST", "/v1/agents/ops-bot/suspend"),
        ("POST", "/v1/policies/try"),
    ):
        response = client.request(method, path, json={})
        assert response.status_code == 401, (method, path, response.text)


def test_csrf_token_is_required_on_state_changes(plane: Plane, client: TestClient) -> None:
    csrf = plane.login(client, "alice")
    del client.headers["X-CSRF-Token"]
    response = client.post("/v1/agents/ops-bot/suspend")
    assert response.status_code == 403 and "CSRF" in response.json()["error"]
    response = client.post("/v1/agents/ops-bot/suspend", headers={"X-CSRF-Token": "forged"})
    assert response.status_code == 403
    response = client.post(
        "/v1/agents/ops-bot/suspend",
        headers={"X-CSRF-Token": csrf, "Origin": "https://evil.example"},
    )
    assert response.status_code == 403 and "cross-origin" in response.json()["error"]
    assert client.get("/v1/agents/ops-bot").json()["status"] == "active"
    response = client.post("/v1/agents/ops-bot/suspend", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200 and response.json()["status"] == "suspended"


def test_agent_tokens_are_refused_on_human_paths_and_recorded(
    plane: Plane, client: TestClient
) -> None:
    headers = plane.agent_headers()
    for method, path in (
        ("GET", "/v1/approvals"),
        ("POST", "/v1/approvals/apr_0000000000000000/approve"),
        ("POST", "/v1/agents"),
        ("GET", "/v1/audit"),
        ("POST", "/v1/session"),
        ("GET", "/approvals"),
    ):
        response = client.request(method, path, headers=headers, json={})
        assert response.status_code == 403, (method, path, response.status_code)
    incidents = [r for r in plane.home.audit_log().records() if r.type == "incident"]
    assert len(incidents) == 6
    assert incidents[0].body["event"] == "agent_credential_on_human_path"
    assert all(plane.token not in str(r.body) for r in incidents)


def test_an_agent_token_next_to_a_session_is_still_refused(
    plane: Plane, client: TestClient
) -> None:
    plane.login(client, "alice")
    response = client.get("/v1/approvals", headers=plane.agent_headers())
    assert response.status_code == 403


def test_login_is_rate_limited_per_address(plane: Plane) -> None:
    with TestClient(build_app(plane, login_rate=3)) as client:
        for index in range(3):
            body = {"name": f"user{index}", "password": "x" * 12, "code": "123456"}
            assert client.post("/v1/session", json=body).status_code == 401
        body = {"name": "alice", "password": PASSWORD, "code": plane.code("alice")}
        response = client.post("/v1/session", json=body)
        assert response.status_code == 429 and int(response.headers["retry-after"]) >= 1


def test_a_user_is_locked_out_after_repeated_failures(plane: Plane) -> None:
    app: FastAPI = build_app(plane, lockout_after=3)
    with TestClient(app) as client:
        for _ in range(3):
            body = {"name": "alice", "password": "not the password", "code": "123456"}
            assert client.post("/v1/session", json=body).status_code == 401
        # Even the right password and code are refused while locked (and not consumed).
        good = {"name": "alice", "password": PASSWORD, "code": plane.code("alice")}
        response = client.post("/v1/session", json=good)
        assert response.status_code == 423 and "locked" in response.json()["error"]
        # Another user is unaffected.
        plane.login(client, "bob")
    events = [r.body.get("event") for r in plane.home.audit_log().records() if r.type == "auth"]
    assert "human_locked_out" in events and "human_login_locked" in events


def test_logout_ends_the_session(plane: Plane, client: TestClient) -> None:
    plane.login(client, "bob")
    assert client.delete("/v1/session").status_code == 200
    assert client.get("/v1/session").status_code == 401


def test_sessions_expire_when_idle(plane: Plane) -> None:
    app = build_app(plane)
    with TestClient(app) as client:
        plane.login(client, "bob")
        sessions = app.state.plane.sessions
        sessions.clock = lambda: __import__("time").time() + 4000
        assert client.get("/v1/session").status_code == 401
