"""Bad tokens, bad packets, clients and servers that go away, cancels: clean ends, no leaks,
a record in the audit log."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from typing import Any

import psycopg
import pytest

from tests.proxy_pg.conftest import Proxy, wait_until

pytestmark = pytest.mark.integration


def records(proxy: Proxy, type_: str) -> list[dict[str, Any]]:
    return [dict(r.body) for r in proxy.home.audit_log().records() if r.type == type_]


def no_links(proxy: Proxy) -> bool:
    return wait_until(lambda: proxy.links() == 0)


def test_bad_token_is_refused_and_recorded(proxy: Proxy) -> None:
    before = len(records(proxy, "auth"))
    bad = proxy.tokens["writer"][:-4] + "AAAA"
    for token in (bad, "not-a-token"):
        with pytest.raises(psycopg.OperationalError) as caught:
            psycopg.connect(proxy.dsn(token=token), connect_timeout=5)
        assert "password authentication failed" in str(caught.value)
    assert len(records(proxy, "auth")) > before
    assert no_links(proxy)


def test_token_of_another_agent_and_unknown_resource(proxy: Proxy) -> None:
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(f"postgresql://reader:{proxy.tokens['writer']}@127.0.0.1:{proxy.port}/prod")
    with pytest.raises(psycopg.OperationalError) as caught:
        psycopg.connect(proxy.dsn(resource="nope"))
    assert "no PostgreSQL resource named 'nope'" in str(caught.value)
    with pytest.raises(psycopg.OperationalError) as caught:
        psycopg.connect(proxy.dsn("stager", "prod"))
    assert "not granted" in str(caught.value)
    reasons = [r["reason"] for r in records(proxy, "auth") if r.get("event") == "pg_login_refused"]
    assert any("token's agent" in r for r in reasons)
    assert no_links(proxy)


@pytest.mark.parametrize(
    "packet",
    [
        b"\x00\x00\x00\x04",  # length too small
        b"\x7f\xff\xff\xff",  # length absurd
        struct.pack("!ii", 8, 0x00020000),  # protocol 2
        struct.pack("!ii", 12, 196608) + b"user",  # unterminated parameters
        b"GET / HTTP/1.1\r\n\r\n",
    ],
)
def test_bad_startup_packets_end_cleanly(proxy: Proxy, packet: bytes) -> None:
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as sock:
        sock.sendall(packet)
        data = b""
        try:
            while chunk := sock.recv(4096):
                data += chunk
        except TimeoutError:
            pytest.fail("the proxy kept a bad connection open")
    assert data == b"" or data.startswith(b"E")
    assert no_links(proxy)


def test_tls_required_without_the_flag(proxy: Proxy) -> None:
    from interlock.proxy.pg import Session
    from interlock.proxy.pg import _messages as m
    from interlock.proxy.pg._commands import Authenticate, SendClient

    class Nobody:
        def login(self, *a: Any, **k: Any) -> Any:
            raise AssertionError("no login without TLS")

        def refused(self, *a: Any) -> None:
            pass

    session = Session(Nobody(), allow_cleartext=False)
    out = session.client_data(m.startup_message({"user": "writer", "database": "prod"}))
    assert b"only over TLS" in b"".join(c.data for c in out if isinstance(c, SendClient))
    assert not any(isinstance(c, Authenticate) for c in out)


def test_client_disconnects_mid_query(proxy: Proxy) -> None:
    conn = psycopg.connect(proxy.dsn(), autocommit=True)
    pid = conn.execute("SELECT pg_backend_pid()").fetchone()
    assert pid is not None

    def run() -> None:
        with contextlib.suppress(psycopg.Error):
            conn.execute("SELECT pg_sleep(30)")

    thread = threading.Thread(target=run)
    thread.start()
    assert wait_until(lambda: proxy.running("SELECT pg_sleep(30)"))
    conn.pgconn.finish()  # the socket goes away under the running query
    thread.join(10)
    assert no_links(proxy)
    closed = [r for r in records(proxy, "session") if r.get("event") == "pg_session_closed"]
    assert closed


def test_server_goes_away(proxy: Proxy) -> None:
    conn = psycopg.connect(proxy.dsn(), autocommit=True)
    backend = conn.execute("SELECT pg_backend_pid()").fetchone()
    assert backend is not None
    proxy.direct(f"SELECT pg_terminate_backend({backend[0]})")
    with pytest.raises(psycopg.OperationalError):
        conn.execute("SELECT 1")
    conn.close()
    assert no_links(proxy)
    reasons = [
        r.get("reason", "")
        for r in records(proxy, "session")
        if r.get("event") == "pg_session_closed"
    ]
    assert any("closed the connection" in r or "terminat" in r for r in reasons)


def test_cancel_request_reaches_the_server(proxy: Proxy) -> None:
    with psycopg.connect(proxy.dsn(), autocommit=True) as conn:

        def cancel() -> None:
            if wait_until(lambda: proxy.running("SELECT pg_sleep(20)")):
                conn.cancel_safe()

        threading.Thread(target=cancel, daemon=True).start()
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute("SELECT pg_sleep(20)")
        assert conn.execute("SELECT 1").fetchone() == (1,)
    assert no_links(proxy)


def test_forged_cancel_is_ignored(proxy: Proxy) -> None:
    from interlock.proxy.pg import _messages as m

    with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as sock:
        sock.sendall(m.cancel_request(1234, 5678))
        assert sock.recv(10) == b""
