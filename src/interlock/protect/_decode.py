"""Text a command line carries in disguise, recovered without running anything.

An agent can hide a command from a reader by building it at run time from data that is
all there in the command line: `echo cm0g… | base64 -d | sh`, `xxd -r -p <<< 726d…`,
`rev <<< '…' | sh`, a Python `exec(base64.b64decode('…'))`, a path split over string
literals (`os.path.join(home, '.config', 'interlock')`, `'.inter' + 'lock'`). The pure
transformations here (echo/printf, base64, hex, reversal; literals joined) recover that
text so self-protection can judge it like anything written in clear. Anything they cannot
recover stays `unknown` to the classifiers (and is held where unknown is held).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from collections.abc import Callable, Iterator

from interlock.classify.shell import Command

MAX_TEXT = 65536
MAX_LITERALS = 512
WINDOW = 6

_LITERAL = re.compile(
    r"""'((?:[^'\\\n]|\\.){1,4096})'|"((?:[^"\\\n]|\\.){1,4096})"|`([^`]{1,4096})`"""
)
_B64 = re.compile(r"^[A-Za-z0-9+/_-]{8,}={0,2}$")
_HEX = re.compile(r"^(?:[0-9a-fA-F]{2}){4,}$")


def static_output(command: Command, depth: int = 0) -> str | None:
    """What `command` writes to standard output, when it is fixed by its command line
    (echo, printf, cat of a heredoc, and decoders of such text); None otherwise."""
    if depth > 6 or not command.words:
        return None
    words = [w.value for w in command.words]
    if any(w is None for w in words):
        return None
    args = [w for w in words if w is not None]
    program = args[0].rsplit("/", 1)[-1]
    if program == "echo":
        rest = args[1:]
        escapes = False
        while rest and rest[0] in ("-e", "-n", "-E", "-ne", "-en"):
            escapes = escapes or "e" in rest[0]
            rest = rest[1:]
        text = " ".join(rest)
        return _unescape(text) if escapes else text
    if program == "printf" and len(args) > 1:
        fmt, values = args[1], args[2:]
        try:
            text = fmt.replace("%b", "%s") % tuple(values) if values else fmt
        except (TypeError, ValueError):
            text = fmt + "".join(values)
        return _unescape(text)
    source = _input(command, depth)
    if source is None:
        return None
    if program == "cat" and len(args) == 1:
        return source
    transform = _TRANSFORMS.get(program)
    if transform is None:
        return None
    flags = set(args[1:])
    return transform(source, flags)


def _input(command: Command, depth: int) -> str | None:
    stdin = command.stdin
    if stdin is None:
        return None
    if stdin.text is not None:
        return stdin.text
    if stdin.kind == "pipe" and stdin.producer is not None:
        return static_output(stdin.producer, depth + 1)
    return None


def _base64(source: str, flags: set[str]) -> str | None:
    if not flags & {"-d", "--decode", "-D", "-di", "-id"}:
        return None
    return decode_base64(source)


def _hex(source: str, flags: set[str]) -> str | None:
    if "-r" not in flags and "-revert" not in flags:
        return None
    try:
        return bytes.fromhex("".join(source.split())).decode("utf-8", "replace")
    except ValueError:
        return None


def _rev(source: str, _flags: set[str]) -> str | None:
    return "\n".join(line[::-1] for line in source.split("\n"))


_TRANSFORMS: dict[str, Callable[[str, set[str]], str | None]] = {
    "base64": _base64,
    "base32": lambda s, f: _b32(s) if f & {"-d", "--decode"} else None,
    "xxd": _hex,
    "rev": _rev,
}


def _b32(source: str) -> str | None:
    try:
        return base64.b32decode("".join(source.split())).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return None


def decode_base64(text: str) -> str | None:
    """Base64 (standard or URL-safe) text decoded to printable text, or None."""
    data = "".join(text.split())
    if not data:
        return None
    try:
        raw = base64.b64decode(
            data + "=" * (-len(data) % 4), altchars=b"-_" if "-" in data or "_" in data else None
        )
    except (binascii.Error, ValueError):
        return None
    return _printable(raw)


def _printable(raw: bytes) -> str | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not text or any(ord(c) < 9 or 13 < ord(c) < 32 for c in text):
        return None
    return text


def _unescape(text: str) -> str:
    try:
        return codecs.decode(text.encode("latin-1", "backslashreplace"), "unicode_escape")
    except (UnicodeDecodeError, ValueError):
        return text


def literals(code: str) -> list[str]:
    """The quoted string literals of some code, in order (bounded)."""
    out: list[str] = []
    for match in _LITERAL.finditer(code[:MAX_TEXT]):
        value = next(g for g in match.groups() if g is not None)
        out.append(_unescape(value) if "\\" in value else value)
        if len(out) >= MAX_LITERALS:
            break
    return out


def joined_literals(values: list[str]) -> Iterator[str]:
    """Runs of consecutive literals joined as a path (`/`) and as a string: the ways code
    builds a path from parts (`os.path.join`, `Path /`, `+`, template pieces)."""
    for start in range(len(values)):
        for end in range(start + 2, min(start + WINDOW, len(values)) + 1):
            parts = values[start:end]
            yield "".join(parts)
            yield "/".join(p.strip("/") if i else p.rstrip("/") for i, p in enumerate(parts))


def hidden_texts(values: list[str]) -> Iterator[str]:
    """Literals that decode (base64, hex) to readable text: code carried as data."""
    for value in values:
        if _B64.match(value) and not value.isalpha():
            decoded = decode_base64(value)
            if decoded is not None:
                yield decoded
        if _HEX.match(value):
            try:
                decoded_hex = _printable(bytes.fromhex(value))
            except ValueError:
                decoded_hex = None
            if decoded_hex is not None:
                yield decoded_hex
