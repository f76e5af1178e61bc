"""Keep credentials out of everything Interlock writes or shows.

This is the last line of defence before a record is written or an answer printed: values
under keys that name a credential are replaced, bearer/basic tokens and URL passwords inside
strings are masked. (The credential scanner of `interlock scan` recognises far more formats;
this pass adds the obvious cases — credential-named keys, bearer tokens, URL passwords —
and then applies the scanner's rules to every string.)
"""

from __future__ import annotations

import re
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
)


def is_sensitive_key(key: str) -> bool:
    lowered = key.lower()
    return any(word in lowered for word in _SENSITIVE_KEY_WORDS)


def redact_text(text: str) -> str:
    """Mask credentials in free text: bearer tokens, URL passwords, and every provider token
    format the scanner knows (`interlock.secrets`)."""
    from interlock.secrets import redact_secrets  # the scanner's rules load on first use

    text = _INLINE_SECRETS[0].sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _INLINE_SECRETS[1].sub(lambda m: f"{m.group(1)}:{REDACTED}@", text)
    return redact_secrets(text)


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
