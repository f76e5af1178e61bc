"""The sans-I/O session and message layer, without a network: events in, commands out."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from interlock.proxy.pg import _messages as m
from interlock.proxy.pg._commands import (
    Authenticate,
    AwaitApproval,
    Close,
    Command,
    ConnectUpstream,
    Decide,
    Record,
    SendClient,
    SendServer,
)
from interlock.proxy.pg._handshake import Login, LoginRefused, Phase, Upstream, parse_options
from interlock.proxy.pg._results import QueryResult
from interlock.proxy.pg._ruling import ALLOW, PendingRuling, Ruling, SafeguardPlan
from interlock.proxy.pg._session import Session
from interlock.proxy.pg._shape import read_shape


class FakeGate:
    """Refuses DROP; holds TRUNCATE as request apr_1 (settled by `decision`); anything
    with INSERT needs the state (a `PendingRuling` whose finish gives `pending`)."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.finished = ""
        self.decision: Ruling | None = None
        self.pending = ALLOW
        self.abandoned: list[str] = []

    def check(self, text: str, *, extended: bool) -> Ruling | PendingRuling:
        self.seen.append(text)
        if "INSERT" in text:
            return PendingRuling(lambda: self.pending)
        if "TRUNCATE" in text:
            return Ruling(False, "held: apr_1", "wait", held="apr_1")
        return Ruling(False, "no drops", "ask") if "DROP" in text else ALLOW

    def rebinds(self, text: str) -> bool:
        return "$" in text and "rebind" in text

    def check_bound(self, text: str, types: Any, bind: m.Bind) -> tuple[str, Ruling]:
        values = [v.decode() if v is not None else "NULL" for v in bind.values]
        judged = f"{text} <- {', '.join(values)}"
        self.seen.append(judged)
        return judged, Ruling(False, "every row", "no") if "NULL" in values else ALLOW

    def settle(self, request_id: str, text: str, *, extended: bool, final: bool) -> Ruling | None:
        if self.decision is None and final:
            return Ruling(False, f"nobody decided {request_id}", "retry")
        return self.decision

    def abandon(self, request_id: str, reason: str) -> None:
        self.abandoned.append(request_id)

    def finish(self, reason: str) -> None:
        self.finished = reason


class FakeLogins:
    def __init__(self, wait: float = 0.0) -> None:
        self.gate = FakeGate()
        self.wait = wait
        self.refusals: list[str] = []

    def login(self, user: str, database: str, password: str, *, tls: bool) -> Login:
        if password != "good":
            raise LoginRefused("password authentication failed")
        upstream = Upstream("127.0.0.1", 5432, "db", "postgres", None)
        return Login(upstream, self.gate, wait_for_approval=self.wait, max_wait_for_approval=60)

    def refused(self, user: str, database: str, reason: str) -> None:
        self.refusals.append(reason)


def sent(commands: list[Any], kind: type) -> bytes:
    return b"".join(c.data for c in commands if isinstance(c, kind))


def one(commands: list[Command], kind: type[Any]) -> Any:
    found = [c for c in commands if isinstance(c, kind)]
    assert len(found) == 1, commands
    return found[0]


def records(commands: list[Command]) -> None:
    """Write the records the session asked for, as the shell's state thread would."""
    for command in commands:
        if isinstance(command, Record):
            command.write()


def log_in(session: Session, password: str) -> list[Command]:
    """Send the password; run the `Authenticate` the session asks for, as the shell would."""
    out = session.client_data(m.password_message(password))
    login = one(out, Authenticate)
    assert password not in repr(login)  # the token never shows in a command's repr
    try:
        result: Login | Exception = login.login()
    except LoginRefused as refused:
        result = refused
    return session.logged_in(result)


def ready_session(wait: float = 0.0, **startup: str) -> tuple[Session, FakeLogins]:
    logins = FakeLogins(wait)
    session = Session(logins, allow_cleartext=True)
    out = session.client_data(m.startup_message({"user": "a", "database": "r", **startup}))
    assert sent(out, SendClient) == m.auth_cleartext()
    assert log_in(session, "good") == [ConnectUpstream("127.0.0.1", 5432)]
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
    out = log_in(session, "bad")
    assert b"password authentication failed" in sent(out, SendClient)
    assert sent(out, SendClient).startswith(b"E") and isinstance(out[-1], Close)


def test_login_is_asked_of_the_shell_and_bytes_wait_for_it() -> None:
    session = Session(FakeLogins(), allow_cleartext=True)
    session.client_data(m.startup_message({"user": "a", "database": "r"}))
    out = session.client_data(m.password_message("good"))
    assert [type(c) for c in out] == [Authenticate] and session.phase is Phase.LOGIN
    assert session.client_data(m.query("SELECT 1")) == []  # buffered until READY
    assert session.logged_in(one(out, Authenticate).login()) == [ConnectUpstream("127.0.0.1", 5432)]
    session.upstream_connected()
    out = session.server_data(m.auth_ok() + m.backend_key_data(7, 9) + m.ready_for_query())
    assert sent(out, SendServer) == m.query("SELECT 1")  # relayed once READY


def test_login_that_fails_inside_interlock_ends_the_session_without_detail() -> None:
    session = Session(FakeLogins(), allow_cleartext=True)
    session.client_data(m.startup_message({"user": "a", "database": "r"}))
    session.client_data(m.password_message("good"))
    out = session.logged_in(RuntimeError("secret path /x"))
    assert b"08004" in sent(out, SendClient) and b"/x" not in sent(out, SendClient)
    assert isinstance(out[-1], Close) and session.phase is Phase.CLOSED
    assert session.logged_in(RuntimeError("late")) == []


def test_no_tls_refusal_is_recorded_off_the_loop() -> None:
    logins = FakeLogins()
    session = Session(logins, allow_cleartext=False)
    out = session.client_data(m.startup_message({"user": "a", "database": "r"}))
    assert b"only over TLS" in sent(out, SendClient) and isinstance(out[-1], Close)
    assert logins.refusals == []  # not written by the session itself
    records(out)
    assert logins.refusals == ["no TLS"]


def test_options_parameter_is_not_passed_upstream() -> None:
    logins = FakeLogins()
    session = Session(logins, allow_cleartext=True)
    session.client_data(
        m.startup_message(
            {"user": "a", "database": "r", "options": "-c default_transaction_read_only=off"}
        )
    )
    log_in(session, "good")
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
    assert isinstance(out[-1], Close) and not logins.gate.finished
    records(out)  # the session's closing record is written off the loop
    assert logins.gate.finished == "the database server closed the connection"


# --- statements decided off the event loop -------------------------------------------------


def test_statement_needing_state_waits_for_its_decision_with_later_messages_buffered() -> None:
    session, logins = ready_session()
    out = session.client_data(m.query("INSERT INTO t VALUES (1)") + m.query("SELECT 1"))
    decide = one(out, Decide)
    assert sent(out, SendServer) == b"" and session.deciding
    assert session.client_data(m.query("SELECT 2")) == []  # still waiting
    assert logins.gate.seen == ["INSERT INTO t VALUES (1)"]
    out = session.decided(decide.finish())
    assert sent(out, SendServer) == (
        m.query("INSERT INTO t VALUES (1)") + m.query("SELECT 1") + m.query("SELECT 2")
    )
    assert not session.deciding


def test_refusal_decided_off_the_loop_in_the_extended_protocol() -> None:
    session, logins = ready_session()
    logins.gate.pending = Ruling(False, "no inserts here", "ask")
    batch = m.parse("", "INSERT INTO t VALUES (1)") + m.bind() + m.execute() + m.sync()
    decide = one(session.client_data(batch), Decide)
    upstream = sent(session.decided(decide.finish()), SendServer)
    assert b"no inserts here" in upstream and b"INSERT" not in upstream
    assert upstream.endswith(m.sync())


def test_a_decision_that_fails_refuses_the_statement() -> None:
    session, _ = ready_session()
    one(session.client_data(m.query("INSERT INTO t VALUES (1)")), Decide)
    upstream = sent(session.decided(RuntimeError("database is locked")), SendServer)
    assert b"fail closed" in upstream and b"RuntimeError" in upstream
    assert b"INSERT" not in upstream


def test_a_decision_answered_after_the_client_left_does_nothing() -> None:
    session, logins = ready_session()
    decide = one(session.client_data(m.query("INSERT INTO t VALUES (1)")), Decide)
    out = session.client_closed()
    assert isinstance(out[-1], Close)
    records(out)
    assert logins.gate.finished == "client disconnected"
    assert session.decided(decide.finish()) == []


def test_safeguard_runs_as_internal_queries_then_its_record_then_the_statement() -> None:
    session, logins = ready_session()
    results: list[QueryResult] = []
    done: list[tuple[str, bool]] = []

    def plan() -> Generator[str, QueryResult, str]:
        results.append((yield "SELECT 'keep'"))
        return "kept it"

    logins.gate.pending = Ruling(
        True, safeguard=SafeguardPlan(plan, done=lambda s, ok: done.append((s, ok)))
    )
    decide = one(session.client_data(m.query("INSERT INTO t VALUES (1)")), Decide)
    out = session.decided(decide.finish())
    assert sent(out, SendServer) == m.query("SELECT 'keep'")  # the plan, not the statement
    answer = m.command_complete("SELECT 1") + m.ready_for_query()
    out = session.server_data(answer)
    assert sent(out, SendClient) == b""  # the plan's answers are not the client's
    assert results and results[0].tags == ["SELECT 1"]
    record = one(out, Decide)  # the safeguard's record, written before the statement goes
    assert done == [] and session.client_data(m.query("SELECT 2")) == []
    out = session.decided(record.finish())
    assert done == [("kept it", True)]
    assert b"kept it" in sent(out, SendClient)
    assert sent(out, SendServer) == m.query("INSERT INTO t VALUES (1)") + m.query("SELECT 2")


def test_safeguard_that_fails_refuses_the_statement_and_is_recorded() -> None:
    session, logins = ready_session()
    done: list[tuple[str, bool]] = []

    def plan() -> Generator[str, QueryResult, str]:
        result = yield "SELECT 'keep'"
        if not result.ok:
            from interlock.proxy.pg._results import PlanFailed

            raise PlanFailed("no room in the vault")
        return "kept"

    logins.gate.pending = Ruling(
        True, safeguard=SafeguardPlan(plan, done=lambda s, ok: done.append((s, ok)))
    )
    decide = one(session.client_data(m.query("INSERT INTO t VALUES (1)")), Decide)
    session.decided(decide.finish())
    out = session.server_data(m.error_response("53100", "disk full") + m.ready_for_query())
    records(out)
    assert done == [("no room in the vault", False)]
    upstream = sent(out, SendServer)
    assert b"could not take the safeguard" in upstream and b"INSERT" not in upstream


def test_read_shape() -> None:
    assert read_shape("SELECT v FROM t WHERE id = 42") == "SELECT v FROM t WHERE id = $1"
    assert read_shape("SELECT v FROM t2 WHERE s = '42'") is None
    assert read_shape("SELECT e'\\x41' , 1") is None
    assert read_shape("SELECT 1 -- 2") is None


# --- wait for approval ---------------------------------------------------------------------


def test_interlock_wait_from_options_or_parameter_capped_by_the_maximum() -> None:
    assert parse_options(r"-c interlock.wait=30 -cfoo=a\ b --bar=1") == {
        "interlock.wait": "30",
        "foo": "a b",
        "bar": "1",
    }
    assert ready_session(options="-c interlock.wait=30")[0].wait_seconds == 30
    assert ready_session(**{"interlock.wait": "90s"})[0].wait_seconds == 60  # the cap
    assert ready_session(wait=5)[0].wait_seconds == 5  # the configured default
    assert ready_session(wait=5, options="-c interlock.wait=0")[0].wait_seconds == 0


def test_bad_interlock_wait_is_refused_at_startup() -> None:
    session = Session(FakeLogins(), allow_cleartext=True)
    out = session.client_data(
        m.startup_message({"user": "a", "database": "r", "options": "-c interlock.wait=soon"})
    )
    assert b"22023" in sent(out, SendClient) and isinstance(out[-1], Close)


def test_held_statement_waits_then_runs_when_approved() -> None:
    session, logins = ready_session(wait=10)
    out = session.client_data(m.query("TRUNCATE t") + m.query("SELECT 1"))
    assert sent(out, SendServer) == b""  # nothing forwarded while a human decides
    assert b"waiting for approval apr_1" in sent(out, SendClient)
    # the hint is a command a human can run as written: deciding needs a registered human
    assert b"interlock approvals approve apr_1 --user NAME" in sent(out, SendClient)
    wait = one(out, AwaitApproval)
    assert wait.seconds == 10 and session.awaiting_approval == wait.wait_id
    assert session.approval_polled(wait.wait_id, wait.poll(False)) == []  # still pending
    logins.gate.decision = ALLOW
    out = session.approval_polled(wait.wait_id, wait.poll(False))
    # the held statement, then what the client sent while it waited
    assert sent(out, SendServer) == m.query("TRUNCATE t") + m.query("SELECT 1")
    assert not session.awaiting_approval


def test_held_statement_refused_when_the_wait_ends() -> None:
    session, _ = ready_session(wait=10)
    out = session.client_data(m.query("TRUNCATE t"))
    wait = one(out, AwaitApproval)
    upstream = sent(session.approval_polled(wait.wait_id, wait.poll(True)), SendServer)
    assert b"nobody decided apr_1" in upstream and b"TRUNCATE" not in upstream


def test_held_statement_refused_when_the_approval_store_fails() -> None:
    session, _ = ready_session(wait=10)
    wait = one(session.client_data(m.query("TRUNCATE t")), AwaitApproval)
    upstream = sent(session.approval_polled(wait.wait_id, OSError("disk")), SendServer)
    assert b"could not learn the decision on apr_1" in upstream and b"TRUNCATE" not in upstream
    assert not session.awaiting_approval


def test_cancel_ends_the_wait_with_57014_and_a_stale_tick_does_nothing() -> None:
    session, logins = ready_session(wait=10)
    out = session.client_data(m.parse("", "TRUNCATE t") + m.bind() + m.execute() + m.sync())
    wait = one(out, AwaitApproval)
    out = session.cancel_wait()
    upstream = sent(out, SendServer)
    assert b"57014" in upstream and b"TRUNCATE" not in upstream and upstream.endswith(m.sync())
    records(out)
    assert logins.gate.abandoned == ["apr_1"]
    logins.gate.decision = ALLOW
    assert session.approval_polled(wait.wait_id, wait.poll(False)) == []


def test_client_leaving_while_waiting_abandons_the_request() -> None:
    session, logins = ready_session(wait=10)
    session.client_data(m.query("TRUNCATE t"))
    out = session.client_closed()
    assert [type(c) for c in out] == [Record, Record, Close]  # abandon, finish, then close
    records(out)
    assert logins.gate.abandoned == ["apr_1"] and not session.awaiting_approval
    assert logins.gate.finished == "client disconnected"


def test_wait_for_approval_settings_agent_over_resource_over_default(tmp_path: Any) -> None:
    from interlock.proxy.pg._login import load_settings

    config = tmp_path / "interlock.toml"
    config.write_text(
        "[proxy.pg]\nwait_for_approval = 10\nmax_wait_for_approval = 100\n"
        "[proxy.pg.resources.prod]\nwait_for_approval = 120\n"
        "[proxy.pg.agents.ci]\nwait_for_approval = 0\n"
    )
    settings = load_settings(config)
    assert settings.max_wait_for_approval == 100
    assert settings.for_agent("bot", "other").wait_for_approval == 10
    assert settings.for_agent("bot", "prod").wait_for_approval == 120
    assert settings.for_agent("ci", "prod").wait_for_approval == 0
    config.write_text("[proxy.pg]\nwait_for_approval = -1\n")
    with pytest.raises(Exception, match="wait_for_approval"):
        load_settings(config)


def test_read_shape_fast_path_agrees_with_the_lexer() -> None:
    """The quote-free fast path (one regex split) gives the general lexer's answer."""
    import random

    from interlock.proxy.pg._shape import _token_shape

    rng = random.Random(7)
    atoms = ["SELECT", " ", "a1", "_2", "é3", "t", ".", "5", "1.5", ".5", "1e3", "e5", "(", ")"]
    atoms += [",", "=", "+", "x9y", "12abc", "\t", "\n", "1..2", "a.1", ";"]
    for _ in range(20000):
        text = "".join(rng.choice(atoms) for _ in range(rng.randint(1, 12)))
        assert read_shape(text) == _token_shape(text), text


def bind_with(statement: str, values: list[bytes | None], portal: str = "") -> bytes:
    """A Bind of `statement` with text-format values."""
    import struct

    body = m.cstring(portal) + m.cstring(statement) + struct.pack("!h", 0)
    body += struct.pack("!h", len(values))
    for value in values:
        body += struct.pack("!i", -1) if value is None else struct.pack("!i", len(value)) + value
    return m.message(b"B", body + struct.pack("!h", 0))


def test_parse_bind_reads_values_and_formats() -> None:
    import struct

    raw = bind_with("s1", [b"7", None])
    bind = m.parse_bind(raw[5:])
    assert (bind.portal, bind.statement, bind.values, bind.formats) == (
        "",
        "s1",
        (b"7", None),
        (0, 0),
    )
    one_format = m.message(
        b"B",
        m.cstring("")
        + m.cstring("s")
        + struct.pack("!hh", 1, 1)
        + struct.pack("!h", 2)
        + struct.pack("!i", 1)
        + b"\x01"
        + struct.pack("!i", 1)
        + b"\x00"
        + struct.pack("!h", 0),
    )
    assert m.parse_bind(one_format[5:]).formats == (1, 1)
    with pytest.raises(m.ProtocolViolation):
        m.parse_bind(raw[5:12])


def test_binds_of_a_statement_whose_values_decide_are_judged_with_them() -> None:
    # Regression (issue 15): a statement judged at Parse, before its parameters were known,
    # ran with values that made it reach every row.
    session, logins = ready_session()
    text = "DELETE FROM t WHERE a = coalesce($1, a) -- rebind"
    assert session.relay is not None and not session.relay.binds_watched
    upstream = sent(session.client_data(m.parse("s1", text)), SendServer)
    assert upstream == m.parse("s1", text)
    assert session.relay.binds_watched
    # a value that keeps it bounded: forwarded as sent
    bound = bind_with("s1", [b"5"])
    assert sent(session.client_data(bound), SendServer) == bound
    assert logins.gate.seen[-1] == f"{text} <- 5"
    # NULL makes it every row: refused in place (the server raises, then discards to Sync)
    upstream = sent(
        session.client_data(bind_with("s1", [None]) + m.execute() + m.sync()), SendServer
    )
    assert b"RAISE EXCEPTION" in upstream and upstream.endswith(m.sync())
    assert bind_with("s1", [None]) not in upstream


def test_binds_of_other_statements_pass_untouched() -> None:
    session, logins = ready_session()
    session.client_data(m.parse("watched", "DELETE FROM t WHERE $1 -- rebind"))
    other = m.parse("plain", "SELECT $1")
    assert sent(session.client_data(other), SendServer) == other
    bound = bind_with("plain", [None])
    assert sent(session.client_data(bound), SendServer) == bound
    assert not any("<-" in seen for seen in logins.gate.seen)
    # re-parsing the watched name as something else stops watching it
    session.client_data(m.parse("watched", "SELECT 1"))
    assert session.relay is not None and not session.relay.binds_watched
