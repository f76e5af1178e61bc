"""A real upstream (http.server on loopback), a real proxy (aiohttp on its own loop) and a
real client (http.client), in a throw-away home with a registered agent and resources."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from interlock.home import Home, init_home
from interlock.identity import AgentRegistry, ResourceRegistry
from interlock.model import Human, Verb
from interlock.proxy.http import ProxyThread, proxy_config_from

SNAPSHOT = 'mutation { volumeSnapshotCreate(volumeId: "{target}") { id } }'
REAL_CREDENTIAL = "rlwy-test-real-upstream-credential"  # the upstream's own secret
OPERATOR = Human("local:test", "admin")


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Upstream:
    server: ThreadingHTTPServer
    seen: list[Seen] = field(default_factory=list)
    snapshots: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


def _handler(state: Upstream) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            seen = Seen(
                self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
            )
            state.seen.append(seen)
            if "snapshotCreate" in body.decode("utf-8", "replace"):
                state.snapshots.append(body.decode())
                return self._json(200, {"data": {"volumeSnapshotCreate": {"id": "snap-1"}}})
            if self.path.startswith("/echo-auth"):
                auth = self.headers.get("Authorization", "")
                self.send_response(200)
                payload = f"you sent: {auth}".encode()
                self.send_header("X-Echo", auth)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return None
            if self.path.startswith("/stream"):
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for i in range(50):
                    piece = (f"line {i} " * 200 + "\n").encode()
                    self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
                return None
            return self._json(200, {"ok": True, "path": self.path})

        def _json(self, status: int, value: object) -> None:
            payload = json.dumps(value).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_DELETE = do_PUT = _answer

    return Handler


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    state = Upstream(ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler))
    state.server.server_close()
    state.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.server.daemon_threads = True
    thread = threading.Thread(target=state.server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    yield state
    state.server.shutdown()
    state.server.server_close()


@dataclass
class Env:
    home: Home
    upstream: Upstream
    proxy: ProxyThread
    prod_token: str
    staging_token: str

    def request(
        self,
        method: str,
        path: str,
        body: bytes | str | None = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 10,
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.proxy.port, timeout=timeout)
        try:
            all_headers = {"Authorization": f"Bearer {token or self.prod_token}", **(headers or {})}
            if isinstance(body, str):
                body = body.encode()
                all_headers.setdefault("Content-Type", "application/json")
            conn.request(method, path, body=body, headers=all_headers)
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def audit_text(self) -> str:
        return "\n".join(json.dumps(r.to_json()) for r in self.home.audit_log().records())


def graphql(query: str) -> str:
    return json.dumps({"query": query})


def setup_home(
    root: Path, upstream_url: str, extra: dict[str, Any] | None = None
) -> tuple[Home, str, str, dict[str, Any]]:
    home, _ = init_home(root)
    resources = ResourceRegistry.for_home(home)
    resources.add(
        OPERATOR,
        "railway",
        kind="http",
        environment="production",
        upstream=upstream_url,
        credential=REAL_CREDENTIAL,
    )
    resources.add(
        OPERATOR,
        "railway-staging",
        kind="http",
        environment="staging",
        upstream=upstream_url,
        credential=REAL_CREDENTIAL,
    )
    agents = AgentRegistry.for_home(home)
    _, prod = agents.create(
        OPERATOR,
        "ops-bot",
        environments=["production", "staging"],
        task="operate",
        owner="ops@example.com",
        max_verb=Verb.DESTRUCTIVE,
    )
    _, staging = agents.create(
        OPERATOR,
        "staging-fixer",
        environments=["staging"],
        task="fix staging",
        owner="dev@example.com",
        max_verb=Verb.DESTRUCTIVE,
    )
    config: dict[str, Any] = {
        "listen": "127.0.0.1:0",
        "max_body": 4096,
        "connect_timeout": 2,
        "timeout": 5,
        "routes": {
            "railway": {"classify_host": "backboard.railway.app"},
            "railway-staging": {
                "classify_host": "backboard.railway.app",
                "before": [
                    {
                        "operation": "graphql:volumeDelete",
                        "path": "/graphql/v2",
                        "body": json.dumps({"query": SNAPSHOT}),
                    }
                ],
            },
        },
    }
    for key, value in (extra or {}).items():
        if key == "routes":
            for name, spec in value.items():
                config["routes"].setdefault(name, {}).update(spec)
        else:
            config[key] = value
    return home, prod.token, staging.token, config


@pytest.fixture
def make_env(tmp_path: Path, upstream: Upstream, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.delenv("INTERLOCK_AGENT_TOKEN", raising=False)
    started: list[ProxyThread] = []

    def make(
        extra: dict[str, Any] | None = None,
        upstream_url: str | None = None,
        register: tuple[str, str] | None = None,
    ) -> Env:
        home, prod, staging, config = setup_home(
            tmp_path / f"home{len(started)}", upstream_url or upstream.url, extra
        )
        if register is not None:  # a PostgreSQL resource (name, database) on the local server
            name, database = register
            ResourceRegistry.for_home(home).add(
                OPERATOR,
                name,
                kind="postgres",
                environment="staging",
                upstream=f"postgresql://postgres@127.0.0.1:5432/{database}",
                credential=None,
            )
        proxy = ProxyThread(home, proxy_config_from(config)).start()
        started.append(proxy)
        return Env(home, upstream, proxy, prod, staging)

    yield make
    for proxy in started:
        proxy.stop()


@pytest.fixture
def env(make_env: Any) -> Env:
    result: Env = make_env()
    return result


def wait_until(predicate: Any, timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("timed out waiting")
