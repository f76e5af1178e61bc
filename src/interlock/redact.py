"""Keep credentials out of everything Interlock writes or shows.

This is the last line of defence before a record is written or an answer printed: values
under keys that name a credential are replaced, bearer/basic tokens and URL passwords inside
strings are masked. (The credential scanner of `interlock scan` recognises far more formats;
this pass adds the obvious cases — credential-named keys, bearer tokens, URL passwords —
and then applies the scanner's rules to every string.)
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

REDACTED = "[redacted]"

_SENSITIVE_KEY_WORDS = (
    "password",
    "passwd",
    "secret",
    "token",
    "authorization",
    "api_key",
    "apikey",
    "api-key",
    "private_key",
    "cookie",
    "credential",
)

_INLINE_SECRETS = (
    # "Bearer abc…", "Basic abc…", "token abc…" as in HTTP Authorization headers
    re.compile(r"(?i)\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{8,}"),
    # scheme://user:password@host
    re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@]+):[^\s@/]+@"),
    # a password given to a database in SQL: `PASSWORD 'x'`, `IDENTIFIED BY "x"`
    re.compile(r"(?i)\b(password|identified\s+by)(\s*=?\s*)('(?:[^']|'')*'|\"[^\"]*\")"),
)


@lru_cache(maxsize=4096)
def is_sensitive_key(key: str) -> bool:
    lowered = key.lower()
    return any(word in lowered for word in _SENSITIVE_KEY_WORDS)


# Strings already found to hold no credential. Audit records repeat most of their strings
# (reasons, operations, policy ids), and the scanner costs tens of microseconds a string.
# Only clean strings are remembered, so no credential is ever kept here.
_CLEAN: dict[str, None] = {}
_CLEAN_LIMIT = 8192
_CLEAN_MAX_CHARS = 2048


def redact_text(text: str) -> str:
    """Mask credentials in free text: bearer tokens, URL passwords, and every provider token
    format the scanner knows (`interlock.secrets`)."""
    if text in _CLEAN:
        return text
    from interlock.secrets import redact_secrets  # the scanner's rules load on first use

    masked = _INLINE_SECRETS[0].sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    masked = _INLINE_SECRETS[1].sub(lambda m: f"{m.group(1)}:{REDACTED}@", masked)
    masked = _INLINE_SECRETS[2].sub(lambda m: f"{m.group(1)}{m.group(2)}'{REDACTED}'", masked)
    masked = redact_secrets(masked)
    if masked == text and len(text) <= _CLEAN_MAX_CHARS:
        if len(_CLEAN) >= _CLEAN_LIMIT:
            _CLEAN.clear()
        _CLEAN[text] = None
    return masked


def redact_value(value: Any, depth: int = 0) -> Any:
    """A copy of a JSON-like value with credentials masked, recursively (bounded)."""
    if depth > 32:
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {
            k: (
                REDACTED
                if isinstance(k, str) and is_sensitive_key(k) and isinstance(v, str)
                else redact_value(v, depth + 1)
            )
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact_value(v, depth + 1) for v in value]
    return value


def holds_credential(value: Any) -> bool:
    """True when `value` holds a credential this module would mask (a bearer token, a URL
    password, a provider key): for an agent's input, one Interlock did not issue, since
    Interlock injects its own at the proxy."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return bool(redact_value(value) != value)
