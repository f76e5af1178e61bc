"""The HTTP proxy end to end: real upstream, real proxy, real client, on loopback."""

from __future__ import annotations

import http.client
import json
import threading
from typing import Any

import pytest

from interlock.approvals import ApprovalStore, Status
from interlock.identity import GENERIC_TOKEN_ERROR

from .conftest import OPERATOR, REAL_CREDENTIAL, Env, graphql, wait_until

pytestmark = pytest.mark.integration

DELETE_PROD = graphql('mutation { volumeDelete(volumeId: "vol-prod-7f3a") }')
DELETE_STAGING = graphql('mutation { volumeDelete(volumeId: "vol-stg-1a2b") }')
LIST_VOLUMES = graphql("query { volumes { edges { node { id name } } } }")


def _json(body: bytes) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(body)
    return value


def test_allowed_request_gets_the_real_credential_the_agent_never_does(env: Env) -> None:
    status, _, body = env.request("POST", "/railway/graphql/v2", LIST_VOLUMES)
    assert status == 200 and _json(body)["ok"] is True
    seen = env.upstream.seen[-1]
    assert seen.path == "/graphql/v2"
    assert seen.headers["authorization"] == f"Bearer {REAL_CREDENTIAL}"
    assert env.prod_token not in json.dumps(seen.headers)
    assert REAL_CREDENTIAL.encode() not in body
    audit = env.audit_text()
    assert REAL_CREDENTIAL not in audit and env.prod_token not in audit
    records = list(env.home.audit_log().records())
    decision = [r for r in records if r.type == "decision"][-1]
    assert decision.body["decision"]["decision"] == "allow"
    assert decision.body["source"] == "proxy:http"
    outcome = wait_until(
        lambda: [
            r
            for r in env.home.audit_log().records()
            if r.type == "outcome" and r.body["decision_seq"] == decision.seq
        ]
    )
    assert outcome[0].body["outcome"] == "forwarded" and outcome[0].body["status"] == 200


def test_credential_echoed_by_the_upstream_is_masked(env: Env) -> None:
    status, headers, body = env.request("GET", "/railway/echo-auth")
    assert status == 200
    assert REAL_CREDENTIAL.encode() not in body and b"*" * len(REAL_CREDENTIAL) in body
    assert REAL_CREDENTIAL not in headers.get("X-Echo", "")
    assert len(body) == len(f"you sent: Bearer {REAL_CREDENTIAL}")


def test_bad_token_is_a_generic_401_with_the_reason_in_audit(env: Env) -> None:
    forged = env.prod_token[:-4] + ("AAAA" if not env.prod_token.endswith("AAAA") else "BBBB")
    status, headers, body = env.request("GET", "/railway/items", token=forged)
    assert status == 401 and GENERIC_TOKEN_ERROR in _json(body)["message"]
    assert "wrong_secret" not in body.decode()
    assert "Bearer" in headers.get("WWW-Authenticate", "")
    status, _, _ = env.request("GET", "/railway/items", token="rlwy-something-else")
    assert status == 401
    assert env.upstream.seen == []
    reasons = [r.body.get("reason") for r in env.home.audit_log().records() if r.type == "auth"]
    assert "wrong_secret" in reasons and "wrong_prefix" in reasons


def test_grant_denies_production_to_a_staging_agent(env: Env) -> None:
    status, _, body = env.request(
        "POST", "/railway/graphql/v2", DELETE_PROD, token=env.staging_token
    )
    assert status == 403
    answer = _json(body)
    assert answer["error"] == "denied_by_interlock" and answer["policies"] == ["grant"]
    assert "not granted the production environment" in answer["message"]
    assert "do not retry" in answer["message"].lower()
    assert env.upstream.seen == []


def test_hold_then_approve_then_single_use(env: Env) -> None:
    status, headers, body = env.request("POST", "/railway/graphql/v2", DELETE_PROD)
    answer = _json(body)
    assert status == 403 and answer["error"] == "approval_required"
    request_id = answer["approval_request"]
    assert headers["Interlock-Approval-Request"] == request_id
    assert "do not look for another way" in answer["message"].lower()
    assert env.upstream.seen == []
    # a retry before approval names the same request
    assert (
        _json(env.request("POST", "/railway/graphql/v2", DELETE_PROD)[2])["approval_request"]
        == request_id
    )
    store = ApprovalStore.for_home(env.home)
    store.approve(request_id, OPERATOR, "restoring from the snapshot we just took")
    # a different action is not covered by the approval
    other = graphql('mutation { volumeDelete(volumeId: "vol-prod-other") }')
    assert env.request("POST", "/railway/graphql/v2", other)[0] == 403
    status, _, _ = env.request("POST", "/railway/graphql/v2", DELETE_PROD)
    assert status == 200 and env.upstream.seen[-1].body == DELETE_PROD.encode()
    assert store.get(request_id).status is Status.USED
    # single use: the same request is held again, as a new approval request
    status, _, body = env.request("POST", "/railway/graphql/v2", DELETE_PROD)
    assert status == 403 and _json(body)["approval_request"] != request_id


def _in_thread(env: Env, *args: Any, **kwargs: Any) -> tuple[threading.Thread, dict[str, Any]]:
    result: dict[str, Any] = {}

    def run() -> None:
        result["response"] = env.request(*args, **kwargs)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


def _pending(env: Env) -> str:
    store = ApprovalStore.for_home(env.home)
    found = wait_until(lambda: store.requests([Status.PENDING]))
    return str(found[0].id)


def test_prefer_wait_forwards_once_it_is_approved(env: Env) -> None:
    # How soon after the approval it runs is measured on a fake clock (test_exchange.py).
    thread, result = _in_thread(
        env, "POST", "/railway/graphql/v2", DELETE_PROD, headers={"Prefer": "wait=30"}
    )
    request_id = _pending(env)
    assert "response" not in result and env.upstream.seen == []
    ApprovalStore.for_home(env.home).approve(request_id, OPERATOR)
    thread.join(30)
    status, _, _ = result["response"]
    assert status == 200 and env.upstream.seen[-1].body == DELETE_PROD.encode()
    assert env.upstream.seen[-1].headers.get("prefer") is None


def test_prefer_wait_and_a_human_denies(env: Env) -> None:
    thread, result = _in_thread(
        env, "POST", "/railway/graphql/v2", DELETE_PROD, headers={"Prefer": "wait=30"}
    )
    request_id = _pending(env)
    ApprovalStore.for_home(env.home).deny(request_id, OPERATOR, "that is the production database")
    thread.join(30)
    status, _, body = result["response"]
    answer = _json(body)
    assert status == 403 and answer["error"] == "denied_by_human"
    assert "that is the production database" in answer["message"]
    assert env.upstream.seen == []


def test_prefer_wait_ends_as_a_hold_when_nobody_decides(env: Env) -> None:
    status, _, body = env.request(
        "POST", "/railway/graphql/v2", DELETE_PROD, headers={"Prefer": "wait=0.3"}
    )
    answer = _json(body)
    assert status == 403 and answer["error"] == "approval_required"
    assert "no human decided within" in answer["message"]
    assert env.upstream.seen == []


def test_allowed_destructive_runs_after_snapshot_and_delay(make_env: Any) -> None:
    env: Env = make_env({"routes": {"railway-staging": {"delay": 0.3}}})
    status, _, _ = env.request(
        "POST", "/railway-staging/graphql/v2", DELETE_STAGING, headers={"Prefer": "wait=30"}
    )
    assert status == 200
    bodies = [s.body.decode() for s in env.upstream.seen]
    assert "volumeSnapshotCreate" in bodies[0] and "vol-stg-1a2b" in bodies[0]
    assert "volumeDelete" in bodies[1]
    records = list(env.home.audit_log().records())
    events = [r.body for r in records if r.type == "safeguard"]
    assert events and events[0]["ok"] is True
    # It ran through its cancel window: scheduled, then used, both audited.
    windows = [r.body["event"] for r in records if r.type == "approval"]
    assert windows == ["scheduled", "used"]


def test_delay_cancel_window(make_env: Any) -> None:
    env: Env = make_env({"routes": {"railway-staging": {"delay": 30}}})
    status, _, body = env.request("POST", "/railway-staging/graphql/v2", DELETE_STAGING)
    answer = _json(body)
    assert status == 202 and answer["status"] == "scheduled"
    store = ApprovalStore.for_home(env.home)
    assert store.get(answer["approval_request"]).status is Status.SCHEDULED
    store.cancel(answer["approval_request"], OPERATOR, "wrong volume")
    # The background task sees the cancel and records it; after that nothing can run.
    wait_until(
        lambda: (
            "cancelled"
            in [r.body["outcome"] for r in env.home.audit_log().records() if r.type == "outcome"]
        )
    )
    assert env.upstream.seen == []


def test_scheduled_request_runs_in_the_background(make_env: Any) -> None:
    env: Env = make_env({"routes": {"railway-staging": {"delay": 0.3}}})
    status, _, _ = env.request("POST", "/railway-staging/graphql/v2", DELETE_STAGING)
    assert status == 202
    wait_until(lambda: any(b"volumeDelete" in s.body for s in env.upstream.seen))
    wait_until(
        lambda: any(
            r.type == "outcome" and r.body["outcome"] == "forwarded"
            for r in env.home.audit_log().records()
        )
    )


def test_upstream_down_is_a_recorded_502(make_env: Any) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    env: Env = make_env(upstream_url=dead)
    status, _, body = env.request("GET", "/railway/items")
    assert status == 502 and _json(body)["error"] == "upstream_unavailable"
    # Outcomes are written with the next record or within a fraction of a second.
    outcomes = wait_until(
        lambda: [r.body for r in env.home.audit_log().records() if r.type == "outcome"]
    )
    assert outcomes[-1]["outcome"] == "upstream_unreachable"


def test_oversized_body_is_413_and_never_forwarded(env: Env) -> None:
    big = json.dumps({"query": "query { a }", "pad": "x" * 5000})
    status, _, body = env.request("POST", "/railway/graphql/v2", big)
    assert status == 413 and _json(body)["error"] == "body_too_large"
    assert env.upstream.seen == []
    decisions = [r.body for r in env.home.audit_log().records() if r.type == "decision"]
    assert decisions[-1]["decision"]["policies"] == ["proxy-max-body"]


def test_chunked_oversized_body_is_413(env: Env) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", env.proxy.port, timeout=10)
    chunks = (b"x" * 1000 for _ in range(10))
    conn.request(
        "POST",
        "/railway/upload",
        body=chunks,
        headers={"Authorization": f"Bearer {env.prod_token}"},
        encode_chunked=True,
    )
    assert conn.getresponse().status == 413
    conn.close()
    assert env.upstream.seen == []


def test_keep_alive_and_streamed_response(env: Env) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", env.proxy.port, timeout=10)
    auth = {"Authorization": f"Bearer {env.prod_token}"}
    for _ in range(3):
        conn.request("GET", "/railway/items?page=1", headers=auth)
        response = conn.getresponse()
        assert response.status == 200
        response.read()
    sock = conn.sock
    conn.request("GET", "/railway/stream", headers=auth)
    response = conn.getresponse()
    assert response.status == 200
    streamed = response.read()
    assert conn.sock is sock  # the same connection all along
    assert streamed.count(b"\n") == 50 and streamed.startswith(b"line 0")
    conn.close()


def test_unknown_route_is_404(env: Env) -> None:
    status, _, body = env.request("GET", "/nowhere/x")
    assert status == 404 and "/railway" in _json(body)["message"]
