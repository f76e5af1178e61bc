"""The control-plane attacks of issue 15 (HTTP/GraphQL half), against the real app.

Each failed before its fix: an agent's token showed in the approval queue, and an invented
resource with a chosen environment got that environment's decision.
"""

from __future__ import annotations

import json
import secrets
import string

from fastapi.testclient import TestClient

from tests.server.conftest import Plane
from tests.server.test_console import console_login

_ALNUM = string.ascii_letters + string.digits


def _github_token() -> str:
    # Generated at test time: the repository's own secret scan must find no credential here.
    return "ghp_" + "".join(secrets.choice(_ALNUM) for _ in range(36))


def test_a_token_in_agent_supplied_sql_is_redacted_before_a_human_sees_it(
    plane: Plane, client: TestClient
) -> None:
    token, password = _github_token(), "pw-" + secrets.token_hex(8)
    requests = [
        {  # SQL over HTTP (the sql_over_http pack hands the statement to the SQL classifier)
            "kind": "http",
            "payload": {
                "method": "POST",
                "url": "https://api.supabase.com/v1/projects/abc/database/query",
                "headers": {"Content-Type": "application/json"},
                "body": json.dumps({"query": f"UPDATE users SET api_token = '{token}'"}),
            },
            "resource": "orders-db",
            "reason": f"rotating {token} for everyone",
        },
        {
            "kind": "sql",
            "payload": "DROP TABLE sessions; SELECT dblink_connect("
            f"'postgresql://app:{password}@db.internal/prod')",
            "resource": "orders-db",
        },
    ]
    ids = []
    for body in requests:
        answer = client.post("/v1/decide", json=body, headers=plane.agent_headers()).json()
        assert answer["decision"] == "hold", answer
        ids.append(answer["approval"]["id"])
    plane.login(client, "carol")
    shown = [client.get("/v1/approvals").text]
    shown += [client.get(f"/v1/approvals/{i}").text for i in ids]
    console_login(plane, client, "carol")
    shown += [client.get("/approvals").text, client.get("/console/approvals/rows").text]
    shown += [client.get(f"/approvals/{i}").text for i in ids]
    assert all(ids[0] in page for page in shown[:2])
    for page in shown:
        assert token not in page and password not in page
    assert "[redacted" in shown[1] and "[redacted" in shown[2]


def test_an_unregistered_resource_is_production_whatever_env_is_claimed(
    plane: Plane, client: TestClient
) -> None:
    body = {"kind": "sql", "payload": "DROP TABLE orders", "resource": "invented-db"}
    for env in ("staging", "dev", "production", None):
        claimed = {**body, "env": env} if env else body
        answer = client.post("/v1/decide", json=claimed, headers=plane.agent_headers()).json()
        assert answer["decision"] == "hold", (env, answer)
        # the staging-only agent may not touch it at all
        staging = plane.agent_headers(plane.staging_token)
        answer = client.post("/v1/decide", json=claimed, headers=staging).json()
        assert answer["decision"] == "deny" and answer["policies"] == ["grant"], env
