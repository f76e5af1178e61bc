"""`/v1/audit` (query, verify, live stream) and the unauthenticated `/healthz`, `/metrics`.

The live stream is server-sent events: each audit record as `id: <seq>`, `event: audit`,
`data: <record JSON>`. A client that reconnects sends `Last-Event-ID` (browsers do this
themselves) or `?after=SEQ` and receives what it missed first.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from interlock import __version__
from interlock.audit import AuditRecord
from interlock.errors import InterlockError
from interlock.model import Human
from interlock.server._auth import ApiRefusal, api_human, plane_of
from interlock.server._plane import ControlPlane
from interlock.server._views import MAX_AUDIT_PAGE, query, record_json

router = APIRouter(tags=["audit"])
AnyHuman = Annotated[Human, Depends(api_human())]
HEARTBEAT_SECONDS = 15.0
BACKLOG_LIMIT = 1000
MAX_SEQ = 2**53
Filter = Annotated[str | None, Query(max_length=200)]


@router.get("/v1/audit", summary="Audit records, newest first, filtered")
def audit_query(
    request: Request,
    human: AnyHuman,
    type: Filter = None,
    agent: Filter = None,
    resource: Filter = None,
    decision: Filter = None,
    after: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_AUDIT_PAGE)] = 100,
) -> list[dict[str, Any]]:
    plane = plane_of(request)
    try:
        found = query(
            plane.audit.records(after),
            limit,
            type_=type,
            agent=agent,
            resource=resource,
            decision=decision,
        )
    except InterlockError as exc:
        raise ApiRefusal(503, str(exc)) from None
    return [record_json(r) for r in found]


def verification(plane: ControlPlane) -> dict[str, Any]:
    report = plane.audit.verify(plane.home.audit_verifier())
    return {
        "ok": report.ok,
        "records": report.records,
        "checkpoints": report.checkpoints,
        "signed_through": report.signed_through,
        "unsigned_tail": report.unsigned_tail,
        "problems": report.problems[:100],
    }


@router.get("/v1/audit/verify", summary="Verify the hash chain and the signed checkpoints")
def audit_verify(request: Request, human: AnyHuman) -> dict[str, Any]:
    try:
        return verification(plane_of(request))
    except InterlockError as exc:
        raise ApiRefusal(503, str(exc)) from None


def _event(record: AuditRecord) -> str:
    data = json.dumps(record_json(record), ensure_ascii=False, separators=(",", ":"))
    return f"id: {record.seq}\nevent: audit\ndata: {data}\n\n"


@router.get(
    "/v1/audit/stream",
    summary="Live audit records as server-sent events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def audit_stream(
    request: Request,
    human: AnyHuman,
    after: Annotated[int | None, Query(ge=0, le=MAX_SEQ)] = None,
    limit: Annotated[int | None, Query(ge=1, le=100_000)] = None,
    max_seconds: Annotated[float, Query(gt=0, le=86_400)] = 3600.0,
) -> StreamingResponse:
    """`limit` and `max_seconds` end the stream (for scripts and tests); browsers reconnect."""
    plane = plane_of(request)
    last = request.headers.get("last-event-id", "")[:16]
    start = after if after is not None else (int(last) if last.isdigit() else None)
    sub = plane.follower.subscribe()
    if start is None:
        start = plane.follower.seq
    backlog = await run_in_threadpool(lambda: list(plane.audit.records(start))[-BACKLOG_LIMIT:])

    async def events() -> AsyncIterator[str]:
        sent = 0
        seen = start or 0
        deadline = time.monotonic() + max_seconds
        try:
            yield "retry: 2000\n\n"
            for record in backlog:
                seen = record.seq
                yield _event(record)
                sent += 1
                if limit is not None and sent >= limit:
                    return
            while time.monotonic() < deadline:
                timeout = min(HEARTBEAT_SECONDS, deadline - time.monotonic())
                try:
                    item = await asyncio.wait_for(sub.queue.get(), max(0.01, timeout))
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield ": heartbeat\n\n"
                    continue
                if item is None:
                    return
                if item.seq <= seen:
                    continue
                seen = item.seq
                yield _event(item)
                sent += 1
                if limit is not None and sent >= limit:
                    return
        finally:
            plane.follower.unsubscribe(sub)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/healthz", tags=["health"], summary="Liveness and the audit head")
def health(request: Request) -> dict[str, Any]:
    plane = plane_of(request)
    head = plane.audit.store.head()
    return {
        "status": "ok",
        "version": __version__,
        "audit_head": head.seq if head is not None else 0,
        "policies_version": plane.bundle.version,
    }


@router.get(
    "/metrics",
    tags=["health"],
    summary="Prometheus metrics (text format 0.0.4)",
    response_class=PlainTextResponse,
)
def metrics(request: Request) -> PlainTextResponse:
    return PlainTextResponse(
        plane_of(request).metrics.render(), media_type="text/plain; version=0.0.4"
    )
