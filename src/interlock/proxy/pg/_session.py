"""One proxied connection as a state machine over bytes: no sockets, no asyncio, no SQLite.

    client bytes ──> client_data() ──┐                ┌──> SendServer / SendClient / …
    server bytes ──> server_data() ──┼─> Session ─────┤
    connected / TLS up / closed   ───┤                └──> Authenticate / Decide / Record
    logged_in / decided / polled  ───┘                     (Interlock's state, off the loop)

The session is three parts: the opening (`_handshake`: startup, the agent's login, the
upstream connection and its authentication), the relay of a READY connection (`_relay`:
simple and extended query, refusals injected as server errors), and internal statements
(`_internal`: the safeguard plans run on the agent's connection). This module holds what
ties them: the events, and what happens to each statement.

In READY every Query ('Q') and Parse ('P') message goes to `Gatekeeper.check` — the one
enforcement point — before anything is forwarded. A ruling it can give without Interlock's
state (a read seen before in this session) is applied at once; otherwise it returns a
`PendingRuling`, the session stops reading the client's messages (they stay buffered) and
asks the shell to `Decide` it off the event loop; `decided` carries the ruling on.
FunctionCall ('F') is refused outright: it calls server functions by OID, past any SQL a
classifier could read.

A statement allowed with a safeguard waits until the server has answered everything before
it, then the safeguard plan runs as internal queries on the same connection (so it sees the
agent's transaction), its record is written, and only then is the statement forwarded (or,
for a soft drop, answered with the DROP's command tag without being forwarded).

A held statement is refused at once, unless the session waits for approval (`[proxy.pg]`
`wait_for_approval`, or the client's own `interlock.wait` startup setting): then the client
gets a NoticeResponse naming the request, the session stops reading the client's messages
and asks the shell to `AwaitApproval`, which polls the gatekeeper off the event loop until
the request is settled (approved: the statement goes on as if allowed, safeguard first;
denied, expired or not decided in time: the refusal). A CancelRequest for the session
(`cancel_wait`) or the client going away ends the wait.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from interlock.proxy.pg import _messages as m
from interlock.proxy.pg._auth import UpstreamAuthError
from interlock.proxy.pg._blast import blast_plan
from interlock.proxy.pg._commands import (
    AwaitApproval,
    Close,
    Command,
    Decide,
    Record,
    SendClient,
)
from interlock.proxy.pg._handshake import (
    Handshake,
    Login,
    LoginService,
    Phase,
    Upstream,
)
from interlock.proxy.pg._internal import Finished
from interlock.proxy.pg._relay import Relay
from interlock.proxy.pg._ruling import (
    ALLOW,
    CANCELLED,
    PendingRuling,
    Ruling,
    SafeguardPlan,
    fail_closed,
    refusal,
)

_FUNCTION_CALL = refusal(
    "Interlock refuses FunctionCall messages: they call server functions by OID, "
    "past any SQL it could check",
    "run the function in a SQL statement instead",
)
_SAFEGUARD_NEEDS_BATCH = refusal(
    "Interlock must take a safeguard before this statement, which it can only "
    "do when the statement starts a new batch (first message after Sync)",
    "send the statement on its own, outside a pipeline",
)

StateAnswer = Callable[[Ruling | Exception], list[Command]]
"""What the session does with the answer of a `Decide` it waits on."""


class Gatekeeper(Protocol):
    """The enforcement point bound to one session's agent and resource (see `_enforce`).

    `check` runs on the event loop and must not block: what needs Interlock's state comes
    back as a `PendingRuling`. Every other call reads or writes that state: the session
    hands them to the shell (`AwaitApproval`, `Record`), which runs them off the loop."""

    def check(self, text: str, *, extended: bool) -> Ruling | PendingRuling: ...

    def rebinds(self, text: str) -> bool:
        """Whether each Bind of this Parse must be judged again with its values."""
        ...

    def check_bound(
        self, text: str, types: Sequence[int], bind: m.Bind
    ) -> tuple[str, Ruling | PendingRuling]:
        """The text judged (the statement with its values) and the ruling on a Bind."""
        ...

    def settle(self, request_id: str, text: str, *, extended: bool, final: bool) -> Ruling | None:
        """The ruling once a human has decided `request_id` (None: still pending). With
        `final` (the wait is over) a pending request gives the hold's refusal."""
        ...

    def abandon(self, request_id: str, reason: str) -> None:
        """The wait for `request_id` ended without a ruling (cancel, disconnect)."""
        ...

    def finish(self, reason: str) -> None: ...


@dataclass(frozen=True, slots=True)
class _Held:
    """A held statement parked on the connection while a human decides."""

    wait_id: int
    request_id: str
    raw: bytes
    extended: bool


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
        self.handshake = Handshake(
            logins, self, tls_available=tls_available, allow_cleartext=allow_cleartext, key=key
        )
        self.relay: Relay | None = None
        self.gatekeeper: Gatekeeper | None = None
        self.closed_reason = ""
        self._answer: StateAnswer | None = None  # a `Decide` in flight
        self._held: _Held | None = None
        self._wait_ids = 0
        # prepared statements whose Binds are judged with their values: name -> (text, types)
        self._rebound: dict[str, tuple[str, tuple[int, ...]]] = {}

    # --- what the shell reads -------------------------------------------------------------

    @property
    def phase(self) -> Phase:
        return self.handshake.phase

    @property
    def client_key(self) -> tuple[int, int]:
        return self.handshake.client_key

    @property
    def upstream_key(self) -> tuple[int, int] | None:
        return self.handshake.upstream_key

    @property
    def upstream(self) -> Upstream | None:
        return self.handshake.upstream

    @property
    def wait_seconds(self) -> float:
        return self.handshake.wait_seconds

    @property
    def awaiting_approval(self) -> int:
        """The id of the wait in progress (see `AwaitApproval`), 0 when none."""
        return self._held.wait_id if self._held is not None else 0

    @property
    def deciding(self) -> bool:
        """A statement waits for its `Decide`."""
        return self._answer is not None

    # --- events: bytes and connections -------------------------------------------------

    def client_data(self, data: bytes) -> list[Command]:
        if self.phase is Phase.CLOSED:
            return []
        try:
            if self.relay is None:
                return self.handshake.client_data(data)
            out = self.relay.from_client(data)
            if self.holding() and len(self.relay.cbuf) > m.MAX_MESSAGE_LENGTH:
                waits = "for approval" if self._held is not None else "for its decision"
                return out + self.fatal(
                    "54000", f"too much data sent while a statement waits {waits}"
                )
            return out
        except m.ProtocolViolation as exc:
            return self.fatal("08P01", f"protocol violation: {exc}")

    def server_data(self, data: bytes) -> list[Command]:
        if self.phase is Phase.CLOSED:
            return []
        try:
            if self.relay is not None:
                return self.relay.from_server(data)
            out = self.handshake.server_data(data)
            if self.phase is Phase.READY:
                out += self._start_relay()
            return out
        except m.ProtocolViolation as exc:
            return self.fatal("08P01", f"the server broke the protocol: {exc}")
        except UpstreamAuthError as exc:
            return self.fatal("08004", f"Interlock could not log in to the server: {exc}")

    def client_tls_started(self) -> list[Command]:
        return self._guarded(self.handshake.client_tls_started)

    def upstream_connected(self) -> list[Command]:
        return self.handshake.upstream_connected()

    def upstream_tls_started(self) -> list[Command]:
        return self.handshake.upstream_tls_started()

    def upstream_failed(self, reason: str) -> list[Command]:
        return self.fatal("08006", f"Interlock could not reach the database server: {reason}")

    def client_closed(self) -> list[Command]:
        return self.close("client disconnected")

    def server_closed(self) -> list[Command]:
        if self.phase is Phase.CLOSED:
            return []
        return self.fatal("57P01", "the database server closed the connection")

    def _start_relay(self) -> list[Command]:
        login = self.handshake.login
        assert login is not None
        relay = Relay(self, status=self.handshake.status, row_limit=login.row_limit)
        relay.sbuf += self.handshake.sbuf
        relay.cbuf += self.handshake.cbuf
        self.handshake.sbuf.clear()
        self.handshake.cbuf.clear()
        self.relay = relay
        out: list[Command] = []
        if relay.sbuf:
            out += relay.from_server()
        if relay.cbuf:
            out += relay.from_client()
        return out

    def _guarded(self, event: Callable[[], list[Command]]) -> list[Command]:
        """Run an event that may go on with buffered client bytes (and find them bad)."""
        if self.phase is Phase.CLOSED:
            return []
        try:
            return event()
        except m.ProtocolViolation as exc:
            return self.fatal("08P01", f"protocol violation: {exc}")

    # --- events: answers from Interlock's state ---------------------------------------------

    def logged_in(self, result: Login | Exception) -> list[Command]:
        """The answer to `Authenticate`: the `Login`, or why there is none."""
        if self.phase is not Phase.LOGIN:
            return []
        out = self.handshake.logged_in(result)
        if isinstance(result, Login):
            self.gatekeeper = result.gatekeeper
        return out

    def decided(self, result: Ruling | Exception) -> list[Command]:
        """The answer to `Decide`: the ruling, or the exception that stands in for one."""
        answer, self._answer = self._answer, None
        if answer is None or self.relay is None:
            return []
        relay = self.relay
        return self._guarded(lambda: relay.resume_client(answer(result)))

    def approval_polled(self, wait_id: int, result: Ruling | Exception | None) -> list[Command]:
        """An answer of `AwaitApproval`'s poll: None while the human has not decided."""
        held = self._held
        if held is None or held.wait_id != wait_id or self.relay is None or result is None:
            return []
        if isinstance(result, Exception):  # the approval store failed: refuse, never forward
            result = fail_closed(f"learn the decision on {held.request_id}", result)
        self._held = None
        relay = self.relay
        extended, raw = held.extended, held.raw
        return self._guarded(lambda: relay.resume_client(self._apply(result, extended, raw)))

    def cancel_wait(self) -> list[Command]:
        """A CancelRequest for this session arrived while it waits: end the wait (57014)."""
        held = self._held
        if held is None or self.relay is None or self.phase is not Phase.READY:
            return []
        self._held = None
        assert self.gatekeeper is not None
        abandon = Record(
            partial(self.gatekeeper.abandon, held.request_id, "cancelled by the client")
        )
        ruling = refusal(
            CANCELLED,
            f"Interlock stopped waiting for approval request {held.request_id}; the request "
            "stays open: once a human approves it, send the same statement again",
            "57014",
        )
        relay = self.relay
        extended, raw = held.extended, held.raw
        return [
            abandon,
            *self._guarded(lambda: relay.resume_client(self._apply(ruling, extended, raw))),
        ]

    # --- statements (called by the relay) -------------------------------------------------

    def holding(self) -> bool:
        return self._answer is not None or self._held is not None or self.phase is Phase.CLOSED

    def terminated(self) -> list[Command]:
        return self.close("client terminated")

    def statement(self, kind: int, raw: bytes) -> list[Command]:
        assert self.gatekeeper is not None and self.relay is not None
        if kind == 0x46:  # FunctionCall
            return self.relay.refuse(_FUNCTION_CALL, extended=False)
        if kind == 0x42:  # a Bind, while some prepared statement's values decide its verdict
            return self._bind(raw)
        extended = kind == 0x50
        if extended:
            parse = m.parse_parse(raw[5:])
            text = parse.query
            self._watch_binds(parse)
        else:
            text = m.parse_query(raw[5:])
        try:
            ruling = self.gatekeeper.check(text, extended=extended)
        except Exception as exc:  # the enforcement point failed: refuse, never forward
            ruling = fail_closed("decide on this statement", exc)
        return self._carry_out(ruling, text, raw, extended)

    def _watch_binds(self, parse: m.Parse) -> None:
        """Remember a Parse whose values can change its verdict, so its Binds are judged."""
        assert self.gatekeeper is not None and self.relay is not None
        try:
            watch = self.gatekeeper.rebinds(parse.query)
        except Exception:  # cannot tell: judge every Bind of it (fail closed)
            watch = True
        if watch:
            self._rebound[parse.name] = (parse.query, parse.param_types)
        else:
            self._rebound.pop(parse.name, None)
        self.relay.binds_watched = bool(self._rebound)

    def _bind(self, raw: bytes) -> list[Command]:
        assert self.gatekeeper is not None and self.relay is not None
        name = m.bind_statement(raw[5:])
        watched = self._rebound.get(name)
        if watched is None:
            return self.relay.forward_statement(True, raw)
        text, types = watched
        try:
            judged, ruling = self.gatekeeper.check_bound(text, types, m.parse_bind(raw[5:]))
        except m.ProtocolViolation:
            raise
        except Exception as exc:  # the enforcement point failed: refuse, never forward
            judged, ruling = text, fail_closed("decide on this statement", exc)
        return self._carry_out(ruling, judged, raw, True)

    def _carry_out(
        self, ruling: Ruling | PendingRuling, text: str, raw: bytes, extended: bool
    ) -> list[Command]:
        assert self.relay is not None
        if isinstance(ruling, PendingRuling):
            self._answer = partial(self._ruled, text=text, raw=raw, extended=extended)
            if ruling.measure and ruling.measured is not None and not self.relay.in_batch:
                return self.relay.when_idle(lambda: self._measure_then_decide(ruling))
            return [Decide(ruling.finish)]
        if ruling is ALLOW:  # the hot path: a read already seen in this session
            return self.relay.forward_statement(extended, raw)
        return self._ruled(ruling, text=text, raw=raw, extended=extended)

    def _measure_then_decide(self, ruling: PendingRuling) -> list[Command]:
        """Measure the tables a hold names (`_blast`), then decide: only on a connection
        idle outside a transaction, where a failed catalogue query aborts nothing."""
        relay = self.relay
        assert relay is not None and ruling.measured is not None
        if relay.status != b"I":
            return [Decide(ruling.finish)]
        note = ruling.measured

        def then(end: Finished) -> list[Command]:
            if end.summary:
                note(end.summary)
            return [Decide(ruling.finish)]

        return relay.run_internal(blast_plan(ruling.measure), then)

    def _ruled(
        self, result: Ruling | Exception, *, text: str, raw: bytes, extended: bool
    ) -> list[Command]:
        if isinstance(result, Exception):
            result = fail_closed("decide on this statement", result)
        if not result.allowed and result.held and self.wait_seconds > 0:
            return self._await_approval(result, text, raw, extended)
        return self._apply(result, extended, raw)

    def _apply(self, ruling: Ruling, extended: bool, raw: bytes) -> list[Command]:
        """Carry out the ruling on one statement message."""
        relay = self.relay
        assert relay is not None
        if not ruling.allowed:
            return relay.refuse(ruling, extended)
        if ruling.safeguard is None:
            return relay.forward_statement(extended, raw)
        if extended and relay.in_batch:
            return relay.refuse(_SAFEGUARD_NEEDS_BATCH, extended)
        plan = ruling.safeguard
        return relay.when_idle(lambda: self._take_safeguard(plan, extended, raw))

    # --- safeguards ---------------------------------------------------------------------

    def _take_safeguard(self, plan: SafeguardPlan, extended: bool, raw: bytes) -> list[Command]:
        """`start` on the connection, then `offload` off the loop, then `after` on the
        connection, then the record; any step failing refuses the statement (recorded)."""
        relay = self.relay
        assert relay is not None

        def failed(why: str) -> list[Command]:
            ruling = refusal(
                f"Interlock could not take the safeguard this statement needs ({why}); "
                "it was not run",
                "ask a human to look at the resource; nothing was changed by Interlock",
            )
            return [Record(partial(plan.done, why, False)), *relay.refuse(ruling, extended)]

        def record(summary: str) -> list[Command]:
            def recorded(result: Ruling | Exception) -> list[Command]:
                if isinstance(result, Exception):
                    return self.fatal(
                        "58030", "Interlock could not record the safeguard it took; stopping"
                    )
                notice = SendClient(m.notice_response(summary, severity="NOTICE"))
                if plan.replaces_statement and not extended:
                    tag = m.command_complete(plan.command_tag)
                    return [notice, SendClient(tag + m.ready_for_query(relay.status))]
                forwarded = [notice, *relay.forward_statement(extended, raw)]
                if extended or plan.statement_failed is None:
                    return forwarded
                failed_on_server = plan.statement_failed
                errors = relay.errors

                def answered() -> list[Command]:
                    # The statement is over: an error means it did nothing (its transaction
                    # rolled it back), so the approval it used is given back.
                    if relay.errors > errors:
                        return [Record(failed_on_server)]
                    return []

                return forwarded + relay.when_idle(answered)

            # The safeguard's record is written before the statement goes on.
            self._answer = recorded
            return [Decide(partial(_record_then_allow, plan, summary))]

        def after(summary: str) -> list[Command]:
            if plan.after is None:
                return record(summary)

            def moved(end: Finished) -> list[Command]:
                if end.summary is None:
                    return failed(end.failure)
                return record(f"{summary}; {end.summary}")

            return relay.run_internal(plan.after(), moved)

        def offloaded(result: Ruling | Exception) -> list[Command]:
            if isinstance(result, Exception):
                return failed(str(result) or type(result).__name__)
            if not result.allowed:  # the snapshot could not be taken: recorded by `failed`
                return failed(result.message)
            return after(result.message)

        def started(end: Finished) -> list[Command]:
            if end.summary is None:
                return failed(end.failure)
            if plan.offload is None:
                return after(end.summary)
            self._answer = offloaded
            return [Decide(partial(_offload, plan, end.summary), blocking=True)]

        return relay.run_internal(plan.start(), started)

    # --- waiting for a human -------------------------------------------------------------

    def _await_approval(
        self, ruling: Ruling, text: str, raw: bytes, extended: bool
    ) -> list[Command]:
        assert self.gatekeeper is not None
        self._wait_ids += 1
        self._held = _Held(self._wait_ids, ruling.held, raw, extended)
        seconds = self.wait_seconds
        notice = m.notice_response(
            f"waiting for approval {ruling.held}: Interlock holds this statement until a "
            f"human decides (up to {seconds:g} s)",
            severity="NOTICE",
            hint=(
                f"a human approves in the console, or with: interlock approvals approve "
                f"{ruling.held} --user NAME"
            ),
        )
        settle = self.gatekeeper.settle
        request_id = ruling.held

        def poll(final: bool) -> Ruling | None:
            return settle(request_id, text, extended=extended, final=final)

        return [SendClient(notice), AwaitApproval(self._wait_ids, seconds, poll)]

    # --- endings ------------------------------------------------------------------------

    def fatal(self, code: str, text: str, *, hint: str = "") -> list[Command]:
        if self.phase is Phase.CLOSED:
            return []
        error = m.error_response(code, text, severity="FATAL", hint=hint)
        return [SendClient(error), *self.close(text)]

    def close(self, reason: str) -> list[Command]:
        if self.phase is Phase.CLOSED:
            return []
        self.handshake.phase = Phase.CLOSED
        self.closed_reason = reason
        held, self._held = self._held, None
        self._answer = None
        out: list[Command] = []
        if self.gatekeeper is not None:
            if held is not None:
                out.append(Record(partial(self.gatekeeper.abandon, held.request_id, reason)))
            out.append(Record(partial(self.gatekeeper.finish, reason)))
        return [*out, Close(reason)]


def _record_then_allow(plan: SafeguardPlan, summary: str) -> Ruling:
    plan.done(summary, True)
    return ALLOW


def _offload(plan: SafeguardPlan, summary: str) -> Ruling:
    """The plan's off-loop step (on a worker thread: it records nothing; a failure comes
    back as a refused ruling saying why, which the session records and refuses with)."""
    assert plan.offload is not None
    try:
        return Ruling(True, plan.offload(summary))
    except Exception as exc:  # the snapshot failed: why, for the record and the refusal
        return Ruling(False, str(exc) or type(exc).__name__)
