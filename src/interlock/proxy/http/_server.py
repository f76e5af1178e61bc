"""The asyncio shell: aiohttp's server and client around the sans-I/O exchange.

Why aiohttp: its HTTP/1.1 parser is C (llhttp), its server does keep-alive and its client
pools upstream connections, verifies TLS and streams bodies, all under Apache-2.0. See
docs/proxy-http.md for the measurements that chose it.

`_exchange.Exchange` decides what happens to a request; this module only carries out its
commands: read the body, ask the enforcer, wait (timers), send upstream, stream the answer
back, write the reply. A command list that contains `Detach` hands the rest of the exchange
to a background task after the agent's reply (a 202) has gone; from there nothing touches
the aiohttp request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import ssl
import threading
import time
import zlib
from collections import deque
from collections.abc import Coroutine, Mapping
from typing import Any

import aiohttp
from aiohttp import web
from yarl import URL

from interlock.enforce import ApprovalWaiter, Verdict
from interlock.home import Home
from interlock.identity import AgentTokenRefused
from interlock.model import Outcome
from interlock.proxy.http import _commands as do
from interlock.proxy.http._config import ProxyConfig
from interlock.proxy.http._encodings import UnscannableEncoding, decoder_for
from interlock.proxy.http._enforce import Enforcer
from interlock.proxy.http._exchange import HOOK_TEXT_LIMIT, Exchange, RequestHead, Site
from interlock.proxy.http._export import PG_PREFIX, ExportFailed
from interlock.proxy.http._headers import CredentialScrubber, downstream_headers
from interlock.proxy.http._replies import Reply
from interlock.proxy.http._routes import Route

log = logging.getLogger("interlock.proxy.http")
OUTCOME_FLUSH_SECONDS = 0.2
_CHUNK = 64 * 1024


METRICS_PATH = "/metrics"


class HttpProxy:
    """The reverse proxy on one loopback port. `start()` inside a running loop."""

    def __init__(self, home: Home, config: ProxyConfig) -> None:
        self.home = home
        self.config = config
        self.port = config.port
        self.enforcer: Enforcer | None = None
        self._site = Site((), {}, config.max_body, config.max_wait)
        self._waiter: ApprovalWaiter | None = None
        self._session: aiohttp.ClientSession | None = None
        self._server: web.Server | None = None
        self._listener: asyncio.AbstractServer | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self._ssl: dict[str, ssl.SSLContext] = {}

    async def start(self) -> None:
        # Built here, in the loop's thread: SQLite connections stay in the thread using them.
        self.enforcer = Enforcer.for_home(self.home, self.config)
        self._site = Site(
            tuple(self.enforcer.routes.values()),
            self.enforcer.resources,
            self.config.max_body,
            self.config.max_wait,
        )
        self._waiter = ApprovalWaiter(self.enforcer.point)
        for name, spec in self.config.routes.items():
            if spec.ca_file:
                self._ssl[name] = ssl.create_default_context(cafile=spec.ca_file)
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=256, ttl_dns_cache=300),
            timeout=aiohttp.ClientTimeout(
                total=None,
                connect=self.config.connect_timeout,
                sock_read=self.config.timeout,
            ),
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        self._server = web.Server(self._handle, access_log=None)
        loop = asyncio.get_running_loop()
        self._listener = await loop.create_server(
            self._server, self.config.host, self.config.port, reuse_address=True
        )
        self.port = self._listener.sockets[0].getsockname()[1]
        self._spawn(self._flush_outcomes())

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        task.add_done_callback(_report_failure)

    async def _flush_outcomes(self) -> None:
        """Outcome records ride on the next decision's transaction; when traffic stops,
        write them within a fraction of a second anyway."""
        while True:
            await asyncio.sleep(OUTCOME_FLUSH_SECONDS)
            if self.enforcer is not None:
                self.enforcer.flush()

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
            await self._listener.wait_closed()
        if self._server is not None:
            await self._server.shutdown(1.0)
        for task in list(self._background):
            task.cancel()
        if self._session is not None:
            await self._session.close()
        if self.enforcer is not None:
            self.enforcer.close()

    @property
    def routes(self) -> list[Route]:
        return list(self._site.routes)

    # -- one request

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        if request.path == METRICS_PATH and self._serves_metrics():
            return self._metrics(request)
        head = RequestHead(
            request.method,
            request.raw_path,
            tuple(request.headers.items()),
            request.content_length,
        )
        exchange = Exchange(head, self._site)
        response = await self._drive(exchange, exchange.start(), request)
        assert response is not None, "the exchange ended without answering the agent"
        return response

    def _serves_metrics(self) -> bool:
        """`/metrics` is Interlock's unless a route was given that prefix."""
        return all(route.prefix != METRICS_PATH for route in self._site.routes)

    def _metrics(self, request: web.BaseRequest) -> web.Response:
        """Prometheus' scrape: counts only (no payload, no credential), no token needed."""
        if request.method not in ("GET", "HEAD") or self.enforcer is None:
            return web.Response(status=405, headers={"Allow": "GET"})
        return web.Response(
            text=self.enforcer.point.metrics.render(),
            headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
        )

    async def _drive(
        self, exchange: Exchange, commands: list[do.Command], request: web.BaseRequest | None
    ) -> web.StreamResponse | None:
        """Carry out the exchange's commands, feeding each answer back, until it is done.
        `request` is None once detached (the agent has its reply)."""
        enforcer, waiter = self.enforcer, self._waiter
        assert enforcer is not None and waiter is not None
        point = enforcer.point
        queue = deque(commands)
        response: web.StreamResponse | None = None
        while queue:
            command = queue.popleft()
            if isinstance(command, do.Authenticate):
                try:
                    agent = enforcer.authenticate(command.token)
                except AgentTokenRefused as refused:
                    queue.extend(exchange.unauthorized(str(refused)))
                else:
                    queue.extend(exchange.authenticated(agent))
            elif isinstance(command, do.ReadBody):
                assert request is not None
                body = await _read_body(request, command.limit)
                queue.extend(
                    exchange.body_too_large() if body is None else exchange.body_received(body)
                )
            elif isinstance(command, do.Decide):
                verdict = await enforcer.decide(
                    command.request, command.route, command.classified, command.decision
                )
                queue.extend(exchange.decided(verdict))
            elif isinstance(command, do.Forward):
                if command.stream:
                    assert request is not None
                    response, events = await self._stream(exchange, command.request, request)
                    queue.extend(events)
                else:
                    queue.extend(await self._send_and_drop(exchange, command.request))
            elif isinstance(command, do.Settle):
                point.settle_later(command.verdict, command.outcome, **command.detail)
            elif isinstance(command, do.Respond):
                response = _reply(command.reply, close=command.close)
            elif isinstance(command, do.Detach):
                self._spawn(self._drive(exchange, list(queue), None))
                queue.clear()
            elif isinstance(command, do.Resolve):
                resolved = point.resolve(command.verdict, delay=command.delay)
                queue.extend(exchange.resolved(resolved))
            elif isinstance(command, do.AwaitApproval):
                settled = await waiter.wait(command.verdict, command.seconds, delay=command.delay)
                queue.extend(exchange.approval_settled(settled))
            elif isinstance(command, do.Schedule):
                queue.extend(exchange.scheduled(point.schedule(command.verdict, command.delay)))
            elif isinstance(command, do.AwaitWindow):
                verdict = command.verdict
                if not await waiter.window(verdict, command.delay):
                    verdict = _cancelled(enforcer, verdict)
                queue.extend(exchange.window_over(verdict))
            elif isinstance(command, do.CallHook):
                if command.hook is not None and command.hook.export:
                    queue.extend(exchange.hook_answered(*await self._export(command)))
                else:
                    status, text = await self._call_hook(command.request)
                    queue.extend(exchange.hook_answered(status, text))
            elif isinstance(command, do.Record):
                point.event(command.type, dict(command.body))
            elif isinstance(command, do.CutConnection):
                _cut(request)
        return response

    # -- talking to the upstream

    def _send(self, upstream: do.UpstreamRequest) -> Any:
        assert self._session is not None
        route = upstream.route
        return self._session.request(
            upstream.method,
            # Already normalised (`_routes.normalise_target`): sent exactly as it is, never
            # requoted or re-resolved by the client.
            URL(route.upstream_url(upstream.target), encoded=True),
            headers=list(upstream.headers),
            data=upstream.body if upstream.body else None,
            allow_redirects=False,
            skip_auto_headers=("Accept-Encoding", "User-Agent", "Content-Type", "Accept"),
            ssl=self._ssl.get(route.name, True),
        )

    async def _call_hook(self, hook: do.UpstreamRequest) -> tuple[int, str]:
        try:
            async with self._send(hook) as answer:
                raw = await answer.read()
                decoder = decoder_for(
                    answer.headers.get("Content-Encoding"),
                    answer.headers.get("Transfer-Encoding"),
                )
                if decoder is not None:
                    raw = decoder.feed(raw[:HOOK_TEXT_LIMIT]) + decoder.flush()
                text = raw[:HOOK_TEXT_LIMIT].decode("utf-8", "replace")
                return answer.status, text
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return 0, type(exc).__name__
        except (UnscannableEncoding, zlib.error):
            return 0, "an answer in an encoding the proxy cannot read"

    async def _export(self, command: do.CallHook) -> tuple[int, str, str]:
        """A before hook whose copy goes to Interlock's vault (`_export`): (status, text,
        snapshot id); the id is "" when the copy could not be taken."""
        assert command.hook is not None and self.enforcer is not None
        exports = self.enforcer.exports
        if exports is None:
            return 0, "no vault is open for this proxy", ""
        hook, route = command.hook, command.request.route
        labels = {
            "route": route.name,
            "operation": hook.operation,
            "target": command.target,
            "decision_seq": command.seq,
            "export": hook.export,
        }
        try:
            if hook.export.startswith(PG_PREFIX):
                return 200, "", await exports.dump(hook, labels)
            async with self._send(command.request) as answer:
                if not 200 <= answer.status < 300:
                    text = (await answer.content.read(HOOK_TEXT_LIMIT)).decode("utf-8", "replace")
                    return answer.status, text, ""
                labels["path"] = command.request.target
                chunks = answer.content.iter_chunked(1 << 20)
                return answer.status, "", await exports.store(hook, route.resource, labels, chunks)
        except ExportFailed as exc:
            return 0, str(exc), ""
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return 0, type(exc).__name__, ""
        except Exception as exc:  # the vault refused (a limit, a key): no copy, no action
            return 0, f"the vault refused the copy ({type(exc).__name__}: {exc})", ""

    async def _send_and_drop(
        self, exchange: Exchange, upstream: do.UpstreamRequest
    ) -> list[do.Command]:
        """Forward a request whose agent is gone (it had a 202): read the answer, keep none."""
        started = time.perf_counter()
        try:
            async with self._send(upstream) as answer:
                size = len(await answer.read())
                status = answer.status
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            timed_out = isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError)
            return exchange.upstream_failed(timed_out, type(exc).__name__, responded=False)
        return exchange.forwarded(status, size, _ms_since(started))

    async def _stream(
        self, exchange: Exchange, upstream: do.UpstreamRequest, request: web.BaseRequest
    ) -> tuple[web.StreamResponse | None, list[do.Command]]:
        """Forward and stream the upstream's answer to the agent, the credential masked."""
        route = upstream.route
        started = time.perf_counter()
        response: web.StreamResponse | None = None
        size = 0
        try:
            async with self._send(upstream) as answer:
                try:
                    decoder = decoder_for(
                        answer.headers.get("Content-Encoding"),
                        answer.headers.get("Transfer-Encoding"),
                    )
                except UnscannableEncoding as coding:
                    return None, exchange.upstream_unscannable(str(coding))
                response = web.StreamResponse(status=answer.status, reason=answer.reason)
                raw = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in answer.raw_headers]
                decoded = decoder is not None
                for name, value in downstream_headers(raw, route.credential, decoded=decoded):
                    response.headers.add(name, value)
                length = answer.headers.get("Content-Length")
                if (
                    length is not None
                    and length.isdigit()
                    and upstream.method != "HEAD"
                    and not decoded
                ):
                    response.content_length = int(length)
                await response.prepare(request)
                scrubber = CredentialScrubber(route.credential)
                async for chunk in answer.content.iter_any():
                    size += len(chunk)
                    plain = decoder.feed(chunk) if decoder is not None else chunk
                    if plain:
                        await response.write(scrubber.feed(plain))
                tail = scrubber.feed(decoder.flush()) if decoder is not None else b""
                tail += scrubber.flush()
                if tail:
                    await response.write(tail)
                await response.write_eof()
                status = answer.status
        except (aiohttp.ClientError, TimeoutError, OSError, zlib.error) as exc:
            # a body that stops decoding midway is cut like one that stops arriving
            timed_out = isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError)
            responded = response is not None and response.prepared
            events = exchange.upstream_failed(timed_out, type(exc).__name__, responded)
            return (response if responded else None), events
        return response, exchange.forwarded(status, size, _ms_since(started))


async def _read_body(request: web.BaseRequest, limit: int) -> bytes | None:
    """The whole body up to `limit`, or None when it is larger (nothing is forwarded)."""
    if not request.body_exists:
        return b""
    chunks = []
    size = 0
    while True:
        chunk = await request.content.read(_CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _report_failure(task: asyncio.Task[Any]) -> None:
    """A background exchange (an action run after its 202) that failed: say so in the log
    (its decision is recorded; its outcome could not be)."""
    if not task.cancelled() and task.exception() is not None:
        log.error("a scheduled request failed: %s", task.exception())


def _cancelled(enforcer: Enforcer, verdict: Verdict) -> Verdict:
    """A cancel window that ended without the action: who stopped it, recorded. The
    pipeline's `poll` says so for a request no longer held (cancelled: a DENY naming the
    human; anything else: lapsed)."""
    return enforcer.point.poll(verdict.but(outcome=Outcome.HOLD), final=True) or verdict


def _cut(request: web.BaseRequest | None) -> None:
    """Close the agent's connection (headers went out; the body cannot be completed)."""
    transport = request.transport if request is not None else None
    if transport is not None:
        transport.close()


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _reply(reply: Reply, *, close: bool = False) -> web.Response:
    response = web.Response(
        status=reply.status, body=reply.encode(), content_type="application/json"
    )
    for name, value in reply.headers:
        response.headers[name] = value
    if close:
        response.force_close()
    return response


class ProxyThread:
    """The proxy on its own event loop in a daemon thread: for the demo, tests and
    benchmarks, which drive it with ordinary blocking clients."""

    def __init__(self, home: Home, config: ProxyConfig) -> None:
        self.proxy = HttpProxy(home, config)
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="interlock-proxy", daemon=True)

    @property
    def port(self) -> int:
        return self.proxy.port

    @property
    def url(self) -> str:
        return f"http://{self.proxy.config.host}:{self.proxy.port}"

    def start(self) -> ProxyThread:
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self.proxy.start())
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self.proxy.close())
        self._loop.close()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def __enter__(self) -> ProxyThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(home: Home, config: ProxyConfig, *, ready: Mapping[str, Any] | None = None) -> None:
    """Run the proxy until Ctrl-C or SIGTERM (what `interlock proxy http` calls); either way
    it closes cleanly: the listener stops, deferred outcome records are written."""

    async def main() -> None:
        proxy = HttpProxy(home, config)
        try:
            await proxy.start()
        except BaseException:
            # A busy port fails here, after the client session opened: close it, or
            # aiohttp reports an "Unclosed client session" on top of the one real error.
            with contextlib.suppress(Exception):
                await proxy.close()
            raise
        stop = asyncio.Event()
        # Without this, SIGTERM (systemd, `interlock up`, a container runtime) would end the
        # process at once and lose the outcome records still waiting for their flush.
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        if ready is not None and callable(ready.get("callback")):
            ready["callback"](proxy)
        try:
            await stop.wait()
        finally:
            with contextlib.suppress(Exception):
                await proxy.close()

    try:  # uvloop (MIT/Apache-2.0) when installed: a faster event loop, same behaviour
        import uvloop

        runner: Any = uvloop.run
    except ImportError:
        runner = asyncio.run
    with contextlib.suppress(KeyboardInterrupt):
        runner(main())
