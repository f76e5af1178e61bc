"""The opening of one proxied connection, up to the server's first ReadyForQuery.

    STARTUP           SSLRequest (answered S with TLS, else N), CancelRequest, StartupMessage
    PASSWORD          the agent's token, in clear: only over TLS or on an explicitly
                      allowed loopback (see `_auth`)
    LOGIN             the token checked off the event loop (`Authenticate`)
    CONNECTING        the shell opens the upstream connection
    UPSTREAM_TLS      SSLRequest upstream, when the resource's URL asks for TLS
    UPSTREAM_AUTH     the resource's real credential: trust, cleartext, MD5 or SCRAM
    UPSTREAM_STARTUP  parameters and the backend key, until ReadyForQuery → READY

The client gets the proxy's own backend key, never the server's (a cancel request names the
proxy's key; the shell forwards it with the server's).
"""

from __future__ import annotations

import enum
import secrets
import struct
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Protocol

from interlock.proxy.pg import _messages as m
from interlock.proxy.pg._auth import UpstreamAuth
from interlock.proxy.pg._commands import (
    Authenticate,
    Command,
    ConnectUpstream,
    ForwardCancel,
    Record,
    SendClient,
    SendServer,
    StartClientTLS,
    StartServerTLS,
)
from interlock.proxy.pg._tls import UpstreamTLS

if TYPE_CHECKING:
    from interlock.proxy.pg._session import Gatekeeper

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
WAIT_SETTING = "interlock.wait"  # startup parameter, or `-c interlock.wait=N` in `options`
_I32 = struct.Struct("!i")


class Phase(enum.Enum):
    STARTUP = "startup"
    PASSWORD = "password"  # noqa: S105 (a phase name)
    LOGIN = "login"
    CONNECTING = "connecting"
    UPSTREAM_TLS = "upstream-tls"
    UPSTREAM_AUTH = "upstream-auth"
    UPSTREAM_STARTUP = "upstream-startup"
    READY = "ready"
    CLOSED = "closed"


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
    """Agent logins; both calls read or write Interlock's state (run off the event loop)."""

    def login(
        self, user: str, database: str, password: str, *, tls: bool
    ) -> Login: ...  # raises LoginRefused

    def refused(self, user: str, database: str, reason: str) -> None: ...


class Ending(Protocol):
    """How the handshake ends the session (the session owns its ending)."""

    def fatal(self, code: str, text: str, *, hint: str = "") -> list[Command]: ...

    def close(self, reason: str) -> list[Command]: ...


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


class Handshake:
    """Both openings, the client's and the server's, as one state machine over bytes."""

    def __init__(
        self,
        logins: LoginService,
        ending: Ending,
        *,
        tls_available: bool,
        allow_cleartext: bool,
        key: tuple[int, int] | None,
    ) -> None:
        self.logins = logins
        self._fatal = ending.fatal
        self._close = ending.close
        self.tls_available = tls_available
        self.allow_cleartext = allow_cleartext
        self.phase = Phase.STARTUP
        self.tls = False
        self.client_key = key or (secrets.randbelow(2**31 - 1) + 1, secrets.randbits(31))
        self.upstream_key: tuple[int, int] | None = None
        self.login: Login | None = None
        self.user = ""
        self.database = ""
        self.status = b"I"
        self.wait_seconds = 0.0  # how long a held statement waits for a human
        self.cbuf = bytearray()  # what the relay takes over once READY
        self.sbuf = bytearray()
        self._client_params: dict[str, str] = {}
        self._auth: UpstreamAuth | None = None
        self._wait_requested: float | None = None  # the client's `interlock.wait`

    @property
    def upstream(self) -> Upstream | None:
        return self.login.upstream if self.login is not None else None

    # --- client side --------------------------------------------------------------------

    def client_data(self, data: bytes) -> list[Command]:
        self.cbuf += data
        return self._client_messages()

    def client_tls_started(self) -> list[Command]:
        self.tls = True
        return self._client_messages() if self.cbuf else []

    def _client_messages(self) -> list[Command]:
        out: list[Command] = []
        while self.phase in (Phase.STARTUP, Phase.PASSWORD):
            if self.phase is Phase.STARTUP:
                length = m.startup_length(self.cbuf)
                if length is None:
                    return out
                packet = m.parse_startup(bytes(self.cbuf[:length]))
                del self.cbuf[:length]
                out += self._on_startup(packet)
                if isinstance(packet, m.SSLRequest) and any(
                    isinstance(c, StartClientTLS) for c in out
                ):
                    if self.cbuf:  # sent before the handshake: could be injected (CVE-2021-23214)
                        return self._fatal("08P01", "data after SSLRequest, before TLS")
                    return out  # nothing more until the TLS handshake is done
            else:
                reader = m.FrameReader(max_length=m.MAX_STARTUP_LENGTH)
                reader.feed(bytes(self.cbuf))
                frame = reader.next()
                if frame is None:
                    return out
                del self.cbuf[: len(self.cbuf) - len(reader.buffered)]
                kind, body = frame
                if kind != b"p":
                    return out + self._fatal("08P01", f"expected a password message, got {kind!r}")
                out += self._on_password(m.parse_password(body))
        return out

    def _on_startup(self, packet: m.StartupPacket) -> list[Command]:
        if isinstance(packet, m.SSLRequest):
            if self.tls_available and not self.tls:
                return [SendClient(b"S"), StartClientTLS()]
            return [SendClient(b"N")]
        if isinstance(packet, m.GSSENCRequest):
            return [SendClient(b"N")]
        if isinstance(packet, m.CancelRequest):
            return [
                ForwardCancel(packet.process_id, packet.secret_key),
                *self._close("cancel request"),
            ]
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
            out.append(Record(partial(self.logins.refused, self.user, self.database, "no TLS")))
            return out + self._fatal(
                "28000",
                "Interlock accepts agent tokens only over TLS",
                hint="connect with sslmode=require",
            )
        self.phase = Phase.PASSWORD
        return [*out, SendClient(m.auth_cleartext())]

    def _on_password(self, password: str) -> list[Command]:
        self.phase = Phase.LOGIN
        login = partial(self.logins.login, self.user, self.database, password, tls=self.tls)
        return [Authenticate(self.user, self.database, login)]

    def logged_in(self, result: Login | Exception) -> list[Command]:
        """The answer to `Authenticate`: connect upstream, or end the session."""
        if self.phase is not Phase.LOGIN:
            return []
        if isinstance(result, LoginRefused):
            return self._fatal(result.sqlstate, str(result), hint=result.hint)
        if isinstance(result, Exception):
            return self._fatal(
                "08004", f"Interlock could not check the login ({type(result).__name__})"
            )
        self.login = result
        if self._wait_requested is not None:
            self.wait_seconds = min(self._wait_requested, result.max_wait_for_approval)
        else:
            self.wait_seconds = result.wait_for_approval
        describe = getattr(result.gatekeeper, "describe", None)
        if callable(describe):  # what the approval page shows a human (see _enforce)
            describe(
                application_name=self._client_params.get("application_name", ""),
                waits=self.wait_seconds,
            )
        self.phase = Phase.CONNECTING
        return [ConnectUpstream(result.upstream.host, result.upstream.port)]

    # --- server side --------------------------------------------------------------------

    def upstream_connected(self) -> list[Command]:
        upstream = self.upstream
        assert upstream is not None
        if upstream.tls is not None:
            self.phase = Phase.UPSTREAM_TLS
            return [SendServer(m.ssl_request())]
        return self._upstream_startup()

    def upstream_tls_started(self) -> list[Command]:
        return self._upstream_startup()

    def _upstream_startup(self) -> list[Command]:
        upstream = self.upstream
        assert upstream is not None
        self.phase = Phase.UPSTREAM_AUTH
        self._auth = UpstreamAuth(upstream.user, upstream.password)
        params = {k: v for k, v in self._client_params.items() if k in PASSED_PARAMETERS}
        params.update(upstream.parameters)
        params["user"] = upstream.user
        params["database"] = upstream.database
        return [SendServer(m.startup_message(params))]

    def server_data(self, data: bytes) -> list[Command]:
        self.sbuf += data
        if self.phase is Phase.UPSTREAM_TLS:
            return self._tls_answer()
        if self.phase is Phase.CONNECTING:  # TLS handshake under way: nothing may come
            raise m.ProtocolViolation("data during the TLS handshake")
        out: list[Command] = []
        reader = m.FrameReader()
        reader.feed(bytes(self.sbuf))
        self.sbuf.clear()
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
                code, auth_data = m.parse_authentication(body)
                assert self._auth is not None
                answer = self._auth.respond(code, auth_data)
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
        self.sbuf += reader.buffered
        return out

    def _tls_answer(self) -> list[Command]:
        """The server's one-byte answer to our SSLRequest."""
        tls = self.upstream.tls if self.upstream is not None else None
        assert tls is not None
        answer, rest = bytes(self.sbuf[:1]), len(self.sbuf) - 1
        self.sbuf.clear()
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
