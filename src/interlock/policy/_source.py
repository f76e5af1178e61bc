"""Split Cedar policy text into statements, each with the line it starts on.

cedarpy's parse errors carry no position. Parsing a file statement by statement lets every
error name the file and the line of the policy that is wrong, and gives each policy a stable
default id (`file:line`). Only the lexical structure Cedar needs for that is handled here:
string literals (with escapes) and `//` comments, so a `;` inside either does not split.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Statement:
    """One policy's source text and the 1-based line it starts on."""

    text: str
    line: int


class UnterminatedText(ValueError):
    """Text after the last `;` that is not whitespace or comments, or an unclosed string."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def split_statements(source: str) -> list[Statement]:
    """Return the `;`-terminated statements of `source`, comments and blanks excluded."""
    statements: list[Statement] = []
    start = 0  # offset where the current statement's text begins
    first_code: int | None = None  # offset of its first non-blank, non-comment character
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch == "/" and source.startswith("//", i):
            end = source.find("\n", i)
            i = n if end < 0 else end
            continue
        if ch == '"':
            if first_code is None:
                first_code = i
            i = _skip_string(source, i)
            continue
        if ch == ";":
            if first_code is None:
                raise UnterminatedText("empty statement (a stray ';')", _line_of(source, i))
            statements.append(Statement(source[start : i + 1], _line_of(source, first_code)))
            start, first_code = i + 1, None
        elif first_code is None and not ch.isspace():
            first_code = i
        i += 1
    if first_code is not None:
        raise UnterminatedText("policy is not terminated with ';'", _line_of(source, first_code))
    return statements


def _skip_string(source: str, i: int) -> int:
    """Offset just past the string literal opening at `i`."""
    j = i + 1
    while j < len(source):
        if source[j] == "\\":
            j += 2
            continue
        if source[j] == '"':
            return j + 1
        j += 1
    raise UnterminatedText("string literal is not closed", _line_of(source, i))


def _line_of(source: str, offset: int) -> int:
    return source.count("\n", 0, offset) + 1
