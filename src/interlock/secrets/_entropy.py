"""How random a candidate value is, and whether it is obviously not a real credential.

Token formats are precise, but documentation, tests and templates are full of values in the
right shape that are not secrets: `AKIAIOSFODNN7EXAMPLE`, `ghp_xxxxxxxx…`, `${API_TOKEN}`,
`<your-token>`. These checks run on every candidate a rule matched, so they stay cheap.
"""

from __future__ import annotations

import math
import re
from collections import Counter

# Words that mark a value as a stand-in (checked on the lowercased value).
_PLACEHOLDER_WORDS = (
    "example",
    "sample",
    "placeholder",
    "changeme",
    "change_me",
    "change-me",
    "replace_me",
    "replace-me",
    "your_",
    "your-",
    "yourtoken",
    "yourkey",
    "yoursecret",
    "dummy",
    "redacted",
    "not-a-real",
    "notarealkey",
    "insert",
    "xxxxx",
    "*****",
    "•••",
    "....",
    "…",
    "0000000000",
    "1234567890",
    "0123456789",
    "abcdefgh",
)

# Template and variable syntax: a reference to a secret, not the secret.
_REFERENCE = re.compile(
    r"""\$\{|\$\(|\{\{|\}\}|%\(|<[a-z_ -]*>|^\$[A-Za-z_]|^%[A-Za-z_]+%$|^@[A-Za-z_]"""
)


def shannon_entropy(value: str) -> float:
    """Bits per character of `value` (0.0 for the empty string)."""
    if not value:
        return 0.0
    length = len(value)
    return -sum((n / length) * math.log2(n / length) for n in Counter(value).values())


def is_placeholder(value: str) -> bool:
    """True when `value` is plainly a stand-in, a template reference or a repeated character."""
    lowered = value.lower()
    if any(word in lowered for word in _PLACEHOLDER_WORDS):
        return True
    if _REFERENCE.search(value):
        return True
    return len(set(value)) <= 2
