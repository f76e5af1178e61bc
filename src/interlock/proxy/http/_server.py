"""The asyncio shell: aiohttp's server and client around the sans-I/O exchange.

Why aiohttp: its HTTP/1.1 parser is C (llhttp), its server does keep-alive and its client
pools upstream connections, verifies TLS and streams bodies, all under Apache-2.0. See
docs/proxy-http.md for the measurements that chose it.

One request, in order:

    route → agent token (401) → body, bounded (413) → classify + gate + audit record
      deny  → 403 with the reason
      hold  → an approved request for this exact action? claim it and go on;
              otherwise open one, wait up to `Prefer: wait=N` for a human, then go on,
              or 403 naming the request
      allow → delay (cancel window)? → before hooks (snapshot)? → forward, stream back
    → outcome record (after the response has gone: never on the agent's latency path)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import ssl
import threading
import time
from collections.abc import Mapping
from typing import Any

import aiohttp
from aiohttp import web

from interlock.approvals import Status
from interlock.home import Home
from interlock.identity import AgentTokenRefused
from interlock.model import Outcome
from interlock.proxy.http._config import ProxyConfig
from interlock.proxy.http._enforce import Enforcer, Verdict
from interlock.proxy.http._exchange import (
    CredentialScrubber,
    Reply,
    Route,
    agent_token,
    denied_by_human_reply,
    deny_reply,
    downstream_headers,
    hold_reply,
    match_route,
    no_route_reply,
    prefer_wait,
    safeguard_failed_reply,
    scheduled_reply,
    too_large_reply,
    unauthorized_reply,
    upstream_failed_reply,
    upstream_headers,
)

log = logging.getLogger("interlock.proxy.http")
POLL_SECONDS = 0.1
OUTCOME_FLUSH_SECONDS = 0.2
_CHUNK = 64 * 1024


class HttpProxy:
    """The reverse proxy on one loopback port. `start()` inside a running loop."""

    def __init__(self, home: Home, config: ProxyConfig) -> None:
        self.home = home
        self.config = config
        self.port = config.port
        self.enforcer: Enforcer | None = None
        self._session: aiohttp.ClientSession | None = None
        self._server: web.Server | None = None
        self._listener: asyncio.AbstractServer | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._ssl: dict[str, ssl.SSLContext] = {}

    async def start(self) -> None:
        # Built here, in the loop's thread: SQLite connections stay in the thread using them.
        self.enforcer = Enforcer.for_home(self.home, self.config)
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
        flusher = asyncio.create_task(self._flush_outcomes())
        self._background.add(flusher)
        flusher.add_done_callback(self._background.discard)

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
        assert self.enforcer is not None
        return list(self.enforcer.routes.values())

    # -- one request

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        enforcer = self.enforcer
        assert enforcer is not None
        found = match_route(enforcer.routes.values(), request.raw_path)
        if found is None:
            return _reply(no_route_reply(request.raw_path, (r.prefix for r in self.routes)))
        route, rest = found
        try:
            agent = enforcer.authenticate(agent_token(request.headers))
        except AgentTokenRefused as refused:
            return _reply(unauthorized_reply(str(refused)), close=True)
        headers = {k.lower(): v for k, v in request.headers.items()}
        method = request.method
        body = await self._read_body(request)
        if body is None:
            verdict = await enforcer.refuse_oversized(
                agent, route, method, rest, request.content_length, self.config.max_body
            )
            enforcer.outcome(verdict.seq, "refused", status=413)
            return _reply(too_large_reply(self.config.max_body), close=True)
        verdict = await enforcer.decide(agent, route, method, rest, headers, body)
        wait = prefer_wait(headers)
        wait = min(route.wait if wait is None else wait, self.config.max_wait)

        if verdict.outcome is Outcome.DENY:
            enforcer.outcome(verdict.seq, "refused", status=403)
            return _reply(deny_reply(verdict.decision, verdict.seq))

        if verdict.outcome is Outcome.HOLD:
            approval = enforcer.approved_for(verdict)
            if approval is None:
                approval = enforcer.open_request(verdict)
                status = approval.status
                if status is Status.PENDING and wait > 0:
                    status = await self._wait_for(approval.id, wait)
                if status is not Status.APPROVED:
                    return self._not_approved(verdict, approval.id, status, wait)
            delay = verdict.delay()
            claimed = enforcer.approvals.claim(approval.id, verdict.fingerprint, delay=delay)
            if claimed is None:  # decided, claimed or expired between two reads
                return self._not_approved(verdict, approval.id, Status.EXPIRED, 0)
            enforcer.outcome(verdict.seq, "approved", approval_request=approval.id)
            if delay > 0:
                return await self._delayed(request, verdict, approval.id, delay, wait, body)
            return await self._forward(request, verdict, rest, body)

        delay = verdict.delay()
        if delay > 0:
            scheduled = enforcer.schedule(verdict, delay)
            return await self._delayed(request, verdict, scheduled.id, delay, wait, body)
        return await self._forward(request, verdict, rest, body)

    async def _read_body(self, request: web.BaseRequest) -> bytes | None:
        """The whole body up to the cap, or None when it is larger (nothing is forwarded)."""
        limit = self.config.max_body
        length = request.content_length
        if length is not None and length > limit:
            return None
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

    async def _wait_for(self, request_id: str, seconds: float) -> Status:
        assert self.enforcer is not None
        deadline = time.monotonic() + seconds
        status = self.enforcer.approvals.status(request_id)
        while status is Status.PENDING and time.monotonic() < deadline:
            await asyncio.sleep(POLL_SECONDS)
            status = self.enforcer.approvals.status(request_id)
        return status

    def _not_approved(
        self, verdict: Verdict, request_id: str, status: Status, waited: float
    ) -> web.StreamResponse:
        assert self.enforcer is not None
        if status in (Status.DENIED, Status.CANCELLED):
            request = self.enforcer.approvals.get(request_id)
            last = request.votes[-1] if request.votes else None
            self.enforcer.outcome(
                verdict.seq, status.value, approval_request=request_id, status=403
            )
            return _reply(
                denied_by_human_reply(
                    verdict.decision,
                    request_id,
                    last.human if last else "a human",
                    last.comment if last else "",
                    status.value,
                )
            )
        self.enforcer.outcome(verdict.seq, "held", approval_request=request_id, status=403)
        return _reply(hold_reply(verdict.decision, request_id, verdict.seq, waited))

    async def _delayed(
        self,
        request: web.BaseRequest,
        verdict: Verdict,
        request_id: str,
        delay: float,
        wait: float,
        body: bytes,
    ) -> web.StreamResponse:
        """Run after the cancel window: inline when the agent waits that long, else in the
        background with a 202 now."""
        assert self.enforcer is not None
        rest = request.raw_path[len(verdict.route.prefix) :] or "/"
        if wait >= delay:
            if not await self._window(request_id, delay):
                return self._not_approved(verdict, request_id, Status.CANCELLED, 0)
            return await self._forward(request, verdict, rest, body)
        task = asyncio.create_task(
            self._run_later(verdict, request_id, delay, request.method, rest, request, body)
        )
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        self.enforcer.outcome(verdict.seq, "scheduled", approval_request=request_id, status=202)
        return _reply(scheduled_reply(verdict.decision, request_id, delay))

    async def _window(self, request_id: str, delay: float) -> bool:
        """Wait out the cancel window; True when the action may now run (marked used)."""
        assert self.enforcer is not None
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline:
            await asyncio.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))
            if self.enforcer.approvals.status(request_id) is not Status.SCHEDULED:
                return False
        return self.enforcer.approvals.start(request_id)

    async def _run_later(
        self,
        verdict: Verdict,
        request_id: str,
        delay: float,
        method: str,
        rest: str,
        request: web.BaseRequest,
        body: bytes,
    ) -> None:
        assert self.enforcer is not None
        if not await self._window(request_id, delay):
            self.enforcer.outcome(verdict.seq, "cancelled", approval_request=request_id)
            return
        headers = upstream_headers(list(request.headers.items()), verdict.route)
        failure = await self._before_hooks(verdict)
        if failure is not None:
            self.enforcer.outcome(verdict.seq, "safeguard_failed", detail=failure)
            return
        started = time.perf_counter()
        try:
            async with self._send(verdict.route, method, rest, headers, body) as upstream:
                size = len(await upstream.read())
                self.enforcer.outcome(
                    verdict.seq,
                    "forwarded",
                    status=upstream.status,
                    bytes=size,
                    ms=round((time.perf_counter() - started) * 1000, 2),
                    approval_request=request_id,
                )
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.enforcer.outcome(verdict.seq, "upstream_failed", error=type(exc).__name__)

    # -- talking to the upstream

    def _send(
        self, route: Route, method: str, rest: str, headers: list[tuple[str, str]], body: bytes
    ) -> Any:
        assert self._session is not None
        return self._session.request(
            method,
            route.upstream_url(rest),
            headers=headers,
            data=body if body else None,
            allow_redirects=False,
            skip_auto_headers=("Accept-Encoding", "User-Agent", "Content-Type", "Accept"),
            ssl=self._ssl.get(route.name, True),
        )

    async def _before_hooks(self, verdict: Verdict) -> str | None:
        """Run the route's before hooks (the snapshot first); the first failure, or None."""
        assert self.enforcer is not None
        route = verdict.route
        for hook, target in verdict.hooks:
            headers = upstream_headers([("Content-Type", hook.content_type)], route)
            payload = hook.body.replace("{target}", target).encode()
            try:
                async with self._send(route, hook.method, hook.path, headers, payload) as up:
                    text = (await up.read())[:65536].decode("utf-8", "replace")
                    ok = up.status < 300 and not _graphql_errors(text)
                    status = up.status
            except (aiohttp.ClientError, TimeoutError) as exc:
                ok, status, text = False, 0, type(exc).__name__
            self.enforcer.event(
                "safeguard",
                {
                    "decision_seq": verdict.seq,
                    "safeguard": "snapshot",
                    "operation": hook.operation,
                    "target": target,
                    "ok": ok,
                    "status": status,
                },
            )
            if not ok:
                return f"{hook.operation} snapshot of {target or 'the target'}: status {status}"
        return None

    async def _forward(
        self, request: web.BaseRequest, verdict: Verdict, rest: str, body: bytes
    ) -> web.StreamResponse:
        assert self.enforcer is not None
        enforcer = self.enforcer
        route = verdict.route
        failure = await self._before_hooks(verdict) if verdict.hooks else None
        if failure is not None:
            enforcer.outcome(verdict.seq, "safeguard_failed", detail=failure, status=409)
            return _reply(safeguard_failed_reply(failure, verdict.seq))
        headers = upstream_headers(list(request.headers.items()), route)
        started = time.perf_counter()
        response: web.StreamResponse | None = None
        size = 0
        try:
            async with self._send(route, request.method, rest, headers, body) as upstream:
                response = web.StreamResponse(status=upstream.status, reason=upstream.reason)
                raw = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in upstream.raw_headers]
                for name, value in downstream_headers(raw, route.credential):
                    response.headers.add(name, value)
                length = upstream.headers.get("Content-Length")
                if length is not None and length.isdigit() and request.method != "HEAD":
                    response.content_length = int(length)
                await response.prepare(request)
                scrubber = CredentialScrubber(route.credential)
                async for chunk in upstream.content.iter_any():
                    size += len(chunk)
                    await response.write(scrubber.feed(chunk))
                tail = scrubber.flush()
                if tail:
                    await response.write(tail)
                await response.write_eof()
                status = upstream.status
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            timed_out = isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError)
            why = (
                "did not answer in time" if timed_out else "is unreachable or closed the connection"
            )
            enforcer.outcome(
                verdict.seq,
                "upstream_timeout" if timed_out else "upstream_unreachable",
                error=type(exc).__name__,
                upstream=route.upstream,
            )
            if response is not None and response.prepared:
                # Headers already went out: all that is left is to cut the connection.
                if request.transport is not None:
                    request.transport.close()
                return response
            status = 504 if timed_out else 502
            return _reply(upstream_failed_reply(status, route.resource, why, verdict.seq))
        enforcer.outcome(
            verdict.seq,
            "forwarded",
            status=status,
            bytes=size,
            ms=round((time.perf_counter() - started) * 1000, 2),
        )
        return response


def _graphql_errors(text: str) -> bool:
    try:
        value = json.loads(text)
    except ValueError:
        return False
    return isinstance(value, dict) and bool(value.get("errors"))


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
        await proxy.start()
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
