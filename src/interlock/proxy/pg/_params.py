"""Bound parameter values as SQL literals, so a bound statement can be judged as text.

A Bind carries each value in text or binary format. Text values, and binary values of a type
the Parse declared, read exactly. A binary value of an undeclared type (asyncpg sends every
value in binary after asking the server for the types) can be read several ways — one byte
as a boolean, four or eight as an integer, UTF-8 as text — and each reading is a candidate:
the statement is judged with every combination and the most severe verdict stands. Past a
bound on combinations the values are unreadable, and the statement is refused (fail closed).
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator, Sequence
from itertools import product

__all__ = ["MAX_READINGS", "literal_readings"]

MAX_READINGS = 16
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")

_BOOL = 16
_INTS = {21: "!h", 23: "!i", 20: "!q", 26: "!I"}
_FLOATS = {700: "!f", 701: "!d"}
_TEXT = frozenset({18, 19, 25, 114, 705, 1042, 1043, 3802})


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _text_literal(value: str, oid: int) -> str:
    if oid == _BOOL:
        return _quoted(value) + "::boolean"
    if oid not in _TEXT and _NUMBER.match(value.strip()):
        return value.strip()  # numbers as numbers, so `id > 0` reads as the bound it is
    return _quoted(value)


def _binary_readings(data: bytes, oid: int) -> list[str]:
    """Every plausible reading of a binary value (exactly one when its type is known)."""
    if oid == _BOOL:
        return ["true" if data[:1] != b"\x00" else "false"] if len(data) == 1 else []
    if oid in _INTS:
        size = struct.calcsize(_INTS[oid])
        return [str(struct.unpack(_INTS[oid], data)[0])] if len(data) == size else []
    if oid in _FLOATS:
        size = struct.calcsize(_FLOATS[oid])
        return [repr(struct.unpack(_FLOATS[oid], data)[0])] if len(data) == size else []
    readings: list[str] = []
    if oid == 0 or oid in _TEXT:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None and "\x00" not in text:
            readings.append(_text_literal(text, 25))
        if oid != 0:
            return readings
    if oid == 0:  # undeclared: every shape the bytes could have
        if len(data) == 1 and data in (b"\x00", b"\x01"):
            readings.append("true" if data == b"\x01" else "false")
        for fmt in ("!h", "!i", "!q"):
            if len(data) == struct.calcsize(fmt):
                readings.append(str(struct.unpack(fmt, data)[0]))
        return readings
    return []  # a type Interlock does not read in binary (numeric, arrays, …)


def literal_readings(
    values: Sequence[bytes | None], formats: Sequence[int], types: Sequence[int]
) -> Iterator[list[str]] | None:
    """Every combination of readings of the values as SQL literals; None when a value
    cannot be read at all or there are more than `MAX_READINGS` combinations."""
    choices: list[list[str]] = []
    count = 1
    for index, value in enumerate(values):
        oid = types[index] if index < len(types) else 0
        if value is None:
            options = ["NULL"]
        elif (formats[index] if index < len(formats) else 0) == 0:
            try:
                options = [_text_literal(value.decode("utf-8"), oid)]
            except UnicodeDecodeError:
                return None
        else:
            options = _binary_readings(value, oid)
        if not options:
            return None
        count *= len(options)
        if count > MAX_READINGS:
            return None
        choices.append(options)
    return (list(combo) for combo in product(*choices))
