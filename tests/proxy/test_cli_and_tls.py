"""The HTTP proxy's TLS to the upstream (a real HTTPS upstream with a CA made here), and the
`interlock proxy http` command itself as a process: start, one request, SIGTERM, records."""

from __future__ import annotations

import http.client
import ipaddress
import json
import os
import signal
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from tests._pki import CA, ca_pem, make_ca, make_leaf

from .conftest import REAL_CREDENTIAL, Upstream, _handler, graphql, setup_home, wait_until

pytestmark = pytest.mark.integration

LIST_VOLUMES = graphql("query { volumes { edges { node { id name } } } }")


# --- a CA and server certificates, made for each test run ------------------------------


@dataclass
class Pki:
    ca_file: Path
    other_ca_file: Path
    cert: Path  # for 127.0.0.1 and localhost, signed by ca_file
    key: Path
    wrong_name_cert: Path  # signed by ca_file, but for another name only
    wrong_name_key: Path


def _ca(tmp: Path, label: str) -> tuple[CA, Path]:
    ca = make_ca(f"Interlock test CA {label}")
    path = tmp / f"ca-{label}.pem"
    path.write_bytes(ca_pem(ca))
    return ca, path


def _leaf(tmp: Path, label: str, ca: CA, names: list[x509.GeneralName]) -> tuple[Path, Path]:
    cert, key = make_leaf(ca, names, label)
    cert_path, key_path = tmp / f"{label}.crt", tmp / f"{label}.key"
    cert_path.write_bytes(cert)
    key_path.write_bytes(key)
    return cert_path, key_path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    tmp = tmp_path_factory.mktemp("pki")
    ca, ca_file = _ca(tmp, "trusted")
    _, other_ca_file = _ca(tmp, "other")
    cert, key = _leaf(
        tmp,
        "upstream",
        ca,
        [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")],
    )
    wrong_cert, wrong_key = _leaf(tmp, "elsewhere", ca, [x509.DNSName("elsewhere.example")])
    return Pki(ca_file, other_ca_file, cert, key, wrong_cert, wrong_key)


def _https_upstream(cert: Path, key: Path) -> Iterator[tuple[Upstream, str]]:
    state = Upstream(ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler))
    state.server.server_close()
    state.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    # Handshakes happen in each request's thread, so a refused one never blocks the server.
    state.server.socket = context.wrap_socket(
        state.server.socket, server_side=True, do_handshake_on_connect=False
    )
    thread = threading.Thread(target=state.server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    yield state, f"https://127.0.0.1:{state.server.server_address[1]}"
    state.server.shutdown()
    state.server.server_close()


@pytest.fixture
def https_upstream(pki: Pki) -> Iterator[tuple[Upstream, str]]:
    yield from _https_upstream(pki.cert, pki.key)


@pytest.fixture
def wrong_name_upstream(pki: Pki) -> Iterator[tuple[Upstream, str]]:
    yield from _https_upstream(pki.wrong_name_cert, pki.wrong_name_key)


def _outcomes(env: Any) -> list[dict[str, Any]]:
    return [r.body for r in env.home.audit_log().records() if r.type == "outcome"]


# --- TLS to the upstream ---------------------------------------------------------------


def test_https_upstream_verified_with_the_routes_ca_file(
    make_env: Any, pki: Pki, https_upstream: tuple[Upstream, str]
) -> None:
    upstream, url = https_upstream
    env = make_env({"routes": {"railway": {"ca_file": str(pki.ca_file)}}}, upstream_url=url)
    status, _, body = env.request("POST", "/railway/graphql/v2", LIST_VOLUMES)
    assert status == 200 and json.loads(body)["ok"] is True
    assert upstream.seen[-1].headers["authorization"] == f"Bearer {REAL_CREDENTIAL}"
    outcome = wait_until(lambda: _outcomes(env))
    assert outcome[-1]["outcome"] == "forwarded" and outcome[-1]["status"] == 200


@pytest.mark.parametrize("ca", ["other", "none"])
def test_https_upstream_with_an_untrusted_certificate_is_a_recorded_502(
    make_env: Any, pki: Pki, https_upstream: tuple[Upstream, str], ca: str
) -> None:
    upstream, url = https_upstream
    # "none": the system's CAs only (which never signed the test CA); "other": a CA bundle
    # that is not the one that signed the upstream's certificate.
    route = {"ca_file": str(pki.other_ca_file)} if ca == "other" else {}
    env = make_env({"routes": {"railway": route}}, upstream_url=url)
    status, _, body = env.request("POST", "/railway/graphql/v2", LIST_VOLUMES)
    assert status == 502, body
    assert upstream.seen == []  # the request never reached the upstream
    assert REAL_CREDENTIAL.encode() not in body
    outcome = wait_until(lambda: _outcomes(env))
    assert outcome[-1]["outcome"] == "upstream_unreachable"
    assert "Certificate" in outcome[-1]["error"]


def test_https_upstream_whose_certificate_names_another_host_is_a_502(
    make_env: Any, pki: Pki, wrong_name_upstream: tuple[Upstream, str]
) -> None:
    upstream, url = wrong_name_upstream
    env = make_env({"routes": {"railway": {"ca_file": str(pki.ca_file)}}}, upstream_url=url)
    status, _, _ = env.request("POST", "/railway/graphql/v2", LIST_VOLUMES)
    assert status == 502
    assert upstream.seen == []
    assert wait_until(lambda: _outcomes(env))[-1]["outcome"] == "upstream_unreachable"


# --- `interlock proxy http` as a process -----------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_the_proxy_http_command_serves_and_flushes_its_records_on_sigterm(
    tmp_path: Path, upstream: Upstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("INTERLOCK_AGENT_TOKEN", raising=False)
    home, token, _, _ = setup_home(tmp_path / "home", upstream.url)
    port = _free_port()
    home.config_path.write_text(
        home.config_path.read_text()
        + f"""
[proxy.http]
listen = "127.0.0.1:{port}"

[proxy.http.routes.railway]
classify_host = "backboard.railway.app"
"""
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from interlock.cli import main; main()",
            "proxy",
            "http",
            "--home",
            str(home.root),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert f"listening on http://127.0.0.1:{port}" in first, first
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request(
            "POST",
            "/railway/graphql/v2",
            body=LIST_VOLUMES,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        response = conn.getresponse()
        assert response.status == 200 and json.loads(response.read())["ok"] is True
        conn.close()
        # At once: the outcome record may still be deferred; SIGTERM must write it.
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
        rest = process.stdout.read()
        assert "Traceback" not in rest and "error" not in rest.lower()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)
    records = list(home.audit_log().records())
    decision = next(r for r in records if r.type == "decision")
    outcomes = [r.body for r in records if r.type == "outcome"]
    assert [o["decision_seq"] for o in outcomes] == [decision.seq]
    assert outcomes[0]["outcome"] == "forwarded" and outcomes[0]["status"] == 200
    assert home.audit_log().verify(home.audit_verifier()).ok
