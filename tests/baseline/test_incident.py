"""The incident, replayed against real servers: the agent leaves its task and the baseline
notices at the first production step; a runaway loop trips the breaker and every
enforcement point (control plane `/v1/decide`, HTTP proxy, PostgreSQL proxy, the coding
agent's hook) refuses the agent's next request until a human resumes it."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
import pyotp
import pytest
from fastapi.testclient import TestClient

from interlock.classify import classify
from interlock.gate import Gate
from interlock.identity import HumanRegistry, ResourceRegistry
from interlock.proxy.http import ProxyThread, proxy_config_from
from interlock.proxy.pg import build_server
from interlock.server import ServerSettings, create_app
from tests.baseline.conftest import OPERATOR, Setup
from tests.hooks.conftest import run_client
from tests.proxy_pg.conftest import ensure_postgres, start_in_thread, stop_thread
from tests.server.conftest import CHEAP

INTERLOCK = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "interlock"
FOUND_TOKEN = "Bearer " + "q7" * 20  # the credential the agent found in a file
PASSWORD = "correct horse battery staple"


class _Upstream(BaseHTTPRequestHandler):
    """A provider API: /secure answers 401 (the credential mismatch), the rest 200."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        status = 401 if "/secure" in self.path else 200
        body = b'{"ok": %s}' % (b"false" if status == 401 else b"true")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _answer


@pytest.fixture
def upstream() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def world(setup: Setup, upstream: str) -> Iterator[dict[str, Any]]:
    """The home's resources and the servers: the control plane, the HTTP proxy."""
    resources = ResourceRegistry.for_home(setup.home)
    # `orders` is the staging database the agent's task concerns (a resource nobody
    # registered would be judged as production by /v1/decide).
    for name, env in (
        ("staging-api", "staging"),
        ("prod-api", "production"),
        ("orders", "staging"),
    ):
        resources.add(
            OPERATOR, name, kind="http", environment=env, upstream=upstream, credential="real-key"
        )
    with setup.home.config_path.open("a") as config:
        config.write('\n[hooks]\nagent = "runner"\nenvironment = "staging"\n')
    proxy = ProxyThread(
        setup.home,
        proxy_config_from({"listen": "127.0.0.1:0", "routes": {"staging-api": {}, "prod-api": {}}}),
    ).start()
    app = create_app(setup.home, ServerSettings(), hasher=CHEAP)
    with TestClient(app) as plane:
        yield {"plane": plane, "proxy": proxy}
    proxy.stop()


def decide(
    world: dict[str, Any], setup: Setup, kind: str, payload: str, **where: str
) -> tuple[int, dict[str, Any]]:
    response = world["plane"].post(
        "/v1/decide",
        json={"kind": kind, "payload": payload, **where},
        headers={"Authorization": f"Bearer {setup.token}"},
    )
    return response.status_code, response.json()


def through_proxy(world: dict[str, Any], setup: Setup, method: str, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", world["proxy"].port, timeout=10)
    try:
        conn.request(method, path, headers={"Authorization": f"Bearer {setup.token}"})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


# /v1/decide judges a resource nobody registered as production, whatever `env` says: the
# staging work names the staging resource it acts on.
def staging_work(world: dict[str, Any], setup: Setup, count: int) -> None:
    for index in range(count):
        payload = (
            f"SELECT * FROM orders WHERE id = {index}"
            if index % 2
            else f"UPDATE orders SET note = 'checked' WHERE id = {index}"
        )
        status, answer = decide(world, setup, "sql", payload, env="staging", resource="orders")
        assert status == 200 and answer["decision"] == "allow", answer
        status, answer = decide(
            world, setup, "shell", "git status", env="staging", resource="orders"
        )
        assert answer["decision"] == "allow", answer


def test_the_incident_is_stopped_at_its_first_production_step(
    setup: Setup, world: dict[str, Any]
) -> None:
    staging_work(world, setup, 12)  # past the learning period (20 actions, 1 s)
    # A credential mismatch on the staging API (the upstream answers 401).
    assert through_proxy(world, setup, "GET", "/staging-api/v1/secure/volumes") == 401
    # It searches the files for a token: a read, allowed on its own.
    _, answer = decide(world, setup, "shell", "grep -r TOKEN .", resource="orders")
    assert answer["decision"] == "allow"
    # Its first call to the production API, with the credential it found.
    curl = f'curl -X POST -H "Authorization: {FOUND_TOKEN}" https://prod-api.example.com/v1/volumes'
    _, answer = decide(world, setup, "shell", curl, resource="prod-api")
    assert answer["decision"] in ("hold", "deny"), answer
    risk = answer["baseline"]
    assert risk["level"] in ("high", "critical")
    named = " ".join(risk["reasons"])
    assert "first use of the production environment" in named
    assert "credential search (grep -r TOKEN .)" in named
    assert "right after a failure (forwarded 401)" in named
    assert "credential Interlock did not issue" in named
    assert any("unusual for this agent" in r for r in answer["reasons"])
    # The same action on its own passes the policies: only the behaviour stopped it.
    alone = Gate(setup.home.load_policies()).decide(
        setup.agent,
        ResourceRegistry.for_home(setup.home).get("prod-api").resource,
        classify("shell", curl),
    )
    assert alone.outcome.value == "allow"
    # The decision record (what the approval page and webhooks read) carries the reasons.
    record = setup.home.audit_log().store.get(answer["audit_seq"])
    assert record is not None
    assert record.body["decision"]["baseline"]["reasons"] == risk["reasons"]


def _hook(setup: Setup, command: str, cwd: Path) -> tuple[int, dict[str, Any]]:
    event = {
        "session_id": "sess-runner",
        "transcript_path": str(cwd / "t.jsonl"),
        "cwd": str(cwd),
        "permission_mode": "default",
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": command},
        "tool_use_id": "toolu_1",
    }
    result = run_client("claude-code", json.dumps(event).encode(), home=setup.home.root, cwd=cwd)
    answer = json.loads(result.stdout or b"{}")
    return result.returncode, answer.get("hookSpecificOutput", answer)


def test_a_runaway_loop_trips_the_breaker_and_every_point_refuses_the_agent(
    setup: Setup, world: dict[str, Any], tmp_path: Path
) -> None:
    ensure_postgres()
    ResourceRegistry.for_home(setup.home).add(
        OPERATOR,
        "db",
        kind="postgres",
        environment="staging",
        upstream="postgresql://postgres@127.0.0.1:5432/test",
        credential=None,
    )
    server, loop, thread = start_in_thread(
        lambda: build_server(setup.home, port=0, allow_cleartext=True)
    )
    try:
        dsn = f"postgresql://runner:{setup.token}@127.0.0.1:{server.port}/db"
        with psycopg.connect(dsn, autocommit=True) as session:  # opened before the trip
            assert session.execute("SELECT 1").fetchone() == (1,)
            _, answer = _hook(setup, "ls -la", tmp_path)
            assert answer.get("permissionDecision", "allow") == "allow", answer
            # The loop: destructive actions, each allowed on staging, faster than any human.
            trips = 0
            for index in range(5):
                status, answer = decide(
                    world, setup, "sql", f"DROP TABLE scratch_{index}", resource="orders"
                )
                assert status == 200 and answer["decision"] == "allow", answer
                trips = index + 1
            assert trips == 5  # the configured count ([breaker] destructive = 5)
            # Every enforcement point refuses the agent's next request.
            status, _ = decide(world, setup, "shell", "ls", env="staging")
            assert status == 401
            assert through_proxy(world, setup, "GET", "/staging-api/v1/items") in (401, 403)
            with pytest.raises(psycopg.Error, match="suspended"):
                session.execute("SELECT 1")
        with pytest.raises(psycopg.Error):
            psycopg.connect(dsn, autocommit=True).close()
        _, answer = _hook(setup, "ls -la", tmp_path)
        assert answer["permissionDecision"] == "deny"
        assert "suspended (circuit breaker: 5 destructive" in answer["permissionDecisionReason"]
    finally:
        stop_thread(server, loop, thread)
    # The trip is an audit record with its evidence.
    records = list(setup.home.audit_log().records())
    trip = next(r.body for r in records if r.type == "breaker")
    assert len(trip["evidence"]["decision_seqs"]) == 5
    suspended = next(r.body for r in records if r.body.get("event") == "agent_suspended")
    assert suspended["by"] == "circuit-breaker"
    # Only a human resumes it: the agent's own token is refused, the operator without proof
    # too; a registered human with password and TOTP code does it.
    env = {**os.environ, "INTERLOCK_HOME": str(setup.home.root)}
    as_agent = subprocess.run(
        [str(INTERLOCK), "agent", "resume", "runner"],
        env={**env, "INTERLOCK_AGENT_TOKEN": setup.token},
        capture_output=True,
        text=True,
        check=False,
    )
    assert as_agent.returncode == 1 and "agent credentials are refused" in as_agent.stderr
    unproven = subprocess.run(
        [str(INTERLOCK), "agent", "resume", "runner"], env=env, capture_output=True, text=True
    )
    assert unproven.returncode == 1 and "needs a registered human" in unproven.stderr
    humans = HumanRegistry.for_home(setup.home)
    humans.hasher = CHEAP
    secret = humans.add(OPERATOR, "alice", role="admin", password=PASSWORD).totp_secret
    resumed = subprocess.run(
        [
            str(INTERLOCK),
            "agent",
            "resume",
            "runner",
            "--user",
            "alice",
            "--password-stdin",
            "--code",
            pyotp.TOTP(secret).now(),
        ],
        env=env,
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert resumed.returncode == 0, resumed.stderr
    status, answer = decide(world, setup, "shell", "ls", env="staging")
    assert status == 200 and answer["decision"] == "allow"
