"""A witness that is an HTTP receiver somewhere else: each entry is POSTed to a URL.

    POST <url>   body: one witness entry (JSON), Content-Type application/json; any 2xx
                 means kept
    GET  <url>   (when `webhook_read` is on) a JSON array of every entry received, in order,
                 or {"entries": [...]}; `audit verify` compares the log with it

A receiver on another machine (or run by another OS user) holds what it received where the
agent cannot rewrite it. It is told nothing secret: a checkpoint is a sequence number, a
hash and a signature. A token in the URL (query string or user info) never appears in
messages.
"""

from __future__ import annotations

import ipaddress
import json
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from interlock.audit.witness import (
    Entry,
    Reach,
    WitnessError,
    WitnessView,
    entry_from_json,
    entry_line,
)

MAX_READ = 64 * 1024 * 1024


def public_url(url: str) -> str:
    """`url` without user info, query or fragment (where tokens hide)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


class WebhookWitness:
    """POSTs each entry to `url`; reads them back with GET when `readable`."""

    def __init__(self, url: str, *, readable: bool = True, timeout: float = 5.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise WitnessError(f"webhook witness: {public_url(url)!r} is not an http(s) URL")
        self.url = url
        self.readable = readable
        self.timeout = timeout

    @property
    def name(self) -> str:
        return f"webhook:{public_url(self.url)}"

    def append(self, entry: Entry) -> None:
        request = urllib.request.Request(  # noqa: S310 (scheme checked: http or https)
            self.url,
            data=entry_line(entry).encode(),
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": "interlock-audit"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                response.read(4096)
        except urllib.error.HTTPError as exc:
            raise WitnessError(f"{self.name}: the receiver answered {exc.code}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise WitnessError(f"{self.name}: cannot post ({_reason(exc)})") from None

    def read(self) -> WitnessView | None:
        if not self.readable:
            return None
        request = urllib.request.Request(  # noqa: S310 (scheme checked: http or https)
            self.url, headers={"Accept": "application/json", "User-Agent": "interlock-audit"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                raw = response.read(MAX_READ + 1)
        except urllib.error.HTTPError as exc:
            raise WitnessError(f"{self.name}: reading back answered {exc.code}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise WitnessError(f"{self.name}: cannot read back ({_reason(exc)})") from None
        if len(raw) > MAX_READ:
            raise WitnessError(f"{self.name}: the read-back is larger than {MAX_READ} bytes")
        try:
            body = json.loads(raw)
        except ValueError:
            raise WitnessError(f"{self.name}: the read-back is not JSON") from None
        if isinstance(body, dict):
            body = body.get("entries")
        if not isinstance(body, list):
            raise WitnessError(f"{self.name}: the read-back is not a list of entries")
        view = WitnessView(self.name)
        for index, item in enumerate(body):
            try:
                view.entries.append(entry_from_json(item))
            except ValueError as exc:
                view.damaged.append(f"entry {index}: {exc}")
        return view

    def reach(self) -> Reach:
        host = urlsplit(self.url).hostname or ""
        try:
            local = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            local = False
        if local:
            return Reach(
                None,
                f"{self.name} is on this machine: out of reach only if its receiver runs as "
                "another OS user",
            )
        return Reach(False, f"{self.name} is another machine: it keeps what it received")


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    text = str(reason if reason is not None else exc)
    return text.split("\n", 1)[0][:200]
