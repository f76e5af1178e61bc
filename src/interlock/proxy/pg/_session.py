"""One proxied connection as a state machine over bytes: no sockets, no asyncio.

    client bytes ──> client_data() ──┐                ┌──> SendServer / SendClient / …
    server bytes ──> server_data() ──┼─> Session ─────┤
    connected / TLS up / closed   ───┘                └──> (the shell carries them out)

Phases: STARTUP (SSLRequest, CancelRequest, StartupMessage) → PASSWORD (the agent's token,
in clear, only over TLS or on an explicitly allowed loopback) → CONNECTING → UPSTREAM_AUTH
(the resource's real credential: trust, cleartext, MD5 or SCRAM) → UPSTREAM_STARTUP →
READY (the relay).

In READY every Query ('Q') and Parse ('P') message goes to `Gatekeeper.check` — the one
enforcement point — before anything is forwarded. FunctionCall ('F') is refused outright: it
calls server functions by OID, past any SQL a classifier could read.

A refusal must look to the client exactly like a PostgreSQL error at that point, transaction
state included. So the proxy does not fake it: it sends the server, in place of the refused
statement, `DO $$ BEGIN RAISE EXCEPTION … $$` carrying SQLSTATE 42501, the message and the
hint; PostgreSQL itself produces the ErrorResponse and the ReadyForQuery with the right
status ('E' inside a transaction), and in the extended protocol discards until Sync. Only the
ParseComplete/BindComplete of that injected statement are swallowed on the way back.

A statement allowed with a safeguard waits until the server has answered everything before
it, then the safeguard plan runs as internal queries on the same connection (so it sees the
agent's transaction), and only then is the statement forwarded (or, for a soft drop,
answered with the DROP's command tag without being forwarded).

A held statement is refused at once, unless the session waits for approval (`[proxy.pg]`
`wait_for_approval`, or the client's own `interlock.wait` startup setting): then the client
gets a NoticeResponse naming the request, the session stops reading the client's messages
(they stay buffered) and asks the shell to `AwaitApproval`; the shell calls
`approval_tick` until the gatekeeper settles the request (approved: the statement goes on
as if allowed, safeguard first; denied, expired or not decided in time: the refusal). A
CancelRequest for the session (`cancel_wait`) or the client going away ends the wait.
"""

from __future__ import annotations

import enum
import secrets
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from interlock.proxy.pg import _messages as m
from interlock.proxy.pg._auth import UpstreamAuth, UpstreamAuthError
from interlock.proxy.pg._commands import (
    AwaitApproval,
    Close,
    Command,
    ConnectUpstream,
    ForwardCancel,
    SendClient,
    SendServer,
    StartClientTLS,
    StartServerTLS,
)
from interlock.proxy.pg._results import Plan, PlanFailed, QueryResult
from interlock.proxy.pg._tls import UpstreamTLS

# Startup parameters passed on to the server; anything else (notably `options`, which can
# carry `-c default_transaction_read_only=off`, and `replication`) is dropped or refused.
PASSED_PARAMETERS = frozenset(
    {
        "application_name",
        "client_encoding",
        "DateStyle",
        "TimeZone",
        "IntervalStyle",
        "extra_float_digits",
        "standard_conforming_strings",
    }
)
_TERMINAL_EXTENDED = frozenset(b"123nTCIsE")  # the one message that answers P/B/D/E/C
_STATEMENT_KINDS = frozenset(b"QPF")
_EXTENDED_COUNTED = frozenset(b"PBDEC")
_I32 = struct.Struct("!i")
WAIT_SETTING = "interlock.wait"  # startup parameter, or `-c interlock.wait=N` in `options`


class Phase(enum.Enum):
    STARTUP = "startup"
    PASSWORD = "password"  # noqa: S105 (a phase name)
    CONNECTING = "connecting"
    UPSTREAM_TLS = "upstream-tls"
    UPSTREAM_AUTH = "upstream-auth"
    UPSTREAM_STARTUP = "upstream-startup"
    READY = "ready"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class SafeguardPlan:
    """What must run before an allowed destructive statement, as internal queries.

    `replaces_statement`: the plan does the statement's job itself (a soft drop moves the
    table to the trash instead of dropping it); the client then gets `command_tag`.
    """

    start: Callable[[], Plan]
    replaces_statement: bool = False
    command_tag: str = ""


@dataclass(frozen=True, slots=True)
class Verdict:
    """The enforcement point's answer for one statement message."""

    allowed: bool
    message: str = ""
    hint: str = ""
    sqlstate: str = "42501"
    safeguard: SafeguardPlan | None = None
    held: str = ""  # a hold: the approval request a human may still decide


CANCELLED = "canceling statement due to user request"  # PostgreSQL's own text for 57014


ALLOW = Verdict(True)


class Gatekeeper(Protocol):
    """The enforcement point bound to one session's agent and resource (see `_enforce`)."""

    def check(self, text: str, *, extended: bool) -> Verdict: ...

    def safeguard_done(self, summary: str, ok: bool) -> None: ...

    def finish(self, reason: str) -> None: ...

    def settle(self, request_id: str, text: str, *, extended: bool, final: bool) -> Verdict | None:
        """The verdict once a human has decided `request_id` (None: still pending). With
        `final` (the wait is over) a pending request gives the hold's refusal."""
        ...

    def abandon(self, request_id: str, reason: str) -> None:
        """The wait for `request_id` ended without a verdict (cancel, disconnect)."""
        ...


@dataclass(frozen=True, slots=True)
class Upstream:
    """Where and as whom the session connects upstream (the credential never leaves here)."""

    host: str
    port: int
    database: str
    user: str
    password: str | None = field(repr=False, default=None)
    parameters: tuple[tuple[str, str], ...] = ()
    tls: UpstreamTLS | None = None  # None: no SSLRequest upstream


@dataclass(frozen=True, slots=True)
class Login:
    """A successful agent login: the upstream to open and the session's gatekeeper."""

    upstream: Upstream
    gatekeeper: Gatekeeper
    row_limit: int | None = None
    wait_for_approval: float = 0.0  # seconds a held statement waits for a human by default
    max_wait_for_approval: float = 300.0  # the most a client may ask for (`interlock.wait`)


class LoginRefused(Exception):
    """The agent may not connect; the message is what the client is told."""

    def __init__(self, message: str, sqlstate: str = "28P01", hint: str = "") -> None:
        super().__init__(message)
        self.sqlstate = sqlstate
        self.hint = hint


class LoginService(Protocol):
    def login(
        self, user: str, database: str, password: str, *, tls: bool
    ) -> Login: ...  # raises LoginRefused

    def refused(self, user: str, database: str, reason: str) -> None: ...


@dataclass(slots=True)
class _ExtendedRefusal:
    """Tracks the server's answers until the injected refusal of a Parse comes back."""

    syncs_before: int  # ReadyForQuery messages of earlier batches still to come
    terminals_before: int  # answers to this batch's earlier messages still to come
    swallow: int = 2  # then: ParseComplete, BindComplete of the injected DO


@dataclass(frozen=True, slots=True)
class _Held:
    """A held statement parked on the connection while a human decides."""

    wait_id: int
    request_id: str
    text: str
    raw: bytes
    kind: int


@dataclass(slots=True)
class _Internal:
    plan: Plan
    then: Callable[[str | None], list[Command]]  # called with the summary or None if failed
    result: QueryResult = field(default_factory=QueryResult)
    failure: str = ""


def parse_options(options: str) -> dict[str, str]:
    """`-c name=value` / `--name=value` settings of the `options` startup parameter, as the
    server reads them (whitespace separates, backslash escapes the next character)."""
    words: list[str] = []
    word: list[str] = []
    escaped = False
    for char in options:
        if escaped:
            word.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char.isspace():
            if word:
                words.append("".join(word))
                word = []
        else:
            word.append(char)
    if word:
        words.append("".join(word))
    settings: dict[str, str] = {}
    pending_c = False
    for item in words:
        if pending_c:
            setting, pending_c = item, False
        elif item == "-c":
            pending_c = True
            continue
        elif item.startswith(("-c", "--")):
            setting = item[2:]
        else:
            continue
        name, sep, value = setting.partition("=")
        if sep:
            settings[name] = value
    return settings


def parse_wait(value: str) -> float:
    """`interlock.wait`: seconds (`60`, `60s`, `1.5`); raises ValueError otherwise."""
    text = value.strip().lower().removesuffix("s").strip()
    seconds = float(text)
    if not seconds >= 0 or seconds == float("inf"):
        raise ValueError(value)
    return seconds


def refusal_sql(message: str, hint: str, sqlstate: str) -> str:
    """A statement that makes PostgreSQL itself raise the refusal (see the module doc)."""
    body = (
        f"BEGIN RAISE EXCEPTION USING ERRCODE = {m.quote_literal(sqlstate)}, "
        f"MESSAGE = {m.quote_literal(message)}, HINT = {m.quote_literal(hint)}; END"
    )
    tag = "il"
    while f"${tag}$" in body:
        tag = "il" + secrets.token_hex(4)
    return f"DO ${tag}${body}${tag}$"


class Session:
    """The protocol state machine of one client connection and its upstream connection."""

    def __init__(
        self,
        logins: LoginService,
        *,
        tls_available: bool = False,
        allow_cleartext: bool = False,
        key: tuple[int, int] | None = None,
    ) -> None:
        self.logins = logins
        self.tls_available = tls_available
        self.allow_cleartext = allow_cleartext
        self.phase = Phase.STARTUP
        self.tls = False
        self.client_key = key or (secrets.randbelow(2**31 - 1) + 1, secrets.randbits(31))
        self.upstream_key: tuple[int, int] | None = None
        self.upstream: Upstream | None = None
        self.gatekeeper: Gatekeeper | None = None
        self.user = ""
        self.database = ""
        self.status = b"I"
        self._client_params: dict[str, str] = {}
        self._cbuf = bytearray()
        self._sbuf = bytearray()
        self._auth: UpstreamAuth | None = None
        self._pending_z = 0  # Query/Sync forwarded, ReadyForQuery not yet back
        self._unsynced = 0  # P/B/D/E/C forwarded since the last Sync
        self._discarding = False  # dropping the client's messages until Sync
        self._refusal: _ExtendedRefusal | None = None
        self._internal: _Internal | None = None
        self._waiting: Callable[[], list[Command]] | None = None  # runs when idle upstream
        self._waiting_for_refusal_only = False
        self._row_limit: int | None = None
        self._rows = 0
        self._truncated = False
        self._wait_requested: float | None = None  # the client's `interlock.wait`
        self.wait_seconds = 0.0  # how long a held statement waits for a human
        self._held: _Held | None = None
        self._wait_ids = 0
        self.closed_reason = ""

    @property
    def awaiting_approval(self) -> int:
        """The id of the wait in progress (see `AwaitApproval`), 0 when none."""
        return self._held.wait_id if self._held is not None else 0

    def _blocked(self) -> bool:
        return self._waiting is not None or self._internal is not None or self._held is not None

    # --- events -------------------------------------------------------------------------

    def client_data(self, data: bytes) -> list[Command]:
        if self.phase is Phase.CLOSED:
            return []
        try:
            if self.phase is Phase.READY:
                out = self._relay_client(data)
                if self._held is not None and len(self._cbuf) > m.MAX_MESSAGE_LENGTH:
                    return out + self._fatal(
                        "54000", "too much data sent while a statement waits for approval"
                    )
                return out
            self._cbuf += data
            return self._handshake_client()
        except m.ProtocolViolation as exc:
            return self._fatal("08P01", f"protocol violation: {exc}")

    def server_data(self, data: bytes) -> list[Command]:
        if self.phase is Phase.CLOSED:
            return []
        try:
            if self.phase is Phase.READY:
                return self._relay_server(data)
            self._sbuf += data
            return self._handshake_server()
        except m.ProtocolViolation as exc:
            return self._fatal("08P01", f"the server broke the protocol: {exc}")
        except UpstreamAuthError as exc:
            return self._fatal("08004", f"Interlock could not log in to the server: {exc}")

    def client_tls_started(self) -> list[Command]:
        self.tls = True
        return self._handshake_client() if self._cbuf else []

    def upstream_connected(self) -> list[Command]:
        assert self.upstream is not None
        if self.upstream.tls is not None:
            self.phase = Phase.UPSTREAM_TLS
            return [SendServer(m.ssl_request())]
        return self._upstream_startup()

    def upstream_tls_started(self) -> list[Command]:
        return self._upstream_startup()

    def _upstream_startup(self) -> list[Command]:
        assert self.upstream is not None
        self.phase = Phase.UPSTREAM_AUTH
        self._auth = UpstreamAuth(self.upstream.user, self.upstream.password)
        params = {k: v for k, v in self._client_params.items() if k in PASSED_PARAMETERS}
        params.update(self.upstream.parameters)
        params["user"] = self.upstream.user
        params["database"] = self.upstream.database
        return [SendServer(m.startup_message(params))]

    def upstream_failed(self, reason: str) -> list[Command]:
        return self._fatal("08006", f"Interlock could not reach the database server: {reason}")

    def client_closed(self) -> list[Command]:
        return self._close("client disconnected")

    def server_closed(self) -> list[Command]:
        if self.phase is Phase.CLOSED:
            return []
        return self._fatal("57P01", "the database server closed the connection")

    # --- handshake ----------------------------------------------------------------------

    def _handshake_client(self) -> list[Command]:
        out: list[Command] = []
        while self.phase in (Phase.STARTUP, Phase.PASSWORD):
            if self.phase is Phase.STARTUP:
                length = m.startup_length(self._cbuf)
                if length is None:
                    return out
                packet = m.parse_startup(bytes(self._cbuf[:length]))
                del self._cbuf[:length]
                out += self._on_startup(packet)
                if isinstance(packet, m.SSLRequest) and any(
                    isinstance(c, StartClientTLS) for c in out
                ):
                    if self._cbuf:  # sent before the handshake: could be injected (CVE-2021-23214)
                        return self._fatal("08P01", "data after SSLRequest, before TLS")
                    return out  # nothing more until the TLS handshake is done
            else:
                reader = m.FrameReader(max_length=m.MAX_STARTUP_LENGTH)
                reader.feed(bytes(self._cbuf))
                frame = reader.next()
                if frame is None:
                    return out
                del self._cbuf[: len(self._cbuf) - len(reader.buffered)]
                kind, body = frame
                if kind != b"p":
                    return out + self._fatal("08P01", f"expected a password message, got {kind!r}")
                out += self._on_password(m.parse_password(body))
        if self.phase is Phase.READY and self._cbuf:
            out += self._relay_client()
        return out

    def _on_startup(self, packet: m.StartupPacket) -> list[Command]:
        if isinstance(packet, m.SSLRequest):
            if self.tls_available and not self.tls:
                return [SendClient(b"S"), StartClientTLS()]
            return [SendClient(b"N")]
        if isinstance(packet, m.GSSENCRequest):
            return [SendClient(b"N")]
        if isinstance(packet, m.CancelRequest):
            self.phase = Phase.CLOSED
            self.closed_reason = "cancel request"
            return [ForwardCancel(packet.process_id, packet.secret_key), Close("cancel request")]
        params = packet.parameters
        self.user = params.get("user", "")
        self.database = params.get("database", "") or self.user
        self._client_params = params
        out: list[Command] = []
        if packet.version != m.PROTOCOL_V3 or any(k.startswith("_pq_.") for k in params):
            # A newer minor version or protocol options: answer as PostgreSQL does.
            unknown = [k for k in params if k.startswith("_pq_.")]
            body = _I32.pack(0) + _I32.pack(len(unknown)) + b"".join(m.cstring(u) for u in unknown)
            out.append(SendClient(m.message(b"v", body)))
        if not self.user:
            return out + self._fatal("28000", "no user name given: connect as your agent's name")
        if "replication" in params and params["replication"].lower() not in ("false", "off", "0"):
            return out + self._fatal("28000", "replication connections are not proxied")
        wait = params.get(WAIT_SETTING, parse_options(params.get("options", "")).get(WAIT_SETTING))
        if wait is not None:
            try:
                self._wait_requested = parse_wait(wait)
            except ValueError:
                return out + self._fatal(
                    "22023",
                    f"invalid value for {WAIT_SETTING}: {wait!r}",
                    hint="seconds to wait for a human's approval: options=-c interlock.wait=60",
                )
        if not self.tls and not self.allow_cleartext:
            self.logins.refused(self.user, self.database, "no TLS")
            return out + self._fatal(
                "28000",
                "Interlock accepts agent tokens only over TLS",
                hint="connect with sslmode=require",
            )
        self.phase = Phase.PASSWORD
        return [*out, SendClient(m.auth_cleartext())]

    def _on_password(self, password: str) -> list[Command]:
        try:
            login = self.logins.login(self.user, self.database, password, tls=self.tls)
        except LoginRefused as refused:
            return self._fatal(refused.sqlstate, str(refused), hint=refused.hint)
        self.upstream = login.upstream
        self.gatekeeper = login.gatekeeper
        self._row_limit = login.row_limit
        if self._wait_requested is not None:
            self.wait_seconds = min(self._wait_requested, login.max_wait_for_approval)
        else:
            self.wait_seconds = login.wait_for_approval
        self.phase = Phase.CONNECTING
        return [ConnectUpstream(login.upstream.host, login.upstream.port)]

    def _tls_answer(self) -> list[Command]:
        """The server's one-byte answer to our SSLRequest."""
        tls = self.upstream.tls if self.upstream is not None else None
        assert tls is not None
        answer, rest = bytes(self._sbuf[:1]), len(self._sbuf) - 1
        self._sbuf.clear()
        if answer == b"S":
            if rest:  # injectable by a man in the middle (CVE-2021-23222)
                raise m.ProtocolViolation("data after the answer to SSLRequest")
            self.phase = Phase.CONNECTING
            return [StartServerTLS(tls.context, tls.server_hostname)]
        if answer == b"N" and not rest:
            if tls.required:
                return self._fatal(
                    "08004",
                    f"the database server does not accept TLS, and the resource's upstream URL "
                    f"asks for sslmode={tls.mode}",
                    hint="tell the operator: enable ssl on the server or change sslmode",
                )
            return self._upstream_startup()
        raise m.ProtocolViolation(f"unexpected answer {answer!r} to SSLRequest")

    def _handshake_server(self) -> list[Command]:
        if self.phase is Phase.UPSTREAM_TLS:
            return self._tls_answer()
        if self.phase is Phase.CONNECTING:  # TLS handshake under way: nothing may come
            raise m.ProtocolViolation("data during the TLS handshake")
        out: list[Command] = []
        reader = m.FrameReader()
        reader.feed(bytes(self._sbuf))
        self._sbuf.clear()
        while self.phase in (Phase.UPSTREAM_AUTH, Phase.UPSTREAM_STARTUP):
            frame = reader.next()
            if frame is None:
                break
            kind, body = frame
            if kind == b"E":
                fields = m.parse_fields(body)
                return out + self._fatal(
                    "08004",
                    "Interlock could not open the session on the database server: "
                    + fields.get("M", "error"),
                )
            if kind == b"N":
                out.append(SendClient(m.message(kind, body)))
            elif self.phase is Phase.UPSTREAM_AUTH:
                if kind == b"v":
                    continue  # the server negotiated our minor version down: fine
                if kind != b"R":
                    raise m.ProtocolViolation(f"unexpected {kind!r} during authentication")
                code, data = m.parse_authentication(body)
                assert self._auth is not None
                answer = self._auth.respond(code, data)
                if answer is not None:
                    out.append(SendServer(answer))
                if code == m.AUTH_OK:
                    self.phase = Phase.UPSTREAM_STARTUP
                    out.append(SendClient(m.auth_ok()))
            elif kind == b"K":
                self.upstream_key = m.parse_backend_key_data(body)
                out.append(SendClient(m.backend_key_data(*self.client_key)))
            elif kind == b"Z":
                self.status = body[:1]
                self.phase = Phase.READY
                out.append(SendClient(m.message(kind, body)))
            else:  # ParameterStatus and anything informative
                out.append(SendClient(m.message(kind, body)))
        self._sbuf += reader.buffered
        if self.phase is Phase.READY:
            if self._sbuf:
                out += self._relay_server()
            if self._cbuf:
                out += self._relay_client()
        return out

    # --- relay: client → server ---------------------------------------------------------

    def _relay_client(self, data: bytes = b"") -> list[Command]:
        """Forward the client's messages, deciding each statement on the way.

        The common case costs no copy: with nothing buffered, `data` itself is scanned and
        runs of messages are forwarded as slices of it (the whole of it, usually)."""
        out: list[Command] = []
        buf: bytes | bytearray
        if self._cbuf or not data:
            self._cbuf += data
            buf = self._cbuf
        else:
            buf = data
        pos = 0
        start = 0  # first byte of the run of messages forwarded as they are
        size = len(buf)
        unpack = _I32.unpack_from
        while size - pos >= 5 and not self._blocked():
            kind = buf[pos]
            (length,) = unpack(buf, pos + 1)
            if length < 4 or length > m.MAX_MESSAGE_LENGTH:
                raise m.ProtocolViolation(f"invalid length {length} for message {kind!r}")
            end = pos + 1 + length
            if end > size:
                break
            if self._discarding:
                if pos > start:
                    out.append(SendServer(bytes(buf[start:pos])))
                if kind == 0x53:  # Sync: forwarded, discarding stops
                    self._discarding = False
                    self._pending_z += 1
                    self._unsynced = 0
                    out.append(SendServer(bytes(buf[pos:end])))
                elif kind == 0x48:  # Flush still reaches the server (the client may wait)
                    out.append(SendServer(bytes(buf[pos:end])))
                start = pos = end
                continue
            if kind in _STATEMENT_KINDS:
                if pos > start:
                    out.append(SendServer(bytes(buf[start:pos])))
                raw = bytes(buf[pos:end])
                # The rest goes to `_cbuf` first: deciding may re-enter `_relay_client`
                # (a safeguard plan that ends at once, a wait that ends).
                if buf is self._cbuf:
                    del buf[:end]
                elif end < size:
                    self._cbuf += buf[end:]
                buf = self._cbuf
                pos = start = 0
                out += self._statement(kind, raw)
                size = len(buf)
                continue
            if kind == 0x53:  # Sync
                self._pending_z += 1
                self._unsynced = 0
            elif kind in _EXTENDED_COUNTED:
                self._unsynced += 1
            elif kind == 0x58:  # Terminate
                if pos > start:
                    out.append(SendServer(bytes(buf[start:pos])))
                out.append(SendServer(bytes(buf[pos:end])))
                self._cbuf.clear()
                return out + self._close("client terminated")
            pos = end
        if pos > start:
            out.append(SendServer(bytes(buf[start:pos])))
        if buf is self._cbuf:
            del buf[:pos]
        elif pos < size:
            self._cbuf += buf[pos:]
        return out

    def _statement(self, kind: int, raw: bytes) -> list[Command]:
        body = raw[5:]
        assert self.gatekeeper is not None
        if kind == 0x46:  # FunctionCall
            verdict = Verdict(
                False,
                "Interlock refuses FunctionCall messages: they call server functions by OID, "
                "past any SQL it could check",
                "run the function in a SQL statement instead",
            )
            return self._refuse_simple(verdict)
        extended = kind == 0x50
        text = m.parse_parse(body).query if extended else m.parse_query(body)
        try:
            verdict = self.gatekeeper.check(text, extended=extended)
        except Exception as exc:  # the enforcement point failed: refuse, never forward
            verdict = Verdict(
                False,
                f"Interlock could not decide on this statement ({type(exc).__name__}); "
                "refused (fail closed)",
                "retry later; if it persists, tell the operator",
            )
        if not verdict.allowed and verdict.held and self.wait_seconds > 0:
            return self._await_approval(verdict, text, raw, kind)
        return self._apply(verdict, extended, raw)

    def _apply(self, verdict: Verdict, extended: bool, raw: bytes) -> list[Command]:
        """Carry out the verdict on one statement message."""
        if not verdict.allowed:
            return self._refuse_extended(verdict) if extended else self._refuse_simple(verdict)
        if verdict.safeguard is None:
            return self._forward_statement(extended, raw)
        if extended and self._unsynced:
            return self._refuse_extended(
                Verdict(
                    False,
                    "Interlock must take a safeguard before this statement, which it can only "
                    "do when the statement starts a new batch (first message after Sync)",
                    "send the statement on its own, outside a pipeline",
                )
            )
        plan = verdict.safeguard
        return self._when_idle(lambda: self._run_safeguard(plan, extended, raw))

    # --- waiting for a human -------------------------------------------------------------

    def _await_approval(self, verdict: Verdict, text: str, raw: bytes, kind: int) -> list[Command]:
        self._wait_ids += 1
        self._held = _Held(self._wait_ids, verdict.held, text, raw, kind)
        seconds = self.wait_seconds
        notice = m.notice_response(
            f"waiting for approval {verdict.held}: Interlock holds this statement until a "
            f"human decides (up to {seconds:g} s)",
            severity="NOTICE",
            hint=f"a human approves with: interlock approvals approve {verdict.held}",
        )
        return [SendClient(notice), AwaitApproval(self._wait_ids, seconds)]

    def approval_tick(self, wait_id: int, *, final: bool) -> list[Command]:
        """Ask the gatekeeper whether the human has decided; `final`: the wait is over."""
        held = self._held
        if held is None or held.wait_id != wait_id or self.phase is not Phase.READY:
            return []
        assert self.gatekeeper is not None
        extended = held.kind == 0x50
        try:
            verdict = self.gatekeeper.settle(
                held.request_id, held.text, extended=extended, final=final
            )
        except Exception as exc:  # the approval store failed: refuse, never forward
            verdict = Verdict(
                False,
                f"Interlock could not learn the decision on {held.request_id} "
                f"({type(exc).__name__}); refused (fail closed)",
                "retry later; if it persists, tell the operator",
            )
        if verdict is None:
            return []
        self._held = None
        return self._continue(self._apply(verdict, extended, held.raw))

    def cancel_wait(self) -> list[Command]:
        """A CancelRequest for this session arrived while it waits: end the wait (57014)."""
        held = self._held
        if held is None or self.phase is not Phase.READY:
            return []
        self._held = None
        assert self.gatekeeper is not None
        self.gatekeeper.abandon(held.request_id, "cancelled by the client")
        verdict = Verdict(
            False,
            CANCELLED,
            f"Interlock stopped waiting for approval request {held.request_id}; the request "
            "stays open: once a human approves it, send the same statement again",
            "57014",
        )
        return self._continue(self._apply(verdict, held.kind == 0x50, held.raw))

    def _continue(self, out: list[Command]) -> list[Command]:
        if self._cbuf and not self._blocked() and self.phase is Phase.READY:
            out += self._relay_client()
        return out

    def _forward_statement(self, extended: bool, raw: bytes) -> list[Command]:
        if extended:
            self._unsynced += 1
        else:
            self._pending_z += 1
            self._rows, self._truncated = 0, False
        return [SendServer(raw)]

    def _refuse_simple(self, verdict: Verdict) -> list[Command]:
        self._pending_z += 1
        sql = refusal_sql(verdict.message, verdict.hint, verdict.sqlstate)
        return [SendServer(m.query(sql))]

    def _refuse_extended(self, verdict: Verdict) -> list[Command]:
        if self._refusal is not None:
            # One refusal in flight already: answer this one once that one is back.
            return self._when_idle(lambda: self._refuse_extended(verdict), refusal_only=True)
        sql = refusal_sql(verdict.message, verdict.hint, verdict.sqlstate)
        self._refusal = _ExtendedRefusal(self._pending_z, self._unsynced)
        self._discarding = True
        return [SendServer(m.parse("", sql) + m.bind() + m.execute())]

    def _when_idle(
        self, then: Callable[[], list[Command]], *, refusal_only: bool = False
    ) -> list[Command]:
        """Run `then` once the server has answered everything forwarded so far (or, with
        `refusal_only`, once the extended refusal in flight is back)."""
        self._waiting_for_refusal_only = refusal_only
        if self._may_resume():
            return then()
        self._waiting = then
        return []

    # --- internal queries (safeguards) ---------------------------------------------------

    def _run_safeguard(self, plan: SafeguardPlan, extended: bool, raw: bytes) -> list[Command]:
        def then(summary: str | None) -> list[Command]:
            assert self.gatekeeper is not None
            if summary is None:
                assert self._internal is not None
                failure = self._internal.failure
                self.gatekeeper.safeguard_done(failure, False)
                verdict = Verdict(
                    False,
                    f"Interlock could not take the safeguard this statement needs ({failure}); "
                    "it was not run",
                    "ask a human to look at the resource; nothing was changed by Interlock",
                )
                if extended:
                    return self._refuse_extended(verdict)
                return self._refuse_simple(verdict)
            self.gatekeeper.safeguard_done(summary, True)
            notice = [SendClient(m.notice_response(summary, severity="NOTICE"))]
            if plan.replaces_statement and not extended:
                tag = m.command_complete(plan.command_tag)
                return [*notice, SendClient(tag + m.ready_for_query(self.status))]
            return notice + self._forward_statement(extended, raw)

        return self._start_internal(plan.start(), then)

    def _start_internal(
        self, plan: Plan, then: Callable[[str | None], list[Command]]
    ) -> list[Command]:
        self._internal = _Internal(plan, then)
        try:
            sql = next(plan)
        except StopIteration as done:
            return self._end_internal(str(done.value))
        except PlanFailed as exc:
            self._internal.failure = str(exc)
            return self._end_internal(None)
        return [SendServer(m.query(sql))]

    def _internal_message(self, kind: bytes, body: bytes) -> list[Command]:
        internal = self._internal
        assert internal is not None
        if kind in (b"A", b"S"):  # notifications and parameter changes belong to the client
            return [SendClient(m.message(kind, body))]
        if not internal.result.add(kind, body):
            return []
        self.status = internal.result.status
        result, internal.result = internal.result, QueryResult()
        try:
            sql = internal.plan.send(result)
        except StopIteration as done:
            return self._end_internal(str(done.value))
        except PlanFailed as exc:
            internal.failure = str(exc)
            return self._end_internal(None)
        return [SendServer(m.query(sql))]

    def _end_internal(self, summary: str | None) -> list[Command]:
        assert self._internal is not None
        then = self._internal.then
        out = then(summary)
        self._internal = None
        return self._continue(out)

    # --- relay: server → client ---------------------------------------------------------

    def _relay_server(self, data: bytes = b"") -> list[Command]:
        """Relay the server's messages; as `_relay_client`, `data` is scanned in place and
        forwarded whole when no message in it needs the proxy's attention."""
        buf: bytes | bytearray
        if self._sbuf or not data:
            self._sbuf += data
            buf = self._sbuf
        else:
            buf = data
        out: list[Command] = []
        size = len(buf)
        pos = 0
        start = 0
        unpack = _I32.unpack_from
        watch = self._refusal is not None or self._row_limit is not None
        while size - pos >= 5:
            kind = buf[pos]
            (length,) = unpack(buf, pos + 1)
            if length < 4 or length > m.MAX_MESSAGE_LENGTH:
                raise m.ProtocolViolation(f"invalid length {length} for message {kind!r}")
            end = pos + 1 + length
            if end > size:
                break
            if self._internal is not None:
                if pos > start:
                    out.append(SendClient(bytes(buf[start:pos])))
                out += self._internal_message(bytes((kind,)), bytes(buf[pos + 5 : end]))
                start = pos = end
                watch = self._refusal is not None or self._row_limit is not None
                continue
            check = False
            if kind == 0x5A:  # ReadyForQuery
                self._pending_z -= 1
                self.status = bytes(buf[pos + 5 : pos + 6])
                if self._refusal is not None and self._refusal.syncs_before > 0:
                    self._refusal.syncs_before -= 1
                if self._row_limit is not None:
                    self._rows, self._truncated = 0, False
                check = self._waiting is not None
            elif watch:
                replace = self._watch(kind)
                if replace is not None:
                    if pos > start:
                        out.append(SendClient(bytes(buf[start:pos])))
                    if replace:
                        out.append(SendClient(replace))
                    start = end
                check = self._waiting is not None
                watch = self._refusal is not None or self._row_limit is not None
            pos = end
            if check and self._may_resume():
                if pos > start:
                    out.append(SendClient(bytes(buf[start:pos])))
                start = pos
                out += self._resume()
                watch = self._refusal is not None or self._row_limit is not None
        if pos > start:
            out.append(SendClient(bytes(buf[start:pos])))
        if buf is self._sbuf:
            del buf[:pos]
        elif pos < size:
            self._sbuf += buf[pos:]
        return out

    def _may_resume(self) -> bool:
        if self._waiting_for_refusal_only:
            return self._refusal is None
        return self._pending_z == 0 and self._refusal is None and self._unsynced == 0

    def _resume(self) -> list[Command]:
        then, self._waiting = self._waiting, None
        assert then is not None
        return self._continue(then())

    def _watch(self, kind: int) -> bytes | None:
        """None: forward the message; b"": drop it; other bytes: send those instead."""
        refusal = self._refusal
        if refusal is not None and refusal.syncs_before == 0:
            if refusal.terminals_before > 0:
                if kind == 0x45:  # an earlier message failed: the server skips the refusal
                    self._refusal = None
                elif kind in _TERMINAL_EXTENDED:
                    refusal.terminals_before -= 1
                return None
            if refusal.swallow and kind in (0x31, 0x32):
                refusal.swallow -= 1
                return b""
            if kind == 0x45:
                self._refusal = None
            return None
        limit = self._row_limit
        if limit is not None:
            if kind == 0x44:  # DataRow
                self._rows += 1
                if self._rows > limit:
                    if not self._truncated:
                        self._truncated = True
                        return m.notice_response(
                            f"Interlock: result truncated to {limit} rows (this agent's row "
                            "limit); the command tag still counts every row"
                        )
                    return b""
            elif kind in (0x43, 0x49, 0x73, 0x45):
                self._rows, self._truncated = 0, False
        return None

    # --- endings ------------------------------------------------------------------------

    def _fatal(self, code: str, text: str, *, hint: str = "") -> list[Command]:
        if self.phase is Phase.CLOSED:
            return []
        error = m.error_response(code, text, severity="FATAL", hint=hint)
        return [SendClient(error), *self._close(text)]

    def _close(self, reason: str) -> list[Command]:
        if self.phase is Phase.CLOSED:
            return []
        self.phase = Phase.CLOSED
        self.closed_reason = reason
        held, self._held = self._held, None
        if self.gatekeeper is not None:
            if held is not None:
                self.gatekeeper.abandon(held.request_id, reason)
            self.gatekeeper.finish(reason)
        return [Close(reason)]
