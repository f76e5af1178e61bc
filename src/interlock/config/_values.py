"""The checks every table of interlock.toml goes through, written once.

A `Shape` says what a table is called and which keys it takes, with their defaults; a
`Table` is one table of a file read against its shape: unknown keys are refused when it is
opened, and its getters check each value's type and range with one wording everywhere:

    /srv/.interlock/interlock.toml: [hooks]: read_limit must be an integer of at least 1024
    (bytes)

The shapes are also what docs/configuration.md is checked against, so the page lists exactly
the keys the loader accepts, with the defaults it applies.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from interlock.errors import ConfigError, InputError

_DURATION = re.compile(r"([0-9]+)([smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_MAX_DURATION_TEXT = 64


@dataclass(frozen=True, slots=True)
class Shape:
    """One table of interlock.toml: its name (`NAME` where the user chooses one), the keys it
    takes with each one's default (None: no fixed default; the docs say what applies), and
    the keys that hold tables of their own (each with its own shape)."""

    name: str
    keys: Mapping[str, object]
    nested: tuple[str, ...] = ()
    array: bool = False

    @property
    def header(self) -> str:
        """The table as written in the file: `[hooks]`, `[[webhooks]]`."""
        return f"[[{self.name}]]" if self.array else f"[{self.name}]"


class Table:
    """One table of a file, its keys checked against `shape`; getters check each value."""

    __slots__ = ("prefix", "shape", "values", "where")

    def __init__(self, value: Any, shape: Shape, where: str, prefix: str = "") -> None:
        """`where` names the table in messages (`/x/interlock.toml: [hooks]`); `prefix` is
        what nested tables put before their own name (`/x/interlock.toml: `)."""
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a table")
        unknown = set(value) - set(shape.keys) - set(shape.nested)
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        self.values: Mapping[str, Any] = value
        self.shape = shape
        self.where = where
        self.prefix = prefix

    @classmethod
    def named(cls, value: Any, shape: Shape, prefix: str, name: str = "") -> Table:
        """The table `shape` (with `name` for its `NAME` part) as found in a file."""
        header = shape.header.replace("NAME", name) if name else shape.header
        return cls(value, shape, f"{prefix}{header}", prefix)

    def has(self, key: str) -> bool:
        return key in self.values

    def raw(self, key: str) -> Any:
        """The value as written, or the shape's default (None for a nested table)."""
        if key in self.values:
            return self.values[key]
        return self.shape.keys.get(key)

    def fail(self, problem: str) -> ConfigError:
        """An error about the table as a whole: `<where>: <problem>`."""
        return ConfigError(f"{self.where}: {problem}")

    def bad(self, key: str, problem: str) -> ConfigError:
        """An error about one key: `<where> <key> <problem>`."""
        return ConfigError(f"{self.where} {key} {problem}")

    # -- scalars

    def string(self, key: str, *, non_empty: bool = False) -> str:
        """A string; an absent key without a fixed default reads as ""."""
        value = self.raw(key)
        if value is None and key not in self.values:
            value = ""
        if not isinstance(value, str) or (non_empty and not value.strip()):
            raise self.bad(key, f"must be a {'non-empty ' if non_empty else ''}string")
        return value

    def optional_string(self, key: str) -> str | None:
        """A non-empty string, or None when the key is absent."""
        return self.string(key, non_empty=True) if key in self.values else None

    def strings(self, key: str, *, non_empty: bool = False) -> tuple[str, ...]:
        value = self.raw(key)
        if (
            not isinstance(value, list)
            or not all(isinstance(item, str) for item in value)
            or (non_empty and not value)
        ):
            raise self.bad(key, f"must be a {'non-empty ' if non_empty else ''}list of strings")
        return tuple(value)

    def flag(self, key: str) -> bool:
        value = self.raw(key)
        if not isinstance(value, bool):
            raise self.bad(key, "must be true or false")
        return value

    def optional_flag(self, key: str) -> bool | None:
        return self.flag(key) if key in self.values else None

    def integer(self, key: str, *, minimum: int, maximum: int | None = None, unit: str = "") -> int:
        value = self.raw(key)
        if not _is_int(value) or not _within(value, minimum, maximum):
            raise self.bad(key, f"must be {_describe('integer', minimum, maximum, unit)}")
        result: int = value
        return result

    def optional_integer(self, key: str, *, minimum: int, unit: str = "") -> int | None:
        return self.integer(key, minimum=minimum, unit=unit) if key in self.values else None

    def number(
        self, key: str, *, minimum: float, maximum: float | None = None, unit: str = ""
    ) -> float:
        """An integer or a finite float (never a boolean), as a float."""
        value = self.raw(key)
        ok = _is_int(value) or (isinstance(value, float) and math.isfinite(value))
        if not ok or not _within(value, minimum, maximum):
            raise self.bad(key, f"must be {_describe('number', minimum, maximum, unit)}")
        return float(value)

    def optional_number(self, key: str, *, minimum: float, unit: str = "") -> float | None:
        return self.number(key, minimum=minimum, unit=unit) if key in self.values else None

    def listen(
        self, key: str, *, example: str, require_host: bool = False, min_port: int = 0
    ) -> tuple[str, int]:
        value = self.raw(key)
        if not isinstance(value, str):
            raise self.bad(key, _listen_problem(example, min_port))
        return parse_listen(
            value,
            f"{self.where} {key}",
            example=example,
            require_host=require_host,
            min_port=min_port,
        )

    def duration(self, key: str, *, example: str) -> int:
        value = self.raw(key)
        if not isinstance(value, str):
            raise self.bad(key, f'must be a duration string such as "{example}"')
        try:
            return parse_duration(value)
        except InputError as exc:
            raise ConfigError(f"{self.where} {key}: {exc}") from None

    # -- nested tables

    def named_tables(self, key: str, shape: Shape) -> list[tuple[str, Table]]:
        """`[<this>.KEY.NAME]` tables, each opened against `shape`."""
        return named_tables(self.values.get(key, {}), shape, self.prefix, f"{self.where}: {key}")

    def array(self, key: str, shape: Shape, name: str = "") -> list[Table]:
        """`[[<this>.KEY]]` tables, each opened against `shape` and named by its number
        (`name`: this table's `NAME`, when it has one)."""
        value = self.values.get(key, [])
        return array_of_tables(value, shape, self.prefix, f"{self.where}: {key}", name)


def named_tables(value: Any, shape: Shape, prefix: str, what: str) -> list[tuple[str, Table]]:
    """`[...NAME]` tables; `what` names their parent in the message when it is something else."""
    if not isinstance(value, dict):
        raise ConfigError(f"{what} must be a table")
    return [(name, Table.named(spec, shape, prefix, name)) for name, spec in value.items()]


def array_of_tables(
    value: Any, shape: Shape, prefix: str, what: str, name: str = ""
) -> list[Table]:
    """`[[...]]` tables; `what` names the array in the message when it is something else."""
    header = shape.header.replace("NAME", name) if name else shape.header
    if not isinstance(value, list):
        raise ConfigError(f"{what} must be an array of tables ({header})")
    return [
        Table(spec, shape, f"{prefix}{header} #{index}", prefix)
        for index, spec in enumerate(value, start=1)
    ]


def parse_listen(
    value: str, what: str, *, example: str, require_host: bool = False, min_port: int = 0
) -> tuple[str, int]:
    """`HOST:PORT` (IPv6 in brackets) → (host, port); an empty host is loopback. `what`
    names the value in the error (`/x/interlock.toml: [server] listen`, `--listen`)."""
    host, sep, port = value.rpartition(":")
    ok = bool(sep) and port.isascii() and port.isdigit() and min_port <= int(port) <= 65535
    if not ok or (require_host and not host):
        raise ConfigError(f"{what} {_listen_problem(example, min_port)}")
    return host.strip("[]") or "127.0.0.1", int(port)


def parse_duration(text: str) -> int:
    """Seconds in `8h`, `30m`, `90s`, `2d` or combinations such as `1h30m`."""
    cleaned = text.strip().lower().replace(" ", "")
    parts = _DURATION.findall(cleaned)
    if (
        not cleaned
        or len(cleaned) > _MAX_DURATION_TEXT
        or "".join(n + u for n, u in parts) != cleaned
    ):
        raise InputError(f"duration {text!r} is not valid: use e.g. 30m, 8h, 1h30m or 2d")
    seconds = sum(int(n) * _UNIT_SECONDS[u] for n, u in parts)
    if seconds <= 0:
        raise InputError(f"duration {text!r} must be longer than zero")
    return seconds


def toml_literal(value: object) -> str:
    """A default as it would be written in interlock.toml (what the docs show)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_literal(item) for item in value) + "]"
    raise TypeError(f"no TOML literal for {value!r}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _within(value: float, minimum: float, maximum: float | None) -> bool:
    return value >= minimum and (maximum is None or value <= maximum)


def _describe(kind: str, minimum: float, maximum: float | None, unit: str) -> str:
    tail = f" ({unit})" if unit else ""
    if maximum is not None:
        return f"a{'n' if kind == 'integer' else ''} {kind} from {minimum:g} to {maximum:g}{tail}"
    if kind == "integer" and minimum == 1 and not unit:
        return "a positive integer"
    return f"a{'n' if kind == 'integer' else ''} {kind} of at least {minimum:g}{tail}"


def _listen_problem(example: str, min_port: int) -> str:
    return f'must be "HOST:PORT" with a port from {min_port} to 65535 (e.g. "{example}")'
