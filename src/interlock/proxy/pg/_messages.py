"""PostgreSQL protocol v3 messages: framing, parsing and building, over bytes only.

    startup phase   int32 length, int32 code, body       (no type byte)
    afterwards      byte type, int32 length (itself included), body

Nothing here touches a socket. `FrameReader` cuts a byte stream into messages and refuses
lengths that are negative or above a bound (a hostile client cannot make the proxy buffer
a gigabyte it announced). Builders return ready-to-send bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

PROTOCOL_V3 = 196608  # 3 << 16
SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102
MAX_STARTUP_LENGTH = 10_000  # PostgreSQL's own bound
MAX_MESSAGE_LENGTH = 64 * 1024 * 1024

_I32 = struct.Struct("!i")
_HEADER = struct.Struct("!ci")
_I32_PAIR = struct.Struct("!ii")


class ProtocolViolation(Exception):
    """The peer sent bytes that are not a valid protocol v3 message."""


# --- startup ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StartupMessage:
    """The client's opening message: protocol version and parameters (user, database…)."""

    version: int
    parameters: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SSLRequest:
    """The client asks for TLS before the startup message."""


@dataclass(frozen=True, slots=True)
class GSSENCRequest:
    """The client asks for GSSAPI encryption (always answered 'N')."""


@dataclass(frozen=True, slots=True)
class CancelRequest:
    """A new connection asking to cancel the query running on another one."""

    process_id: int
    secret_key: int


StartupPacket = StartupMessage | SSLRequest | GSSENCRequest | CancelRequest


def startup_length(buffer: bytes | bytearray) -> int | None:
    """The length of the startup packet at the head of `buffer`, None if not all there yet."""
    if len(buffer) < 4:
        return None
    (length,) = _I32.unpack_from(buffer, 0)
    if length < 8 or length > MAX_STARTUP_LENGTH:
        raise ProtocolViolation(f"invalid startup packet length {length}")
    return length if len(buffer) >= length else None


def parse_startup(packet: bytes) -> StartupPacket:
    """Read one complete startup packet (length prefix included)."""
    (code,) = _I32.unpack_from(packet, 4)
    if code == SSL_REQUEST and len(packet) == 8:
        return SSLRequest()
    if code == GSSENC_REQUEST and len(packet) == 8:
        return GSSENCRequest()
    if code == CANCEL_REQUEST and len(packet) == 16:
        pid, key = _I32_PAIR.unpack_from(packet, 8)
        return CancelRequest(pid, key)
    if code >> 16 != 3:
        raise ProtocolViolation(f"unsupported protocol version {code >> 16}.{code & 0xFFFF}")
    parts = packet[8:].split(b"\x00")
    # key\0value\0 … \0 → the split ends with two empty strings
    if len(parts) < 2 or parts[-1] != b"" or parts[-2] != b"" or len(parts) % 2 != 0:
        raise ProtocolViolation("malformed startup parameters")
    params: dict[str, str] = {}
    try:
        for i in range(0, len(parts) - 2, 2):
            params[parts[i].decode()] = parts[i + 1].decode()
    except UnicodeDecodeError:
        raise ProtocolViolation("startup parameters are not UTF-8") from None
    return StartupMessage(code, params)


def startup_message(parameters: dict[str, str], version: int = PROTOCOL_V3) -> bytes:
    body = b"".join(k.encode() + b"\x00" + v.encode() + b"\x00" for k, v in parameters.items())
    body += b"\x00"
    return _I32_PAIR.pack(len(body) + 8, version) + body


def cancel_request(process_id: int, secret_key: int) -> bytes:
    return struct.pack("!iiii", 16, CANCEL_REQUEST, process_id, secret_key)


def ssl_request() -> bytes:
    return _I32_PAIR.pack(8, SSL_REQUEST)


# --- framing ----------------------------------------------------------------------------


class FrameReader:
    """Cuts a byte stream into `(type, body)` messages; keeps any incomplete tail."""

    __slots__ = ("_buffer", "max_length")

    def __init__(self, max_length: int = MAX_MESSAGE_LENGTH) -> None:
        self._buffer = bytearray()
        self.max_length = max_length

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def take_raw(self, n: int) -> bytes:
        """Remove and return the first `n` buffered bytes (for the untyped startup packet)."""
        head = bytes(self._buffer[:n])
        del self._buffer[:n]
        return head

    @property
    def buffered(self) -> bytearray:
        return self._buffer

    def next(self) -> tuple[bytes, bytes] | None:
        """The next complete message as (type byte, body), or None."""
        buf = self._buffer
        if len(buf) < 5:
            return None
        kind, length = _HEADER.unpack_from(buf, 0)
        if length < 4 or length > self.max_length:
            raise ProtocolViolation(f"invalid length {length} for message {kind!r}")
        end = length + 1
        if len(buf) < end:
            return None
        body = bytes(buf[5:end])
        del buf[:end]
        return kind, body


def split_messages(data: bytes | bytearray, start: int = 0) -> tuple[list[tuple[int, int]], int]:
    """Message boundaries in `data` from `start`: ([(type, end offset)…], offset of the tail).

    For relaying without copying: the caller forwards `data[:end]` slices as they are.
    """
    out: list[tuple[int, int]] = []
    pos = start
    size = len(data)
    unpack = _I32.unpack_from
    while size - pos >= 5:
        (length,) = unpack(data, pos + 1)
        if length < 4 or length > MAX_MESSAGE_LENGTH:
            raise ProtocolViolation(f"invalid length {length} for message {data[pos]!r}")
        end = pos + 1 + length
        if end > size:
            break
        out.append((data[pos], end))
        pos = end
    return out, pos


def message(kind: bytes, body: bytes = b"") -> bytes:
    return kind + _I32.pack(len(body) + 4) + body


def cstring(text: str) -> bytes:
    return text.encode() + b"\x00"


def read_cstring(body: bytes, pos: int = 0) -> tuple[str, int]:
    end = body.find(b"\x00", pos)
    if end < 0:
        raise ProtocolViolation("unterminated string in message")
    try:
        return body[pos:end].decode(), end + 1
    except UnicodeDecodeError:
        raise ProtocolViolation("string in message is not UTF-8") from None


# --- frontend messages (client → server) ------------------------------------------------


def parse_query(body: bytes) -> str:
    """The SQL text of a Query ('Q') message."""
    text, _ = read_cstring(body)
    return text


@dataclass(frozen=True, slots=True)
class Parse:
    """A Parse ('P') message: prepare `query` as statement `name`."""

    name: str
    query: str
    param_types: tuple[int, ...]


def parse_parse(body: bytes) -> Parse:
    name, pos = read_cstring(body)
    query, pos = read_cstring(body, pos)
    if len(body) < pos + 2:
        raise ProtocolViolation("truncated Parse message")
    (count,) = struct.unpack_from("!h", body, pos)
    if count < 0 or len(body) < pos + 2 + 4 * count:
        raise ProtocolViolation("truncated Parse message")
    types = struct.unpack_from(f"!{count}i", body, pos + 2) if count else ()
    return Parse(name, query, tuple(types))


@dataclass(frozen=True, slots=True)
class Bind:
    """A Bind message: which prepared statement, and its parameter values as sent."""

    portal: str
    statement: str
    formats: tuple[int, ...]  # per parameter: 0 text, 1 binary
    values: tuple[bytes | None, ...]


def bind_statement(body: bytes) -> str:
    """Only the statement name of a Bind (cheap: two C strings)."""
    _, pos = read_cstring(body)
    name, _ = read_cstring(body, pos)
    return name


def parse_bind(body: bytes) -> Bind:
    portal, pos = read_cstring(body)
    statement, pos = read_cstring(body, pos)
    try:
        (count,) = struct.unpack_from("!h", body, pos)
        codes = struct.unpack_from(f"!{count}h", body, pos + 2) if count > 0 else ()
        pos += 2 + 2 * max(count, 0)
        (nparams,) = struct.unpack_from("!h", body, pos)
        pos += 2
        values: list[bytes | None] = []
        for _ in range(max(nparams, 0)):
            (length,) = struct.unpack_from("!i", body, pos)
            pos += 4
            if length < 0:
                values.append(None)
                continue
            if pos + length > len(body):
                raise ProtocolViolation("truncated Bind message")
            values.append(body[pos : pos + length])
            pos += length
    except struct.error:
        raise ProtocolViolation("truncated Bind message") from None
    if count < 0 or nparams < 0 or (count > 1 and count != nparams):
        raise ProtocolViolation("Bind format codes do not match its parameters")
    formats = tuple(codes) * nparams if count == 1 else tuple(codes) or (0,) * nparams
    return Bind(portal, statement, formats, tuple(values))


def query(text: str) -> bytes:
    return message(b"Q", cstring(text))


def parse(name: str, text: str) -> bytes:
    return message(b"P", cstring(name) + cstring(text) + b"\x00\x00")


def bind(portal: str = "", statement: str = "") -> bytes:
    return message(b"B", cstring(portal) + cstring(statement) + b"\x00\x00" * 3)


def execute(portal: str = "", max_rows: int = 0) -> bytes:
    return message(b"E", cstring(portal) + _I32.pack(max_rows))


def sync() -> bytes:
    return message(b"S")


def terminate() -> bytes:
    return message(b"X")


def password_message(password: str) -> bytes:
    return message(b"p", cstring(password))


def sasl_initial_response(mechanism: str, data: bytes) -> bytes:
    return message(b"p", cstring(mechanism) + _I32.pack(len(data)) + data)


def sasl_response(data: bytes) -> bytes:
    return message(b"p", data)


def parse_password(body: bytes) -> str:
    text, _ = read_cstring(body)
    return text


# --- backend messages (server → client) -------------------------------------------------

AUTH_OK = 0
AUTH_CLEARTEXT = 3
AUTH_MD5 = 5
AUTH_SASL = 10
AUTH_SASL_CONTINUE = 11
AUTH_SASL_FINAL = 12


def authentication(code: int, data: bytes = b"") -> bytes:
    return message(b"R", _I32.pack(code) + data)


def auth_ok() -> bytes:
    return authentication(AUTH_OK)


def auth_cleartext() -> bytes:
    return authentication(AUTH_CLEARTEXT)


def parse_authentication(body: bytes) -> tuple[int, bytes]:
    if len(body) < 4:
        raise ProtocolViolation("truncated authentication request")
    (code,) = _I32.unpack_from(body, 0)
    return code, body[4:]


def parameter_status(name: str, value: str) -> bytes:
    return message(b"S", cstring(name) + cstring(value))


def parse_parameter_status(body: bytes) -> tuple[str, str]:
    name, pos = read_cstring(body)
    value, _ = read_cstring(body, pos)
    return name, value


def backend_key_data(process_id: int, secret_key: int) -> bytes:
    return message(b"K", _I32_PAIR.pack(process_id, secret_key))


def parse_backend_key_data(body: bytes) -> tuple[int, int]:
    if len(body) < 8:
        raise ProtocolViolation("truncated BackendKeyData")
    pid, key = _I32_PAIR.unpack_from(body, 0)
    return pid, key


def ready_for_query(status: bytes = b"I") -> bytes:
    return message(b"Z", status)


def command_complete(tag: str) -> bytes:
    return message(b"C", cstring(tag))


def parse_command_complete(body: bytes) -> str:
    text, _ = read_cstring(body)
    return text


def _fields(severity: str, code: str, text: str, hint: str, detail: str) -> bytes:
    out = b"S" + cstring(severity) + b"V" + cstring(severity) + b"C" + cstring(code)
    out += b"M" + cstring(text)
    if detail:
        out += b"D" + cstring(detail)
    if hint:
        out += b"H" + cstring(hint)
    return out + b"\x00"


def error_response(
    code: str, text: str, *, severity: str = "ERROR", hint: str = "", detail: str = ""
) -> bytes:
    return message(b"E", _fields(severity, code, text, hint, detail))


def notice_response(
    text: str, *, code: str = "01000", severity: str = "WARNING", hint: str = ""
) -> bytes:
    return message(b"N", _fields(severity, code, text, hint, ""))


def parse_fields(body: bytes) -> dict[str, str]:
    """The fields of an ErrorResponse or NoticeResponse, by their one-letter codes."""
    out: dict[str, str] = {}
    pos = 0
    while pos < len(body) and body[pos] != 0:
        code = chr(body[pos])
        value, pos = read_cstring(body, pos + 1)
        out[code] = value
    return out


def parse_data_row(body: bytes) -> list[bytes | None]:
    (count,) = struct.unpack_from("!h", body, 0)
    pos = 2
    out: list[bytes | None] = []
    for _ in range(count):
        (length,) = _I32.unpack_from(body, pos)
        pos += 4
        if length < 0:
            out.append(None)
        else:
            out.append(body[pos : pos + length])
            pos += length
    return out


def parse_row_description(body: bytes) -> list[str]:
    (count,) = struct.unpack_from("!h", body, 0)
    pos = 2
    names = []
    for _ in range(count):
        name, pos = read_cstring(body, pos)
        names.append(name)
        pos += 18
    return names


def quote_literal(text: str) -> str:
    """A SQL string literal (standard_conforming_strings on; NUL refused)."""
    if "\x00" in text:
        raise ValueError("NUL in a SQL literal")
    return "'" + text.replace("'", "''") + "'"


def quote_ident(name: str) -> str:
    if "\x00" in name:
        raise ValueError("NUL in a SQL identifier")
    return '"' + name.replace('"', '""') + '"'
