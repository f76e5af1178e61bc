"""The HTTP/GraphQL attacks of issue 15, each against the real proxy in front of a real
loopback upstream.

Every test here failed before the fix it names: the request was forwarded (or the
credential leaked, or the approval covered it) on the code of that time, and now it is
refused, held, or masked.
"""

from __future__ import annotations

import gzip
import json
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import quote

import pytest

from interlock.approvals import ApprovalStore

from .conftest import OPERATOR, REAL_CREDENTIAL, Env, graphql

pytestmark = pytest.mark.integration


def _json(body: bytes) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(body)
    return value


def _queries(env: Env) -> list[str]:
    """The GraphQL documents the upstream received (hooks included), decoded from JSON."""
    out = []
    for seen in env.upstream.seen:
        try:
            value = json.loads(seen.body)
        except ValueError:
            out.append(seen.body.decode("utf-8", "replace"))
            continue
        out.append(json.dumps(value))
    return out


# --- 1. the snapshot hook can be injected ------------------------------------------------

# A volume id that closes the hook's GraphQL string and adds a second mutation when it is
# pasted into the hook's JSON text (`\"` is a quote once the JSON is decoded).
INJECTED_ID = 'vol-1\\") { id } volumeInstanceBackupDelete(volumeInstanceBackupId: \\"bak-1'
DELETE_INJECTED = json.dumps(
    {
        "query": "mutation D($v: String!) { volumeDelete(volumeId: $v) }",
        "variables": {"v": INJECTED_ID},
    }
)
LEGACY_HOOK = json.dumps(
    {"query": 'mutation { volumeInstanceBackupCreate(volumeInstanceId: "{target}") }'}
)
TYPED_HOOK = json.dumps(
    {
        "query": "mutation S($id: String!) { volumeInstanceBackupCreate(volumeInstanceId: $id) }",
        "variables": {"id": "{target}"},
    }
)


def _with_hook(body: str) -> dict[str, Any]:
    hook = {"operation": "graphql:volumeDelete", "path": "/graphql/v2", "body": body}
    return {"routes": {"railway-staging": {"before": [hook]}}}


def test_a_target_pasted_into_the_hook_text_cannot_add_a_mutation(make_env: Any) -> None:
    env: Env = make_env(_with_hook(LEGACY_HOOK))
    status, _, body = env.request(
        "POST", "/railway-staging/graphql/v2", DELETE_INJECTED, token=env.staging_token
    )
    assert not any("volumeInstanceBackupDelete" in q for q in _queries(env))
    # The target is not a plain id and this hook pastes it into GraphQL text: refused.
    assert status == 409 and _json(body)["error"] == "safeguard_failed"
    assert "not a plain identifier" in _json(body)["message"]
    assert env.upstream.seen == []


def test_a_target_passed_as_a_typed_value_reaches_the_hook_unchanged(make_env: Any) -> None:
    env: Env = make_env(_with_hook(TYPED_HOOK))
    status, _, _ = env.request(
        "POST", "/railway-staging/graphql/v2", DELETE_INJECTED, token=env.staging_token
    )
    assert status == 200
    hook = json.loads(env.upstream.seen[0].body)
    assert hook["variables"] == {"id": INJECTED_ID}
    assert "Delete" not in hook["query"]
    assert "volumeDelete" in env.upstream.seen[1].body.decode()


def test_a_plain_target_still_fills_the_documented_hook(make_env: Any) -> None:
    env: Env = make_env(_with_hook(LEGACY_HOOK))
    delete = graphql('mutation { volumeDelete(volumeId: "vol-stg-1a2b") }')
    status, _, _ = env.request(
        "POST", "/railway-staging/graphql/v2", delete, token=env.staging_token
    )
    assert status == 200
    hook = json.loads(env.upstream.seen[0].body)
    assert hook["query"] == (
        'mutation { volumeInstanceBackupCreate(volumeInstanceId: "vol-stg-1a2b") }'
    )


# --- 2. `..` escapes a route ---------------------------------------------------------------

LIST = graphql("query { volumes { edges { node { id } } } }")
DELETE_PROD = graphql('mutation { volumeDelete(volumeId: "vol-prod-7f3a") }')


def _split_upstreams(make_env: Any, url: str) -> Env:
    """Staging and production behind one host, under different base paths, as a provider
    with per-environment prefixes would be."""
    routes = {"railway": {"upstream": f"{url}/prod"}, "railway-staging": {"upstream": f"{url}/stg"}}
    env: Env = make_env({"routes": routes})
    return env


@pytest.mark.parametrize(
    "path",
    [
        "/railway-staging/../railway/graphql/v2",
        "/railway-staging/%2e%2e/railway/graphql/v2",
        "/railway-staging/%2E%2E/railway/graphql/v2",
        "/railway-staging/.%2e/railway/graphql/v2",
        "/railway-staging/%252e%252e/railway/graphql/v2",
        "/railway-staging/..;x/railway/graphql/v2",
        "/railway-staging/..%2frailway/graphql/v2",
        "/railway-staging/x%2f..%2f..%2frailway/graphql/v2",
        "/railway-staging/%5c..%5c..%5cprod/graphql/v2",
        "/railway-staging/graphql/../../../prod/graphql/v2",
        "/railway-staging/../../prod/graphql/v2",
    ],
)
def test_dot_segments_cannot_leave_the_route(make_env: Any, upstream: Any, path: str) -> None:
    env = _split_upstreams(make_env, upstream.url)
    status, _, body = env.request("POST", path, DELETE_PROD, token=env.staging_token)
    assert status == 400 and _json(body)["error"] == "path_refused"
    assert env.upstream.seen == []


@pytest.mark.parametrize(
    ("path", "forwarded"),
    [
        ("/railway-staging//graphql//v2", "/stg/graphql/v2"),
        ("/railway-staging/./graphql/v2", "/stg/graphql/v2"),
        ("/railway-staging/graphql/x/../v2", "/stg/graphql/v2"),
        ("/railway-staging/graphql/x/%2e%2e/v2", "/stg/graphql/v2"),
        ("/railway-staging/graphql/v2/", "/stg/graphql/v2/"),
        ("/railway-staging/p/group%2Fproject?a=%2e%2e", "/stg/p/group%2Fproject?a=%2e%2e"),
        ("//railway-staging/graphql/v2", "/stg/graphql/v2"),
    ],
)
def test_the_upstream_receives_exactly_the_normalised_path(
    make_env: Any, upstream: Any, path: str, forwarded: str
) -> None:
    env = _split_upstreams(make_env, upstream.url)
    status, _, _ = env.request("POST", path, LIST, token=env.staging_token)
    assert status == 200
    assert [s.path for s in env.upstream.seen] == [forwarded]


def test_a_normalised_path_is_judged_on_the_route_it_reaches(make_env: Any, upstream: Any) -> None:
    """`/./railway/…` is production, and held as production is."""
    env = _split_upstreams(make_env, upstream.url)
    status, _, body = env.request("POST", "/./railway/graphql/v2", DELETE_PROD)
    assert status == 403 and _json(body)["error"] == "approval_required"
    assert env.upstream.seen == []


# --- 3. GraphQL parameter precedence differs from common servers --------------------------


def _decisions(env: Env) -> list[dict[str, Any]]:
    return [r.body["decision"] for r in env.home.audit_log().records() if r.type == "decision"]


def _ops(decision: dict[str, Any]) -> list[tuple[str, str]]:
    return [(a["operation"], a["verb"]) for a in decision["actions"]]


MUTATION = 'mutation { volumeDelete(volumeId: "vol-prod-7f3a") }'
READ = "query { volumes { edges { node { id } } } }"
TWO_OPS = "query A { volumes { edges { node { id } } } } " + MUTATION.replace(
    "mutation", "mutation B", 1
)


@pytest.mark.parametrize(
    ("method", "target", "body"),
    [
        # the first `query` is what many servers run; Interlock took the last
        ("GET", f"/railway/graphql/v2?query={quote(MUTATION)}&query={quote(READ)}", None),
        ("POST", f"/railway/graphql/v2?query={quote(MUTATION)}&query={quote(READ)}", ""),
        # the URL's operationName wins on many servers; Interlock read the body's
        ("POST", "/railway/graphql/v2?operationName=B", {"query": TWO_OPS, "operationName": "A"}),
        ("POST", "/railway/graphql/v2?operationName=B", {"query": TWO_OPS}),
        # GET parameters and a body: which one a server reads differs
        ("POST", f"/railway/graphql/v2?query={quote(READ)}", {"query": READ}),
        ("GET", f"/railway/graphql/v2?query={quote(READ)}", {"query": MUTATION}),
        # a form body repeating `query`
        ("POST", "/railway/graphql/v2", f"query={quote(READ)}&query={quote(MUTATION)}"),
    ],
)
def test_ambiguous_graphql_requests_are_unknown(
    env: Env, method: str, target: str, body: Any
) -> None:
    headers = {}
    if isinstance(body, dict):
        body = json.dumps(body)
    elif body and "=" in body:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    status, _, _ = env.request(method, target, body, headers=headers)
    assert status == 403 and env.upstream.seen == []
    decision = _decisions(env)[-1]
    assert decision["risk"] == "unknown", _ops(decision)
    assert any("ambiguous GraphQL request" in a["reason"] for a in decision["actions"])


def test_the_same_operation_name_in_url_and_body_is_not_ambiguous(env: Env) -> None:
    body = json.dumps({"query": TWO_OPS, "operationName": "A"})
    status, _, _ = env.request("POST", "/railway/graphql/v2?operationName=A", body)
    assert status == 200 and _decisions(env)[-1]["risk"] == "read"


def test_a_search_query_parameter_outside_graphql_is_not_ambiguous(env: Env) -> None:
    status, _, _ = env.request("GET", "/railway/v1/search?query=disk&query=volume")
    assert status == 200 and _decisions(env)[-1]["risk"] == "read"


# --- 4. unreadable JSON counts as a write ---------------------------------------------------

RPC = "/railway/rpc"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"method": "getUser", "method": "deleteUser", "id": 1}', "application/json"),
        (b'{"method": "getUser", "params": {"id": 1, "id": 2}}', "application/json"),
        (b'[{"method": "getUser"}, {"params": {"a": {"x": 1, "x": 2}}}]', "application/json"),
        (b'{"method": "getUser", "method": "deleteUser"}', ""),
        (b'{"method": "getUser", "method": "deleteUser"}', "text/plain"),
        ('{"method": "deleteUser"}'.encode("utf-16"), "application/json"),
        ('{"method": "deleteUser"}'.encode("utf-16-le"), "application/json"),
        ('{"method": "deleteUser"}'.encode("utf-16-be"), ""),
        ('{"method": "deleteUser"}'.encode("utf-32"), "application/json"),
        (b'{"method": "deleteUser", "id": 1,}', "application/json"),
        (b'{"method": "deleteUser" "id": 1}', ""),
        (b'{"method": "getUser", "limit": NaN}', "application/json"),
        (b'{"method": "getUser"} {"method": "deleteUser"}', "application/json"),
        (b'{"method": "getUser", "x": "\xff\xfe"}', "application/json"),
        (gzip.compress(b'{"method": "deleteUser"}'), "application/json"),
    ],
)
def test_unreadable_json_is_unknown_and_not_forwarded(
    env: Env, body: bytes, content_type: str
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    if body[:2] == b"\x1f\x8b":
        headers["Content-Encoding"] = "gzip"
    status, _, _ = env.request("POST", RPC, body, headers=headers)
    assert status == 403 and env.upstream.seen == []
    assert _decisions(env)[-1]["risk"] == "unknown"


def test_repeated_keys_in_url_variables_are_unknown(env: Env) -> None:
    query = "query Q($id: ID!) { volume(id: $id) { id } }"
    variables = '{"id": "vol-1", "id": "vol-2"}'
    target = f"/railway/graphql/v2?query={quote(query)}&variables={quote(variables)}"
    status, _, _ = env.request("GET", target)
    assert status == 403 and _decisions(env)[-1]["risk"] == "unknown"


def test_every_method_override_of_a_form_counts(env: Env) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    body = "_method=DELETE&_method=GET"
    status, _, _ = env.request("POST", "/railway/v1/items/7", body, headers=form)
    assert status == 403 and env.upstream.seen == []
    assert _decisions(env)[-1]["risk"] == "destructive"


def _send_raw(env: Env, head: str, body: bytes = b"") -> int:
    """A request written by hand (http.client cannot repeat a header); its status."""
    import socket

    with socket.create_connection(("127.0.0.1", env.proxy.port), timeout=10) as sock:
        lines = head.format(token=env.prod_token, length=len(body)).strip().split("\n")
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        answer = sock.recv(65536).decode("latin-1")
    return int(answer.split(" ", 2)[1])


def test_every_value_of_a_repeated_method_override_counts(env: Env) -> None:
    head = """
POST /railway/v1/items/7 HTTP/1.1
Host: x
Authorization: Bearer {token}
X-HTTP-Method-Override: DELETE
X-HTTP-Method-Override: GET
Content-Length: 0
Connection: close
"""
    assert _send_raw(env, head) == 403 and env.upstream.seen == []
    assert _decisions(env)[-1]["risk"] == "destructive"


def test_several_content_types_are_refused(env: Env) -> None:
    head = """
POST /railway/rpc HTTP/1.1
Host: x
Authorization: Bearer {token}
Content-Type: application/json
Content-Type: text/plain
Content-Length: {length}
Connection: close
"""
    # aiohttp's parser already refuses a repeated singleton header; the classifier would
    # call it unknown (tests/classify/test_http.py)
    assert _send_raw(env, head, b'{"method": "getUser"}') == 400 and env.upstream.seen == []


@pytest.mark.parametrize("header", ["X-Original-URL", "X-Rewrite-URL"])
def test_a_header_that_reroutes_the_request_is_unknown(env: Env, header: str) -> None:
    status, _, _ = env.request("GET", "/railway/v1/items", headers={header: "/v1/admin/wipe"})
    assert status == 403 and env.upstream.seen == []
    assert _decisions(env)[-1]["risk"] == "unknown"


def test_duplicate_keys_in_a_graphql_body_are_unknown(env: Env) -> None:
    body = f'{{"query": {json.dumps(READ)}, "query": {json.dumps(MUTATION)}}}'
    status, _, _ = env.request("POST", "/railway/graphql/v2", body)
    assert status == 403 and _decisions(env)[-1]["risk"] == "unknown"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"method": "getUser", "params": {"id": 1}}', "application/json"),
        ('{"name": "caf\u00e9 \u2603"}'.encode(), "application/json"),
        (b'\xef\xbb\xbf{"name": "x"}', "application/json"),
        (b"just some text", "text/plain"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
        (b'{"a": 1}\n{"a": 2}\n', "application/x-ndjson"),
        (b'"name","email"\n"x","y"\n', "text/csv"),
        (b"[INFO] deploy finished", "text/plain"),
    ],
)
def test_readable_bodies_stay_writes(env: Env, body: bytes, content_type: str) -> None:
    headers = {"Content-Type": content_type}
    status, _, _ = env.request("POST", "/railway/v1/items", body, headers=headers)
    assert status == 200 and _decisions(env)[-1]["risk"] == "write"


# --- 5. the real credential leaks through compression ----------------------------------------


def _compressed(path: str, plain: bytes) -> tuple[bytes, str]:
    if path.startswith("/gzip-multi"):
        half = len(plain) // 2
        return gzip.compress(plain[:half]) + gzip.compress(plain[half:]), "gzip"
    if path.startswith("/gzip"):
        return gzip.compress(plain), "gzip"
    if path.startswith("/deflate"):
        return zlib.compress(plain), "deflate"
    if path.startswith("/rawdeflate"):
        squeeze = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        return squeeze.compress(plain) + squeeze.flush(), "deflate"
    if path.startswith("/twice"):
        return gzip.compress(zlib.compress(plain)), "deflate, gzip"
    if path.startswith("/transfer"):
        return gzip.compress(plain), "transfer:gzip"
    return plain, "zstd"  # a coding the proxy cannot undo


class _Compressing(BaseHTTPRequestHandler):
    """Echoes the Authorization header it got, compressed whether or not it was asked to."""

    protocol_version = "HTTP/1.1"
    accepted: ClassVar[list[str]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        type(self).accepted.append(self.headers.get("Accept-Encoding", ""))
        plain = f"you sent: {self.headers.get('Authorization', '')} -- ok\n".encode() * 50
        body, coding = _compressed(self.path, plain)
        self.send_response(200)
        if coding.startswith("transfer:"):  # a transfer coding under chunked
            self.send_header("Transfer-Encoding", coding.removeprefix("transfer:") + ", chunked")
        else:
            self.send_header("Content-Encoding", coding)
            if self.path.endswith("/chunked"):
                self.send_header("Transfer-Encoding", "chunked")
        if "chunked" in self.path or coding.startswith("transfer:"):
            self.end_headers()
            for i in range(0, len(body), 7):  # the credential straddles chunks
                piece = body[i : i + 7]
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def compressing() -> Iterator[str]:
    _Compressing.accepted = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Compressing)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    "path",
    [
        "/gzip",
        "/gzip/chunked",
        "/gzip-multi",
        "/deflate",
        "/rawdeflate",
        "/twice/chunked",
        "/transfer-gzip",
    ],
)
@pytest.mark.parametrize("accept", ["gzip, deflate, br", "", "identity"])
def test_a_compressed_echo_of_the_credential_is_masked(
    make_env: Any, compressing: str, path: str, accept: str
) -> None:
    env: Env = make_env(upstream_url=compressing)
    headers = {"Accept-Encoding": accept} if accept else {}
    status, answer_headers, body = env.request("GET", "/railway" + path, headers=headers)
    assert status == 200
    assert "Content-Encoding" not in answer_headers  # the agent gets the plain body
    assert REAL_CREDENTIAL.encode() not in body
    assert body.count(b"*" * len(REAL_CREDENTIAL)) == 50
    assert _Compressing.accepted == ["identity"]  # the upstream was asked for identity


def test_an_encoding_the_proxy_cannot_read_is_withheld(make_env: Any, compressing: str) -> None:
    env: Env = make_env(upstream_url=compressing)
    status, _, body = env.request("GET", "/railway/zstd", headers={"Accept-Encoding": "zstd"})
    assert status == 502 and _json(body)["error"] == "upstream_answer_unscannable"
    assert REAL_CREDENTIAL.encode() not in body


# --- 6. approval fingerprints ignore headers ------------------------------------------------


@pytest.mark.parametrize(
    "changed",
    [
        {"X-HTTP-Method-Override": "DELETE"},
        {"X-Method-Override": "PUT"},
        {"X-Tenant-Id": "acme-prod"},
        {"Stripe-Account": "acct_other"},
        {"X-Railway-Project": "prj-other"},
        {"Content-Type": "application/graphql+json"},
    ],
)
def test_an_approval_does_not_cover_a_replay_with_other_headers(
    env: Env, changed: dict[str, str]
) -> None:
    original = {"X-Tenant-Id": "acme-staging", "Content-Type": "application/json"}
    status, _, body = env.request("POST", "/railway/graphql/v2", DELETE_PROD, headers=original)
    assert status == 403
    request_id = _json(body)["approval_request"]
    ApprovalStore.for_home(env.home).approve(request_id, OPERATOR, "this one volume")
    replay = {**original, **changed}
    status, _, body = env.request("POST", "/railway/graphql/v2", DELETE_PROD, headers=replay)
    assert status == 403 and _json(body)["approval_request"] != request_id
    assert env.upstream.seen == []
    # the request the human approved still runs, once
    status, _, _ = env.request("POST", "/railway/graphql/v2", DELETE_PROD, headers=original)
    assert status == 200 and len(env.upstream.seen) == 1


# --- 9. the Railway pack treats destructive arguments as writes -----------------------------


@pytest.mark.parametrize(
    "body",
    [
        {
            "query": "mutation U($input: VariableCollectionUpsertInput!) "
            "{ variableCollectionUpsert(input: $input) }",
            "variables": {
                "input": {"projectId": "p", "environmentId": "e", "variables": {}, "replace": True}
            },
        },
        {
            "query": 'mutation { keep: variableCollectionUpsert(input: {projectId: "p", '
            'environmentId: "e", variables: {A: "1"}, replace: true}) }'
        },
        {"query": 'mutation { deploymentStop(id: "dep-1") }'},
        {"query": 'mutation { serviceInstanceUpdate(serviceId: "s", input: {numReplicas: 0}) }'},
        {
            "query": "mutation S($n: Int = 0) "
            '{ serviceInstanceUpdate(serviceId: "s", input: {numReplicas: $n}) }'
        },
        {
            "query": "mutation S($i: ServiceInstanceUpdateInput!) "
            '{ serviceInstanceUpdate(serviceId: "s", input: $i) }',
            "variables": {"i": {"region": "us-west1", "numReplicas": 0.0}},
        },
        {"query": 'mutation { serviceInstanceLimitsUpdate(input: {numReplicas: 0, id: "s"}) }'},
    ],
)
def test_railway_destructive_arguments_are_held(env: Env, body: dict[str, Any]) -> None:
    status, _, answer = env.request("POST", "/railway/graphql/v2", json.dumps(body))
    assert status == 403 and _json(answer)["error"] == "approval_required"
    assert env.upstream.seen == []
    assert _decisions(env)[-1]["risk"] == "destructive"


@pytest.mark.parametrize(
    "query",
    [
        'mutation { variableCollectionUpsert(input: {projectId: "p", environmentId: "e", '
        'variables: {A: "1"}, replace: false}) }',
        'mutation { serviceInstanceUpdate(serviceId: "s", input: {numReplicas: 2}) }',
    ],
)
def test_railway_everyday_writes_stay_writes(env: Env, query: str) -> None:
    status, _, _ = env.request("POST", "/railway/graphql/v2", graphql(query))
    assert _decisions(env)[-1]["risk"] == "write"
    assert status == 200


# --- the same attacks against `interlock proxy http` as a process -----------------------------


def test_the_proxy_http_command_refuses_the_issue_attacks(
    tmp_path: Any, upstream: Any, compressing: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import http.client
    import os
    import signal
    import socket
    import subprocess
    import sys

    from .conftest import setup_home

    monkeypatch.delenv("INTERLOCK_AGENT_TOKEN", raising=False)
    home, prod, staging, _ = setup_home(tmp_path / "home", upstream.url)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    home.config_path.write_text(
        home.config_path.read_text()
        + f"""
[proxy.http]
listen = "127.0.0.1:{port}"

[proxy.http.routes.railway]
classify_host = "backboard.railway.app"

[proxy.http.routes.railway-staging]
classify_host = "backboard.railway.app"

[[proxy.http.routes.railway-staging.before]]
operation = "graphql:volumeDelete"
path = "/graphql/v2"
body = '''{LEGACY_HOOK}'''

[proxy.http.routes.echo]
resource = "railway"
upstream = "{compressing}"
"""
    )
    command = ["-c", "from interlock.cli import main; main()", "proxy", "http"]
    process = subprocess.Popen(
        [sys.executable, *command, "--home", str(home.root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )

    def send(method: str, path: str, body: bytes | None, token: str, **headers: str) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            sent = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            conn.request(method, path, body=body, headers={**sent, **headers})
            response = conn.getresponse()
            answer = response.read()
            assert REAL_CREDENTIAL.encode() not in answer
            return response.status
        finally:
            conn.close()

    try:
        assert process.stdout is not None
        assert f"listening on http://127.0.0.1:{port}" in process.stdout.readline()
        graphql_path = "/railway-staging/graphql/v2"
        assert send("POST", graphql_path, DELETE_INJECTED.encode(), staging) == 409
        escape = "/railway-staging/%2e%2e/railway/graphql/v2"
        assert send("POST", escape, DELETE_PROD.encode(), staging) == 400
        repeated = f"/railway/graphql/v2?query={quote(MUTATION)}&query={quote(READ)}"
        assert send("GET", repeated, None, prod) == 403
        duplicate = b'{"method": "getUser", "method": "deleteUser"}'
        assert send("POST", "/railway/rpc", duplicate, prod) == 403
        utf16 = '{"method": "deleteUser"}'.encode("utf-16")
        assert send("POST", "/railway/rpc", utf16, prod) == 403
        assert upstream.seen == []
        assert send("GET", "/echo/gzip/chunked", None, prod, **{"Accept-Encoding": "gzip"}) == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)
