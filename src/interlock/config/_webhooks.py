"""`[[webhooks]]`: notifications configured in the file, and the checks the API shares.

A webhook's secret never sits in the file: `secret_env` names the environment variable that
holds it, read by the server each time it looks (so it is not part of the parsed file).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from interlock.config._values import Shape, array_of_tables
from interlock.errors import ConfigError, InputError

EVENTS = ("hold", "approved", "denied", "suspended", "drill_failed")
FORMATS = ("json", "slack")

WEBHOOK = Shape(
    "webhooks",
    {"url": None, "format": "json", "events": list(EVENTS), "secret_env": None},
    array=True,
)


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    """One `[[webhooks]]` table; `number` is its place in the file (1 for the first)."""

    number: int
    url: str
    format: str
    events: frozenset[str]
    secret_env: str


def check_url(url: str, where: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"{where}: the url must be an http:// or https:// address")
    if parts.username or parts.password:
        raise InputError(f"{where}: the url must not carry a user or password")
    return url.strip()


def check_events(events: Any, where: str) -> frozenset[str]:
    if not isinstance(events, list | tuple) or not all(isinstance(e, str) for e in events):
        raise InputError(f"{where}: events must be a list of {', '.join(EVENTS)}")
    unknown = set(events) - set(EVENTS)
    if unknown:
        raise InputError(
            f"{where}: unknown event(s) {', '.join(sorted(unknown))}: expected {', '.join(EVENTS)}"
        )
    return frozenset(events) or frozenset(EVENTS)


def webhooks_from(value: Any, prefix: str) -> tuple[WebhookConfig, ...]:
    if isinstance(value, list):
        for number, spec in enumerate(value, start=1):
            if isinstance(spec, dict) and "secret" in spec:
                raise ConfigError(
                    f"{prefix}{WEBHOOK.header} #{number}: do not put the secret in the file: "
                    'set secret_env = "NAME" and the secret in that environment variable'
                )
    out = []
    for number, table in enumerate(
        array_of_tables(value, WEBHOOK, prefix, f"{prefix}webhooks"), start=1
    ):
        fmt = table.raw("format")
        if fmt not in FORMATS:
            raise table.bad("format", "must be json or slack")
        env = table.raw("secret_env")
        if not isinstance(env, str) or not env:
            raise table.bad("secret_env", "must name an environment variable")
        try:
            url = check_url(table.string("url"), table.where)
            events = check_events(table.raw("events"), table.where)
        except InputError as exc:
            raise ConfigError(str(exc)) from None
        out.append(WebhookConfig(number, url, fmt, events, env))
    return tuple(out)
