"""The session limits the proxy relies on, and the settings that would loosen them.

The proxy bounds every session it relays: `statement_timeout` (from `[proxy.pg]`), a
read-only default for read-only agents (for them only: another agent's read-only mode is its
own), and the safety of its own safeguard queries, which
trust PostgreSQL's built-in functions and triggers to be what they are. An agent that can run
`SET statement_timeout = 0`, `SET session_replication_role = replica` (triggers and foreign
keys off) or `SET search_path = mine, pg_catalog` (its functions shadow the built-ins the
classifier vouches for) undoes those limits for the rest of its session, so the proxy refuses
any change that loosens them — SET, SET LOCAL, set_config(), a function's SET clause, inside
DO and EXECUTE too (the classifier finds them all: `interlock.classify.sql.setting_changes`).

Tightening is allowed (a shorter positive timeout, read-only on), and so is RESET (and
`SET … TO DEFAULT`, `RESET ALL`, `DISCARD ALL`): it returns a setting to the value the
session started with, which for the proxy's own limits is the value the proxy gave it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from interlock.classify.sql import Setting

__all__ = ["LIMITS_RULE", "loosened_limit"]

LIMITS_RULE = "pg-proxy-limits"
_TIMEOUTS = frozenset(
    {
        "statement_timeout",
        "lock_timeout",
        "idle_in_transaction_session_timeout",
        "idle_session_timeout",
        "transaction_timeout",
    }
)
_CAPPED = frozenset({"statement_timeout", "transaction_timeout"})
_READ_ONLY = frozenset({"default_transaction_read_only", "transaction_read_only"})
_UNITS = {"us": 0.001, "ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}
_DURATION = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*([a-z]*)\s*$")
_TRUE = frozenset({"on", "true", "yes", "1", "t", "y"})


def _milliseconds(value: object) -> float | None:
    """A timeout setting's value in milliseconds (bare numbers are milliseconds)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        return None
    found = _DURATION.match(value.lower())
    if found is None or found.group(2) not in ("", *_UNITS):
        return None
    return float(found.group(1)) * _UNITS.get(found.group(2), 1)


def _is_on(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    return isinstance(value, str) and value.strip().lower() in _TRUE


def _shadows_catalog(value: object) -> bool:
    """A search path that puts a schema (other than pg_temp, which never holds functions the
    server looks up by name) before pg_catalog, or a path that cannot be read."""
    if not isinstance(value, str):
        return True
    schemas = [s.strip().strip('"').lower() for s in value.split(",")]
    if "pg_catalog" not in schemas:
        return False  # searched first, implicitly
    return any(s not in ("pg_temp", "") for s in schemas[: schemas.index("pg_catalog")])


def loosened_limit(
    settings: Iterable[Setting], statement_timeout_ms: int | None, *, read_only: bool = True
) -> str | None:
    """Why these setting changes loosen a limit the proxy relies on, or None. `read_only`:
    the proxy made this session read-only (an agent granted only reads); for other sessions
    read-only mode is the client's own choice."""
    for setting in settings:
        name, value = setting.name, setting.value
        shown = repr(value) if isinstance(value, str | int | float) else "a value known at run time"
        if name == "?":
            return "it changes a setting named only at run time, which may be one of its limits"
        if setting.reset:
            continue  # back to the value the session started with: the proxy's own
        if name in _TIMEOUTS:
            ms = _milliseconds(value)
            if ms is None or ms <= 0:
                return f"it sets {name} to {shown}, which turns that limit off"
            if name in _CAPPED and statement_timeout_ms is not None and ms > statement_timeout_ms:
                return (
                    f"it raises {name} to {shown}, above this session's limit of "
                    f"{statement_timeout_ms} ms"
                )
        elif name in _READ_ONLY and read_only and not _is_on(value):
            return f"it sets {name} to {shown}: read-only mode may be the limit Interlock applied"
        elif name == "session_replication_role" and not (
            isinstance(value, str) and value.strip().lower() in ("origin", "local")
        ):
            return (
                f"it sets session_replication_role to {shown}, which turns off triggers and "
                "foreign-key checks"
            )
        elif name == "search_path" and _shadows_catalog(value):
            return (
                f"it sets search_path to {shown}, putting a schema before pg_catalog: functions "
                "there would shadow the built-ins Interlock vouches for"
            )
    return None
