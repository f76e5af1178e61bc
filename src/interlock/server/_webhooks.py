"""Outgoing notifications: holds, approvals, denials and suspensions, as signed webhooks.

Webhooks come from two places:

    interlock.toml      [[webhooks]] url = "...", format = "json" | "slack",
                        events = ["hold", "approved", "denied", "suspended", "drill_failed"],
                        secret_env = "NAME"   (the secret is read from that variable;
                                               a plain `secret` in the file is refused)
    the API             POST /v1/webhooks: the secret is sealed with the identity master
                        key (like upstream credentials) and never returned

Each delivery is a POST with the JSON body and these headers:

    X-Interlock-Event       hold | approved | denied | suspended | test
    X-Interlock-Delivery    a unique id (retries keep it)
    X-Interlock-Timestamp   Unix seconds
    X-Interlock-Signature   sha256=HEX(HMAC-SHA256(secret, "<timestamp>." + body))

Deliveries are queued by the audit follower and sent by one background thread: nothing on
a decision's path ever waits for a receiver. A failed delivery (connection error, timeout,
non-2xx) is retried with exponential back-off (1 s, 2 s, 4 s, …) up to `MAX_ATTEMPTS`; a
delivery that never succeeds is recorded in the audit log (`webhook_failed`).
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import json
import logging
import os
import queue
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from typing import TYPE_CHECKING, Any

from interlock.audit import AuditLog, AuditRecord
from interlock.config import EVENTS as EVENTS
from interlock.config import FORMATS as FORMATS
from interlock.config import check_events as check_events
from interlock.config import check_url as check_url
from interlock.config import read_config
from interlock.errors import ConfigError, InputError, InterlockError
from interlock.home import Home
from interlock.identity import IdentityError, Sealer
from interlock.state import StoredWebhook, WebhookStorage

if TYPE_CHECKING:
    from interlock.server._metrics import Metrics

log = logging.getLogger("interlock.server.webhooks")
MAX_ATTEMPTS = 5
FIRST_BACKOFF = 1.0
TIMEOUT = 5.0
MIN_SECRET = 16
QUEUE_LIMIT = 10_000
ID_PREFIX = "whk_"


@dataclass(frozen=True, slots=True)
class Webhook:
    id: str
    url: str
    format: str
    events: frozenset[str]
    source: str  # "config" | "api"
    secret: str = field(repr=False)
    secret_from: str = ""

    def to_json(self) -> dict[str, Any]:
        """Everything but the secret."""
        return {
            "id": self.id,
            "url": self.url,
            "format": self.format,
            "events": sorted(self.events),
            "source": self.source,
            "secret": self.secret_from,
        }


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


@dataclass(eq=False)
class WebhookRegistry:
    """Config webhooks (read from interlock.toml on every look) and API webhooks (sealed,
    in `state`)."""

    home: Home
    state: WebhookStorage
    sealer: Sealer
    _: KW_ONLY
    audit: AuditLog | None = None

    def configured(self) -> list[Webhook]:
        """The `[[webhooks]]` of interlock.toml, each with its secret from the environment."""
        path = self.home.config_path
        out = []
        for spec in read_config(path).webhooks:
            secret = os.environ.get(spec.secret_env, "")
            if len(secret) < MIN_SECRET:
                raise ConfigError(
                    f"{path}: [[webhooks]] #{spec.number}: ${spec.secret_env} must hold a "
                    f"secret of at least {MIN_SECRET} characters"
                )
            out.append(
                Webhook(
                    f"config-{spec.number}",
                    spec.url,
                    spec.format,
                    spec.events,
                    "config",
                    secret,
                    spec.secret_env,
                )
            )
        return out

    def stored(self) -> list[Webhook]:
        out = []
        for stored in self.state.webhooks():
            try:
                secret = self.sealer.open(stored.secret_sealed, _purpose(stored.id))
            except InterlockError as exc:
                log.error("webhook %s: %s", stored.id, exc)
                continue
            out.append(
                Webhook(
                    stored.id, stored.url, stored.format, stored.events, "api", secret, "sealed"
                )
            )
        return out

    def all(self) -> list[Webhook]:
        return [*self.configured(), *self.stored()]

    def add(self, by: str, url: str, *, format: str, events: list[str], secret: str) -> Webhook:
        url = check_url(url, "webhook")
        if format not in FORMATS:
            raise InputError("webhook: format must be json or slack")
        chosen = check_events(events, "webhook")
        if len(secret) < MIN_SECRET:
            raise InputError(f"webhook: the secret must be at least {MIN_SECRET} characters")
        webhook_id = ID_PREFIX + secrets.token_hex(6)
        sealed = self.sealer.seal(secret, _purpose(webhook_id))
        self.state.add_webhook(
            StoredWebhook(webhook_id, url, format, chosen, sealed, time.time(), by)
        )
        self._log("webhook_added", id=webhook_id, url=url, by=by, events=sorted(chosen))
        return Webhook(webhook_id, url, format, chosen, "api", secret, "sealed")

    def remove(self, by: str, webhook_id: str) -> None:
        if not self.state.remove_webhook(webhook_id):
            raise IdentityError(
                f"no webhook {webhook_id!r} (webhooks from interlock.toml are "
                "removed by editing the file)"
            )
        self._log("webhook_removed", id=webhook_id, by=by)

    def _log(self, event: str, **body: Any) -> None:
        if self.audit is not None:
            self.audit.append("server", {"event": event, **body})


def _purpose(webhook_id: str) -> str:
    return f"webhook:{webhook_id}"


# --- payloads ---------------------------------------------------------------------------


def payload(event: str, record: AuditRecord, console_url: str) -> dict[str, Any]:
    """The generic JSON body: the event, the audit record's facts, a link for humans."""
    body = dict(record.body)
    out: dict[str, Any] = {
        "event": event,
        "audit_seq": record.seq,
        "at": record.ts,
    }
    if event == "suspended":
        out["agent"] = {"id": body.get("agent_id"), "name": body.get("agent")}
        out["by"] = body.get("by")
        if body.get("reason"):  # the circuit breaker says why
            out["reason"] = body["reason"]
        out["url"] = f"{console_url}/agents"
        return out
    if event == "drill_failed":
        out["drill"] = {key: body.get(key) for key in ("snapshot", "scratch", "error", "tables")}
        out["url"] = f"{console_url}/audit"
        return out
    out["request"] = {
        key: body.get(key)
        for key in ("id", "agent", "agent_id", "resource", "environment", "summary", "source")
    }
    if "by" in body:
        out["by"] = body["by"]
        out["comment"] = body.get("comment", "")
    if "approvers" in body:
        out["approvers_needed"] = body["approvers"]
    if "expires_at" in body:
        out["expires_at"] = body["expires_at"]
    out["url"] = f"{console_url}/approvals/{body.get('id', '')}"
    return out


_TITLES = {
    "hold": ":raised_hand: Held for approval",
    "approved": ":white_check_mark: Approved",
    "denied": ":no_entry: Denied",
    "suspended": ":octagonal_sign: Agent suspended",
    "drill_failed": ":rotating_light: Vault restore drill failed",
    "test": ":bell: Test notification",
}


def slack_payload(generic: Mapping[str, Any], *, interactive: bool = False) -> dict[str, Any]:
    """A Slack incoming-webhook body (text fallback plus one section block); with
    `interactive` (a `[slack]` table), a hold also gets Approve and Deny buttons."""
    event = str(generic.get("event"))
    title = _TITLES.get(event, event)
    if event == "suspended":
        agent = generic.get("agent") or {}
        line = f"agent *{agent.get('name')}* suspended by {generic.get('by')}"
        if generic.get("reason"):
            line += f": {generic['reason']}"
    elif event == "test":
        line = "Interlock can reach this webhook."
    elif event == "drill_failed":
        drill = generic.get("drill") or {}
        why = str(drill.get("error") or "rows or checksums differ")[:200]
        line = f"snapshot `{drill.get('snapshot')}`: {why}"
    else:
        req = generic.get("request") or {}
        line = (
            f"*{req.get('agent')}* on *{req.get('resource')}* ({req.get('environment')}): "
            f"`{str(req.get('summary', ''))[:200]}`"
        )
        if generic.get("by"):
            line += f"\nby {generic['by']}" + (
                f": {generic.get('comment')}" if generic.get("comment") else ""
            )
    link = generic.get("url", "")
    text = f"{title}: {line}" + (f"\n<{link}|Open in Interlock>" if link else "")
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    request_id = (generic.get("request") or {}).get("id")
    if interactive and event == "hold" and isinstance(request_id, str):
        from interlock.server._slack import buttons

        blocks.append(buttons(request_id))
    return {"text": text, "blocks": blocks}


# --- delivery ---------------------------------------------------------------------------


@dataclass(order=True, slots=True)
class Delivery:
    due: float
    id: str = field(compare=False)
    webhook: Webhook = field(compare=False)
    event: str = field(compare=False)
    body: bytes = field(compare=False)
    attempt: int = field(default=1, compare=False)


class WebhookDispatcher:
    """A queue and one sender thread; retries wait on a heap, not in a sleep."""

    def __init__(
        self,
        registry: WebhookRegistry,
        metrics: Metrics,
        audit: AuditLog | None,
        *,
        console_url: str = "",
        backoff: float = FIRST_BACKOFF,
        max_attempts: int = MAX_ATTEMPTS,
        interactive: Callable[[], bool] = lambda: False,
    ) -> None:
        self.registry = registry
        self.interactive = interactive  # whether Slack messages carry Approve / Deny buttons
        self.metrics = metrics
        self.audit = audit
        self.console_url = console_url
        self.backoff = backoff
        self.max_attempts = max_attempts
        self._queue: queue.Queue[Delivery | None] = queue.Queue(QUEUE_LIMIT)
        self._retry: list[Delivery] = []
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name="interlock-webhooks", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._queue.put(None)
            self._thread.join(TIMEOUT + 1)
            self._thread = None

    def notify(self, event: str, record: AuditRecord) -> int:
        """Queue `event` for every webhook that wants it; returns how many were queued."""
        try:
            hooks = [h for h in self.registry.all() if event in h.events]
        except InterlockError as exc:
            log.error("webhooks: %s", exc)
            return 0
        generic = payload(event, record, self.console_url)
        return sum(self.enqueue(hook, event, generic) for hook in hooks)

    def enqueue(self, hook: Webhook, event: str, generic: Mapping[str, Any]) -> bool:
        delivery_id = "dlv_" + secrets.token_hex(8)
        document = (
            slack_payload(generic, interactive=self.interactive())
            if hook.format == "slack"
            else dict(generic)
        )
        if hook.format == "json":
            document["delivery"] = delivery_id
        body = json.dumps(document, ensure_ascii=False).encode()
        try:
            self._queue.put_nowait(Delivery(time.monotonic(), delivery_id, hook, event, body))
        except queue.Full:
            self.metrics.inc("interlock_webhook_deliveries_total", result="dropped")
            return False
        return True

    def _run(self) -> None:
        while not self._stop.is_set():
            timeout = None
            if self._retry:
                timeout = max(0.0, self._retry[0].due - time.monotonic())
            try:
                item = self._queue.get(timeout=timeout)
            except queue.Empty:
                item = None
            if item is not None:
                heapq.heappush(self._retry, item)
            while self._retry and self._retry[0].due <= time.monotonic():
                if self._stop.is_set():
                    return
                self._attempt(heapq.heappop(self._retry))

    def _attempt(self, delivery: Delivery) -> None:
        ok, why = send(delivery.webhook, delivery.id, delivery.event, delivery.body)
        if ok:
            self.metrics.inc("interlock_webhook_deliveries_total", result="delivered")
            return
        if delivery.attempt >= self.max_attempts:
            self.metrics.inc("interlock_webhook_deliveries_total", result="failed")
            log.warning("webhook %s: giving up on %s (%s)", delivery.webhook.id, delivery.id, why)
            if self.audit is not None:
                try:
                    self.audit.append(
                        "server",
                        {
                            "event": "webhook_failed",
                            "webhook": delivery.webhook.id,
                            "delivery": delivery.id,
                            "notification": delivery.event,
                            "attempts": delivery.attempt,
                            "error": why,
                        },
                    )
                except InterlockError as exc:
                    log.error("webhook failure not recorded: %s", exc)
            return
        self.metrics.inc("interlock_webhook_deliveries_total", result="retried")
        delivery.due = time.monotonic() + self.backoff * 2 ** (delivery.attempt - 1)
        delivery.attempt += 1
        heapq.heappush(self._retry, delivery)


def send(hook: Webhook, delivery_id: str, event: str, body: bytes) -> tuple[bool, str]:
    """One POST; (delivered, why not)."""
    timestamp = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked: http or https)
        hook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "interlock-webhooks",
            "X-Interlock-Event": event,
            "X-Interlock-Delivery": delivery_id,
            "X-Interlock-Timestamp": timestamp,
            "X-Interlock-Signature": sign(hook.secret, timestamp, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        return False, f"status {exc.code}"
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        return False, type(exc).__name__
    return (200 <= status < 300), f"status {status}"
