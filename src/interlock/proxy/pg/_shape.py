"""Statement shapes: a cache key for reads that differ only in numeric constants.

A client using the simple query protocol sends a new text for every `WHERE id = 42`, so a
cache keyed on the exact text misses every time and each statement would be parsed and
analysed afresh. `read_shape` replaces each numeric literal with a parameter (`$1`, `$2`…):

    SELECT abalance FROM pgbench_accounts WHERE aid = 42   →   … WHERE aid = $1

The shape is then classified by the real classifier like any statement, and its answer is
used for the original text **only when every action of the shape is a plain SELECT read**;
for anything else the original text is classified itself. The reasoning: a numeric
constant can decide whether a DELETE is bounded (`WHERE 1=1`), but no numeric constant
turns a SELECT that reads into one that writes — the functions and settings that do so are
recognised by name and by their string arguments, and strings are never replaced.

The lexer is deliberately narrow: a text with anything it does not fully understand (a
backslash, `$`, comments, quoted identifiers, escape/Unicode/bit strings) has no shape and
takes the ordinary path.
"""

from __future__ import annotations

import re

_UNSURE = re.compile(r"[\\$\"]|--|/\*|\b[eEuUbBxXnN]&?'")
_TOKEN = re.compile(
    r"(?P<keep>'(?:[^']|'')*'|[A-Za-z_\x80-\U0010ffff][A-Za-z0-9_\x80-\U0010ffff]*)"
    r"|(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
)
# Without quotes there are no strings to skip, and the lexer's numbers are: `.` digits
# anywhere, or digits that do not continue an identifier or an earlier number. One regex
# split, no Python call per token (tests check it against `_token_shape`).
_BARE_NUMBER = re.compile(
    r"\.\d+(?:[eE][+-]?\d+)?"
    r"|(?<![A-Za-z0-9_\x80-\U0010ffff.])\d+\.?\d*(?:[eE][+-]?\d+)?"
)
MAX_SHAPE_INPUT = 8192


def read_shape(text: str) -> str | None:
    """The text with numeric literals as parameters, or None (no numbers, or unsure)."""
    if len(text) > MAX_SHAPE_INPUT:
        return None
    if "'" not in text:  # the common case, kept cheap: what `_UNSURE` finds, without quotes
        if "\\" in text or "$" in text or '"' in text or "--" in text or "/*" in text:
            return None
        parts = _BARE_NUMBER.split(text)
        if len(parts) == 1:
            return None
        return parts[0] + "".join(f"${n}{rest}" for n, rest in enumerate(parts[1:], 1))
    if _UNSURE.search(text) or text.count("'") % 2:
        return None
    return _token_shape(text)


def _token_shape(text: str) -> str | None:
    """The general lexer: strings and identifiers kept, every other number replaced."""
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        if match.group("num") is None:
            return match.group(0)
        count += 1
        return f"${count}"

    shape = _TOKEN.sub(replace, text)
    return shape if count else None
