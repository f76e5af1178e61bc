"""Following the audit log: one thread reads new records and fans them out.

Every enforcement point (the HTTP proxy, hooks, `/v1/decide`, the CLI) writes to the same
audit log, possibly from other processes. The follower reads what was appended since its
last look, a few times a second, and for each record:

    counts it (decisions by outcome, approvals by outcome)  -> /metrics
    turns holds, approvals, denials, suspensions and failed
    vault drills into events                                  -> webhooks (queued, never
                                                                waited on)
    hands it to every live subscriber                         -> SSE streams (console)

Subscribers are asyncio queues on the server's event loop; a subscriber that falls too far
behind is dropped (its stream ends and the browser reconnects from its last event id).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from interlock.audit import AuditRecord
from interlock.errors import InterlockError

if TYPE_CHECKING:
    from interlock.server._plane import ControlPlane

log = logging.getLogger("interlock.server")
POLL_SECONDS = 0.2
QUEUE_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class Subscriber:
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[AuditRecord | None]


def notification_of(record: AuditRecord) -> str | None:
    """The webhook event an audit record is, if any: hold, approved, denied, suspended,
    drill_failed (a restore drill of the vault that did not pass)."""
    body: Mapping[str, Any] = record.body
    if record.type == "approval_request":
        return "hold"
    if record.type == "approval" and body.get("event") in ("approved", "denied"):
        return str(body["event"])
    if record.type == "identity" and body.get("event") == "agent_suspended":
        return "suspended"
    if record.type == "vault_drill" and body.get("ok") is not True:
        return "drill_failed"
    return None


class AuditFollower:
    def __init__(self, plane: ControlPlane) -> None:
        self.plane = plane
        head = plane.audit.store.head()
        self.seq = head.seq if head is not None else 0
        self._subscribers: set[Subscriber] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="interlock-follower", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        with self._lock:
            subscribers, self._subscribers = self._subscribers, set()
        for sub in subscribers:
            _offer(sub, None)

    def subscribe(self) -> Subscriber:
        sub = Subscriber(asyncio.get_running_loop(), asyncio.Queue(QUEUE_LIMIT))
        with self._lock:
            self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        with self._lock:
            self._subscribers.discard(sub)

    def poll(self) -> int:
        """Handle everything appended since the last poll; returns how many records."""
        records = list(self.plane.audit.records(self.seq))
        for record in records:
            self._count(record)
            event = notification_of(record)
            if event is not None:
                self.plane.dispatcher.notify(event, record)
            with self._lock:
                subscribers = list(self._subscribers)
            for sub in subscribers:
                _offer(sub, record)
            self.seq = record.seq
        return len(records)

    def _run(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            try:
                self.poll()
            except InterlockError as exc:  # the log is briefly unreadable: try again
                log.warning("audit follower: %s", exc)
            except Exception:
                log.exception("audit follower failed on a record; going on")

    def _count(self, record: AuditRecord) -> None:
        metrics = self.plane.metrics
        body = record.body
        if record.type == "decision":
            decision = body.get("decision")
            outcome = decision.get("decision") if isinstance(decision, Mapping) else None
            source = str(body.get("source", "")).split(":", 1)[0] or "unknown"
            metrics.inc("interlock_decisions_total", outcome=str(outcome), source=source)
        elif record.type == "approval" and body.get("event") in (
            "approved",
            "denied",
            "cancelled",
            "expired",
            "used",
        ):
            metrics.inc("interlock_approvals_total", outcome=str(body["event"]))


def _offer(sub: Subscriber, record: AuditRecord | None) -> None:
    def put() -> None:
        try:
            sub.queue.put_nowait(record)
        except asyncio.QueueFull:
            # Too far behind: end this stream; the client reconnects from its last id.
            while not sub.queue.empty():
                sub.queue.get_nowait()
            sub.queue.put_nowait(None)

    with contextlib.suppress(RuntimeError):  # its loop is closed: nobody listens any more
        sub.loop.call_soon_threadsafe(put)
