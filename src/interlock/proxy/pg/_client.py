"""A minimal PostgreSQL client on the proxy's own protocol code, for the CLI.

`interlock undo` and `interlock trash` talk to the resource's server directly with its
sealed credential (never through the proxy, never as an agent) and run the same plan
generators the session runs. Simple query protocol only; TLS as the proxy does it
(`tls`: from the upstream URL's sslmode, see `_tls`).
"""

from __future__ import annotations

import asyncio

from interlock.proxy.pg import _messages as m
from interlock.proxy.pg._auth import UpstreamAuth, UpstreamAuthError
from interlock.proxy.pg._results import Plan, PlanFailed, QueryResult
from interlock.proxy.pg._tls import UpstreamTLS

TIMEOUT = 30.0


class ClientError(Exception):
    """The server could not be reached, refused the login, or broke the protocol."""


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._frames = m.FrameReader()

    @classmethod
    async def open(
        cls,
        host: str,
        port: int,
        database: str,
        user: str,
        password: str | None,
        *,
        tls: UpstreamTLS | None = None,
    ) -> Connection:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), TIMEOUT)
        except (OSError, TimeoutError) as exc:
            raise ClientError(f"cannot reach {host}:{port} ({exc})") from None
        if tls is not None:
            await _start_tls(reader, writer, tls)
        conn = cls(reader, writer)
        writer.write(
            m.startup_message({"user": user, "database": database, "application_name": "interlock"})
        )
        auth = UpstreamAuth(user, password)
        while True:
            kind, body = await conn._next()
            if kind == b"R":
                code, data = m.parse_authentication(body)
                try:
                    answer = auth.respond(code, data)
                except UpstreamAuthError as exc:
                    raise ClientError(str(exc)) from None
                if answer is not None:
                    writer.write(answer)
            elif kind == b"E":
                raise ClientError(m.parse_fields(body).get("M", "login refused"))
            elif kind == b"Z":
                return conn

    async def _next(self) -> tuple[bytes, bytes]:
        while True:
            frame = self._frames.next()
            if frame is not None:
                return frame
            data = await asyncio.wait_for(self._reader.read(65536), TIMEOUT)
            if not data:
                raise ClientError("the server closed the connection")
            self._frames.feed(data)

    async def query(self, sql: str) -> QueryResult:
        self._writer.write(m.query(sql))
        result = QueryResult()
        while True:
            kind, body = await self._next()
            if result.add(kind, body):
                return result

    async def run(self, plan: Plan) -> str:
        """Drive a plan to its end; raises `PlanFailed` with the step that failed."""
        try:
            sql = next(plan)
            while True:
                sql = plan.send(await self.query(sql))
        except StopIteration as done:
            return str(done.value)
        except PlanFailed:
            raise

    async def close(self) -> None:
        try:
            self._writer.write(m.terminate())
            self._writer.close()
            await self._writer.wait_closed()
        except (OSError, ConnectionError):
            pass


async def _start_tls(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, tls: UpstreamTLS
) -> None:
    writer.write(m.ssl_request())
    try:
        answer = await asyncio.wait_for(reader.readexactly(1), TIMEOUT)
        if answer == b"S":
            await asyncio.wait_for(
                writer.start_tls(tls.context, server_hostname=tls.server_hostname), TIMEOUT
            )
            return
    except (OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
        raise ClientError(f"TLS with the server failed ({exc})") from None
    if answer != b"N" or tls.required:
        raise ClientError(f"the server does not accept TLS (sslmode={tls.mode})")
