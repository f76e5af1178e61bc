"""Find credentials exposed in text and files (`interlock scan`, and the file-read hooks).

    find_secrets(text, path=None) -> list[Finding]   every probable credential, located
    contains_secret(text) -> bool                    fast yes/no for hooks (medium and up)
    redact_secrets(text) -> str                      each credential -> [redacted:<rule>]
    is_placeholder(value) -> bool                    a stand-in (`<token>`, `${X}`, `xxxx`)
    scan_path(path) -> Iterator[Finding]             a file or a tree (no symlinks followed)

A `Finding` never holds the credential: only its rule, provider, position, length and a
preview of at most four characters. The rules live in `_rules.py`, most specific first.
"""

from __future__ import annotations

from interlock.secrets._entropy import is_placeholder
from interlock.secrets._model import Confidence, Finding
from interlock.secrets._rules import RULES, Rule
from interlock.secrets._scan import (
    DEFAULT_MAX_FILE_BYTES,
    IGNORE_MARKER,
    ScanStats,
    contains_secret,
    find_secrets,
    redact_secrets,
    scan_path,
)

__all__ = [
    "DEFAULT_MAX_FILE_BYTES",
    "IGNORE_MARKER",
    "RULES",
    "Confidence",
    "Finding",
    "Rule",
    "ScanStats",
    "contains_secret",
    "find_secrets",
    "is_placeholder",
    "redact_secrets",
    "scan_path",
]
