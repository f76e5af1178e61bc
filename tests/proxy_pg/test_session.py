"""The sans-I/O session and message layer, without a network: events in, commands out."""

from __future__ import annotations

from typing import Any

import pytest

from interlock.proxy.pg import _messages as m
from interlock.proxy.pg._commands import Close, ConnectUpstream, SendClient, SendServer
from interlock.proxy.pg._session import (
    ALLOW,
    Login,
    LoginRefused,
    Phase,
    Session,
    Upstream,
    Verdict,
)
from interlock.proxy.pg._shape import read_shape


class FakeGate:
    def __init__(self) -> None:
        self.seen: list[str] = []
        self.finished = ""

    def check(self, text: str, *, extended: bool) -> Verdict:
        self.seen.append(text)
        return Verdict(False, "no drops", "ask") if "DROP" in text else ALLOW

    def safeguard_done(self, summary: str, ok: bool) -> None:
        pass

    def finish(self, reason: str) -> None:
        self.finished = reason


class FakeLogins:
    def __init__(self) -> None:
        self.gate = FakeGate()

    def login(self, user: str, database: str, password: str, *, tls: bool) -> Login:
        if password != "good":
            raise LoginRefused("password authentication failed")
        return Login(Upstream("127.0.0.1", 5432, "db", "postgres", None), self.gate)

    def refused(self, user: str, database: str, reason: str) -> None:
        pass


def sent(commands: list[Any], kind: type) -> bytes:
    return b"".join(c.data for c in commands if isinstance(c, kind))


def ready_session() -> tuple[Session, FakeLogins]:
    logins = FakeLogins()
    session = Session(logins, allow_cleartext=True)
    out = session.client_data(m.startup_message({"user": "a", "database": "r"}))
    assert sent(out, SendClient) == m.auth_cleartext()
    out = session.client_data(m.password_message("good"))
    assert out == [ConnectUpstream("127.0.0.1", 5432)]
    out = session.upstream_connected()
    assert b"user\x00postgres\x00" in sent(out, SendServer)
    out = session.server_data(
        m.auth_ok()
        + m.parameter_status("server_version", "15")
        + m.backend_key_data(7, 9)
        + m.ready_for_query()
    )
    to_client = sent(out, SendClient)
    assert to_client.startswith(m.auth_ok())
    assert m.backend_key_data(7, 9) not in to_client  # the client gets the proxy's own key
    assert session.phase is Phase.READY and session.upstream_key == (7, 9)
    return session, logins


def test_frame_reader_and_bounds() -> None:
    reader = m.FrameReader()
    data = m.query("select 1") + m.sync()
    reader.feed(data[:3])
    assert reader.next() is None
    reader.feed(data[3:])
    assert reader.next() == (b"Q", b"select 1\x00")
    assert reader.next() == (b"S", b"")
    reader.feed(b"Q\x7f\xff\xff\xff")
    with pytest.raises(m.ProtocolViolation):
        reader.next()


def test_startup_packets() -> None:
    assert isinstance(m.parse_startup(m.ssl_request()), m.SSLRequest)
    assert m.parse_startup(m.cancel_request(1, 2)) == m.CancelRequest(1, 2)
    start = m.parse_startup(m.startup_message({"user": "u", "database": "d"}))
    assert isinstance(start, m.StartupMessage) and start.parameters["user"] == "u"


def test_ssl_request_answered_n_without_tls() -> None:
    session = Session(FakeLogins(), allow_cleartext=True)
    assert sent(session.client_data(m.ssl_request()), SendClient) == b"N"


def test_bad_password_is_fatal() -> None:
    session = Session(FakeLogins(), allow_cleartext=True)
    session.client_data(m.startup_message({"user": "a", "database": "r"}))
    out = session.client_data(m.password_message("bad"))
    assert sent(out, SendClient).startswith(b"E") and isinstance(out[-1], Close)


def test_options_parameter_is_not_passed_upstream() -> None:
    logins = FakeLogins()
    session = Session(logins, allow_cleartext=True)
    session.client_data(
        m.startup_message(
            {"user": "a", "database": "r", "options": "-c default_transaction_read_only=off"}
        )
    )
    session.client_data(m.password_message("good"))
    assert b"options" not in sent(session.upstream_connected(), SendServer)


def test_allowed_query_forwarded_verbatim() -> None:
    session, logins = ready_session()
    assert sent(session.client_data(m.query("SELECT 1")), SendServer) == m.query("SELECT 1")
    assert logins.gate.seen == ["SELECT 1"]


def test_refused_query_becomes_a_server_raised_error() -> None:
    session, _ = ready_session()
    upstream = sent(session.client_data(m.query("DROP TABLE t")), SendServer)
    assert upstream.startswith(b"Q") and b"RAISE EXCEPTION" in upstream and b"DROP" not in upstream


def test_refused_parse_discards_until_sync_and_swallows_injected_completions() -> None:
    session, _ = ready_session()
    batch = (
        m.parse("", "SELECT 1")
        + m.bind()
        + m.execute()
        + m.parse("", "DROP TABLE t")
        + m.bind()
        + m.execute()
        + m.sync()
    )
    upstream = sent(session.client_data(batch), SendServer)
    assert upstream.count(b"DROP") == 0 and upstream.endswith(m.sync())
    answer = (
        m.message(b"1")
        + m.message(b"2")
        + m.command_complete("SELECT 1")
        + m.message(b"1")
        + m.message(b"2")
        + m.error_response("42501", "no drops")
        + m.ready_for_query()
    )
    to_client = sent(session.server_data(answer), SendClient)
    # the client sees: its own ParseComplete/BindComplete/CommandComplete, then the error
    assert to_client == (
        m.message(b"1")
        + m.message(b"2")
        + m.command_complete("SELECT 1")
        + m.error_response("42501", "no drops")
        + m.ready_for_query()
    )


def test_function_call_is_refused() -> None:
    session, _ = ready_session()
    upstream = sent(session.client_data(m.message(b"F", b"\x00\x00\x00\x01")), SendServer)
    assert b"FunctionCall" in upstream


def test_server_going_away_ends_the_session() -> None:
    session, logins = ready_session()
    out = session.server_closed()
    assert isinstance(out[-1], Close) and logins.gate.finished


def test_read_shape() -> None:
    assert read_shape("SELECT v FROM t WHERE id = 42") == "SELECT v FROM t WHERE id = $1"
    assert read_shape("SELECT v FROM t2 WHERE s = '42'") is None
    assert read_shape("SELECT e'\\x41' , 1") is None
    assert read_shape("SELECT 1 -- 2") is None
