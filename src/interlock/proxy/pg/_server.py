"""The asyncio shell around `Session`: sockets in, events to the session, commands out.

This is the only module of the proxy that does I/O. Each client connection gets a `Session`
and, once the agent has logged in, one upstream connection. Flow control is passed through:
when one side's transport buffers too much, reading from the other side pauses.

Interlock's own state (SQLite: tokens, audit records, approvals) is read and written on one
dedicated thread, never on the event loop: logins, decisions that record, approval polls and
bookkeeping records run there, in the order the sessions asked for them, and their answers
come back to the loop as session events. One thread, because the state objects are built on
it and SQLite serialises writers anyway; the loop keeps relaying meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar, cast

from interlock.proxy.pg import _messages as m
from interlock.proxy.pg._commands import (
    Authenticate,
    AwaitApproval,
    Close,
    Command,
    ConnectUpstream,
    Decide,
    ForwardCancel,
    Record,
    SendClient,
    SendServer,
    StartClientTLS,
    StartServerTLS,
)
from interlock.proxy.pg._handshake import LoginRefused, LoginService, Phase
from interlock.proxy.pg._session import Session

log = logging.getLogger("interlock.proxy.pg")

CONNECT_TIMEOUT = 10.0
STARTUP_TIMEOUT = 15.0
POLL_SECONDS = 0.1  # how often a held statement's approval request is read
_T = TypeVar("_T")


def _answer(call: Callable[[], _T]) -> _T | Exception:
    """Run a state call on the state thread; an exception is an answer too (fail closed)."""
    try:
        return call()
    except LoginRefused as refused:
        return refused
    except Exception as exc:
        log.exception("Interlock's state failed under the PostgreSQL proxy")
        return exc


def _write(write: Callable[[], None]) -> None:
    try:
        write()
    except Exception:
        log.exception("Interlock could not write a record of the PostgreSQL proxy")


class _Upstream(asyncio.Protocol):
    def __init__(self, link: _Link) -> None:
        self.link = link

    def data_received(self, data: bytes) -> None:
        self.link.feed(self.link.session.server_data, data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.link.upgrading_server:
            return  # a failed TLS handshake: `_start_server_tls` tells the session why
        self.link.server_transport = None
        self.link.run(self.link.session.server_closed())

    def pause_writing(self) -> None:
        if self.link.client_transport is not None:
            self.link.client_transport.pause_reading()

    def resume_writing(self) -> None:
        if self.link.client_transport is not None:
            self.link.client_transport.resume_reading()


class _Link(asyncio.Protocol):
    """One client connection and its upstream connection."""

    def __init__(self, server: ProxyServer) -> None:
        self.server = server
        self.session = Session(
            server.logins,
            tls_available=server.ssl_context is not None,
            allow_cleartext=server.allow_cleartext,
        )
        self.client_transport: asyncio.Transport | None = None
        self.server_transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        self.upgrading_server = False
        self._wait_task: asyncio.Task[None] | None = None
        self._polling = False  # an approval poll is running on the state thread
        self._cancel_after_poll = False
        self._early: list[bytes] | None = None  # set while the client's TLS starts

    # client side

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.client_transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses
        self.server.links.add(self)
        self._timer = asyncio.get_running_loop().call_later(STARTUP_TIMEOUT, self._startup_timeout)

    def data_received(self, data: bytes) -> None:
        if self._early is not None:
            # Decrypted bytes that arrive between the end of the TLS handshake and the
            # return of start_tls: the session's answers must go out on the TLS transport.
            self._early.append(data)
            return
        self.feed(self.session.client_data, data)

    def feed(self, event: Callable[[bytes], list[Command]], data: bytes) -> None:
        try:
            commands = event(data)
        except Exception:  # a bug must end the connection, never let bytes through
            log.exception("internal error in the PostgreSQL proxy session")
            self.run(self.session.upstream_failed("internal error in Interlock (see its log)"))
            self._close()
            return
        self.run(commands)

    def connection_lost(self, exc: Exception | None) -> None:
        self.client_transport = None
        self.run(self.session.client_closed())

    def pause_writing(self) -> None:
        if self.server_transport is not None:
            self.server_transport.pause_reading()

    def resume_writing(self) -> None:
        if self.server_transport is not None:
            self.server_transport.resume_reading()

    def _startup_timeout(self) -> None:
        if self.session.phase is not Phase.READY and not self._closed:
            self.run(self.session.upstream_failed("the login did not complete in time"))

    # commands

    def run(self, commands: list[Command]) -> None:
        for command in commands:
            if type(command) is SendServer:
                if self.server_transport is not None:
                    self.server_transport.write(command.data)
            elif type(command) is SendClient:
                if self.client_transport is not None:
                    self.client_transport.write(command.data)
            elif isinstance(command, Decide):
                executor = self.server.workers if command.blocking else self.server.state
                self._off_loop(command.finish, self.session.decided, executor)
            elif isinstance(command, Record):
                self.server.state.submit(_write, command.write)
            elif isinstance(command, Authenticate):
                self._off_loop(command.login, self.session.logged_in)
            elif isinstance(command, Close):
                self._close()
            elif isinstance(command, ConnectUpstream):
                self._spawn(self._connect(command.host, command.port))
            elif isinstance(command, StartClientTLS):
                if self.client_transport is not None:
                    # the ClientHello must not reach the session before start_tls takes over
                    self.client_transport.pause_reading()
                self._spawn(self._start_tls())
            elif isinstance(command, StartServerTLS):
                self._spawn(self._start_server_tls(command))
            elif isinstance(command, ForwardCancel):
                self._spawn(self.server.cancel(command.process_id, command.secret_key))
            elif isinstance(command, AwaitApproval):
                self._wait_task = self._spawn(self._await_approval(command))

    def _off_loop(
        self,
        call: Callable[[], _T],
        then: Callable[[_T | Exception], list[Command]],
        executor: ThreadPoolExecutor | None = None,
    ) -> None:
        """Run `call` on the state thread (submitted now, so in order) or `executor`, then
        feed its answer to the session event `then` on the loop."""
        pool = executor if executor is not None else self.server.state
        future = asyncio.get_running_loop().run_in_executor(pool, _answer, call)
        future.add_done_callback(lambda done: self.feed_event(partial(then, done.result())))

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _connect(self, host: str, port: int) -> None:
        loop = asyncio.get_running_loop()
        try:
            transport, _ = await asyncio.wait_for(
                loop.create_connection(lambda: _Upstream(self), host, port), CONNECT_TIMEOUT
            )
        except (OSError, TimeoutError) as exc:
            self.run(self.session.upstream_failed(str(exc) or type(exc).__name__))
            return
        if self._closed:
            transport.close()
            return
        self.server_transport = transport
        self.run(self.session.upstream_connected())

    async def _await_approval(self, command: AwaitApproval) -> None:
        """Poll the session's approval request until it is settled (same semantics as the
        HTTP proxy's `Prefer: wait`); a cancel or a disconnect ends the wait elsewhere."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + command.seconds
        session, wait_id = self.session, command.wait_id
        while session.awaiting_approval == wait_id and not self._closed:
            left = deadline - loop.time()
            await asyncio.sleep(max(0.0, min(POLL_SECONDS, left)))
            if session.awaiting_approval != wait_id or self._closed:
                return
            poll = partial(command.poll, loop.time() >= deadline)
            self._polling = True
            try:
                answer = await loop.run_in_executor(self.server.state, _answer, poll)
            finally:
                self._polling = False
            self.feed_event(partial(session.approval_polled, wait_id, answer))
            if self._cancel_after_poll:
                # A cancel came while the poll ran: it ends the wait if the poll did not.
                self._cancel_after_poll = False
                await self.cancel()

    async def cancel(self) -> None:
        """A CancelRequest for this session: end its wait for approval, if it waits (once a
        poll under way has answered), else cancel what runs on its server."""
        session = self.session
        if session.awaiting_approval:
            if self._polling:
                self._cancel_after_poll = True
            else:
                self.feed_event(session.cancel_wait)  # nothing runs upstream: end the wait
            return
        upstream, key = session.upstream, session.upstream_key
        if upstream is None or key is None:
            return
        try:
            _, writer = await asyncio.wait_for(
                asyncio.open_connection(upstream.host, upstream.port), CONNECT_TIMEOUT
            )
        except (OSError, TimeoutError):
            return
        writer.write(m.cancel_request(*key))
        with contextlib.suppress(OSError):
            await writer.drain()
        writer.close()

    def feed_event(self, event: Callable[[], list[Command]]) -> None:
        """Run a session event that takes no data, with the same failure handling as `feed`."""
        self.feed(lambda _: event(), b"")

    async def _start_server_tls(self, command: StartServerTLS) -> None:
        loop = asyncio.get_running_loop()
        transport = self.server_transport
        if transport is None or self._closed:
            return
        self.upgrading_server = True
        try:
            upgraded = await asyncio.wait_for(
                loop.start_tls(
                    transport,
                    transport.get_protocol(),
                    command.context,
                    server_hostname=command.server_hostname,
                ),
                CONNECT_TIMEOUT,
            )
        except (OSError, ssl.SSLError, ConnectionError, TimeoutError) as exc:
            # the session's refusal first: closing the transport reports "server closed"
            self.run(self.session.upstream_failed(f"TLS with the server failed: {exc}"))
            transport.close()
            return
        finally:
            self.upgrading_server = False
        if self._closed:
            upgraded.close()
            return
        self.server_transport = cast(asyncio.Transport, upgraded)
        self.run(self.session.upstream_tls_started())

    async def _start_tls(self) -> None:
        loop = asyncio.get_running_loop()
        transport = self.client_transport
        if transport is None or self.server.ssl_context is None:
            return
        self._early = []
        try:
            upgraded = await loop.start_tls(
                transport, self, self.server.ssl_context, server_side=True
            )
        except (OSError, ssl.SSLError, ConnectionError) as exc:
            log.info("TLS handshake failed: %s", exc)
            self._early = None
            self.run(self.session.client_closed())
            transport.close()
            return
        self.client_transport = cast(asyncio.Transport, upgraded)
        early, self._early = self._early, None
        self.run(self.session.client_tls_started())
        for data in early:
            self.feed(self.session.client_data, data)

    def _close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
        if self._wait_task is not None and self._wait_task is not asyncio.current_task():
            self._wait_task.cancel()
        self.server.links.discard(self)
        for transport in (self.client_transport, self.server_transport):
            if transport is not None:
                transport.close()

    def abort(self) -> None:
        self.run(self.session.upstream_failed("the proxy is shutting down"))
        self._close()


class ProxyServer:
    """Listens on a loopback port and runs one `_Link` per client connection."""

    def __init__(
        self,
        open_logins: Callable[[], LoginService],
        *,
        host: str = "127.0.0.1",
        port: int = 6432,
        ssl_context: ssl.SSLContext | None = None,
        allow_cleartext: bool = False,
    ) -> None:
        self._open_logins = open_logins
        self.logins: LoginService  # opened by `start`, on the state thread
        self.state = ThreadPoolExecutor(max_workers=1, thread_name_prefix="interlock-pg-state")
        # Snapshots into the vault: seconds of pg_dump each, never on the state thread.
        self.workers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="interlock-pg-vault")
        self.host = host
        self.port = port
        self.ssl_context = ssl_context
        self.allow_cleartext = allow_cleartext
        self.links: set[_Link] = set()
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        """Open Interlock's state on the state thread (its SQLite handles live there), then
        listen."""
        loop = asyncio.get_running_loop()
        self.logins = await loop.run_in_executor(self.state, self._open_logins)
        self._server = await loop.create_server(lambda: _Link(self), self.host, self.port)
        sockets = self._server.sockets
        if sockets:
            self.port = sockets[0].getsockname()[1]

    async def serve_forever(self) -> None:
        if self._server is None:
            await self.start()
        assert self._server is not None
        await self._server.serve_forever()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for link in list(self.links):
            link.abort()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2.0)
        # the records the sessions asked for are written before the state thread ends
        await asyncio.get_running_loop().run_in_executor(self.state, _nothing)
        self.state.shutdown(wait=False)
        self.workers.shutdown(wait=False)

    async def cancel(self, process_id: int, secret_key: int) -> None:
        """Forward a cancel request to the session that owns this key (forged keys: none)."""
        for link in list(self.links):
            if link.session.client_key == (process_id, secret_key):
                await link.cancel()
                return


def _nothing() -> None:
    """A call that returns once every call submitted before it to the state thread has."""
