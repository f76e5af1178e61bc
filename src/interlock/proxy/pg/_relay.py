"""The relay of a READY connection: the simple and extended query protocols, both ways.

Client → server: every Query ('Q'), Parse ('P') and FunctionCall ('F') goes to the owner
(`RelayOwner.statement`, the session) before anything of it is forwarded, and so does Bind
('B') while the owner watches Binds (`binds_watched`: a prepared statement whose parameter
values can change its verdict); the other
messages pass as they are, and the relay counts what the server still owes (ReadyForQuery
per Query or Sync, answers since the last Sync) so that it knows when the server is idle.

A refusal must look to the client exactly like a PostgreSQL error at that point, transaction
state included. So the proxy does not fake it: it sends the server, in place of the refused
statement, `DO $$ BEGIN RAISE EXCEPTION … $$` carrying the SQLSTATE, the message and the
hint; PostgreSQL itself produces the ErrorResponse and the ReadyForQuery with the right
status ('E' inside a transaction), and in the extended protocol discards until Sync. Only the
ParseComplete/BindComplete of that injected statement are swallowed on the way back.

Server → client: forwarded as received (runs of messages, no copy when nothing needs
rewriting), except the answers to an internal query (`_internal`), the swallowed answers of
an injected refusal, and rows beyond the agent's row limit.
"""

from __future__ import annotations

import secrets
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from interlock.proxy.pg import _messages as m
from interlock.proxy.pg._commands import Command, SendClient, SendServer
from interlock.proxy.pg._internal import Finished, InternalQuery, Step
from interlock.proxy.pg._results import Plan
from interlock.proxy.pg._ruling import Ruling

_TERMINAL_EXTENDED = frozenset(b"123nTCIsE")  # the one message that answers P/B/D/E/C
_STATEMENT_KINDS = frozenset(b"QPF")
_EXTENDED_COUNTED = frozenset(b"PBDEC")
_I32 = struct.Struct("!i")


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


class RelayOwner(Protocol):
    """What the relay asks of the session."""

    def holding(self) -> bool:
        """The session reads no more client messages for now (a statement being decided or
        waiting for a human), or it is over."""
        ...

    def statement(self, kind: int, raw: bytes) -> list[Command]:
        """Decide one statement message (Query, Parse, FunctionCall, a watched Bind) and
        carry it out."""
        ...

    def terminated(self) -> list[Command]:
        """The client sent Terminate."""
        ...


@dataclass(slots=True)
class _ExtendedRefusal:
    """Tracks the server's answers until the injected refusal of a Parse comes back."""

    syncs_before: int  # ReadyForQuery messages of earlier batches still to come
    terminals_before: int  # answers to this batch's earlier messages still to come
    swallow: int = 2  # then: ParseComplete, BindComplete of the injected DO


class Relay:
    """The READY phase of one connection."""

    def __init__(self, owner: RelayOwner, *, status: bytes, row_limit: int | None) -> None:
        self.owner = owner
        self.status = status
        self.cbuf = bytearray()
        self.sbuf = bytearray()
        self.internal: InternalQuery | None = None
        self._pending_z = 0  # Query/Sync forwarded, ReadyForQuery not yet back
        self._unsynced = 0  # P/B/D/E/C forwarded since the last Sync
        self._discarding = False  # dropping the client's messages until Sync
        self._refusal: _ExtendedRefusal | None = None
        self._waiting: Callable[[], list[Command]] | None = None  # runs when idle upstream
        self._waiting_for_refusal_only = False
        self._row_limit = row_limit
        self._rows = 0
        self._truncated = False
        self.errors = 0  # ErrorResponses relayed to the client so far
        # Set by the owner while a prepared statement's Binds must be judged (their values
        # can change its verdict): then Bind ('B') goes to `owner.statement` too.
        self.binds_watched = False

    @property
    def in_batch(self) -> bool:
        """Extended-protocol messages were forwarded since the last Sync."""
        return self._unsynced > 0

    def blocked(self) -> bool:
        return self._waiting is not None or self.internal is not None or self.owner.holding()

    # --- client → server ----------------------------------------------------------------

    def from_client(self, data: bytes = b"") -> list[Command]:
        """Forward the client's messages, deciding each statement on the way.

        The common case costs no copy: with nothing buffered, `data` itself is scanned and
        runs of messages are forwarded as slices of it (the whole of it, usually)."""
        out: list[Command] = []
        buf: bytes | bytearray
        if self.cbuf or not data:
            self.cbuf += data
            buf = self.cbuf
        else:
            buf = data
        pos = 0
        start = 0  # first byte of the run of messages forwarded as they are
        size = len(buf)
        unpack = _I32.unpack_from
        while size - pos >= 5 and not self.blocked():
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
            if kind in _STATEMENT_KINDS or (kind == 0x42 and self.binds_watched):
                if pos > start:
                    out.append(SendServer(bytes(buf[start:pos])))
                raw = bytes(buf[pos:end])
                # The rest goes to `cbuf` first: deciding may re-enter `from_client`
                # (a safeguard plan that ends at once, a wait that ends).
                if buf is self.cbuf:
                    del buf[:end]
                elif end < size:
                    self.cbuf += buf[end:]
                buf = self.cbuf
                pos = start = 0
                out += self.owner.statement(kind, raw)
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
                self.cbuf.clear()
                return out + self.owner.terminated()
            pos = end
        if pos > start:
            out.append(SendServer(bytes(buf[start:pos])))
        if buf is self.cbuf:
            del buf[:pos]
        elif pos < size:
            self.cbuf += buf[pos:]
        return out

    def resume_client(self, out: list[Command]) -> list[Command]:
        """After a pause: go on with the client messages buffered meanwhile, if any."""
        if self.cbuf and not self.blocked():
            out += self.from_client()
        return out

    def forward_statement(self, extended: bool, raw: bytes) -> list[Command]:
        if extended:
            self._unsynced += 1
        else:
            self._pending_z += 1
            self._rows, self._truncated = 0, False
        return [SendServer(raw)]

    def refuse(self, ruling: Ruling, extended: bool) -> list[Command]:
        """Have the server raise the refusal in place of the statement (module doc)."""
        if not extended:
            self._pending_z += 1
            sql = refusal_sql(ruling.message, ruling.hint, ruling.sqlstate)
            return [SendServer(m.query(sql))]
        if self._refusal is not None:
            # One refusal in flight already: answer this one once that one is back.
            return self.when_idle(lambda: self.refuse(ruling, extended), refusal_only=True)
        sql = refusal_sql(ruling.message, ruling.hint, ruling.sqlstate)
        self._refusal = _ExtendedRefusal(self._pending_z, self._unsynced)
        self._discarding = True
        return [SendServer(m.parse("", sql) + m.bind() + m.execute())]

    def when_idle(
        self, then: Callable[[], list[Command]], *, refusal_only: bool = False
    ) -> list[Command]:
        """Run `then` once the server has answered everything forwarded so far (or, with
        `refusal_only`, once the extended refusal in flight is back)."""
        self._waiting_for_refusal_only = refusal_only
        if self._may_resume():
            return then()
        self._waiting = then
        return []

    def _may_resume(self) -> bool:
        if self._waiting_for_refusal_only:
            return self._refusal is None
        return self._pending_z == 0 and self._refusal is None and self._unsynced == 0

    def _resume(self) -> list[Command]:
        then, self._waiting = self._waiting, None
        assert then is not None
        return self.resume_client(then())

    # --- internal queries ---------------------------------------------------------------

    def run_internal(self, plan: Plan, then: Callable[[Finished], list[Command]]) -> list[Command]:
        """Run `plan` on this connection (the server must be idle); `then` when it ends."""
        self.internal = InternalQuery(plan, then)
        return self._internal_step(self.internal.start())

    def _internal_step(self, step: Step) -> list[Command]:
        if step is None:
            return []
        if isinstance(step, str):
            return [SendServer(m.query(step))]
        internal = self.internal
        assert internal is not None
        out = internal.then(step)
        self.internal = None
        return self.resume_client(out)

    def _internal_message(self, kind: bytes, body: bytes) -> list[Command]:
        internal = self.internal
        assert internal is not None
        if kind in (b"A", b"S"):  # notifications and parameter changes belong to the client
            return [SendClient(m.message(kind, body))]
        step = internal.answer(kind, body)
        if kind == b"Z":
            self.status = body[:1] or b"I"
        return self._internal_step(step)

    # --- server → client ----------------------------------------------------------------

    def from_server(self, data: bytes = b"") -> list[Command]:
        """Relay the server's messages; as `from_client`, `data` is scanned in place and
        forwarded whole when no message in it needs the proxy's attention."""
        buf: bytes | bytearray
        if self.sbuf or not data:
            self.sbuf += data
            buf = self.sbuf
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
            if self.internal is not None:
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
            elif kind == 0x45 and self._waiting is not None:  # an error, and someone waits
                self.errors += 1
                if watch:
                    replace = self._watch(kind)
                    if replace is not None:
                        if pos > start:
                            out.append(SendClient(bytes(buf[start:pos])))
                        if replace:
                            out.append(SendClient(replace))
                        start = end
                    watch = self._refusal is not None or self._row_limit is not None
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
        if buf is self.sbuf:
            del buf[:pos]
        elif pos < size:
            self.sbuf += buf[pos:]
        return out

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
