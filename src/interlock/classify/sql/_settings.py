"""Run-time settings that change what later statements may do.

Most settings (`statement_timeout`, `search_path`, `work_mem`) only tune the session and
are reads (the PostgreSQL proxy refuses the ones its own limits rest on, see
`interlock.proxy.pg`). The few here change privileges (`role`, `session_authorization`:
privilege), turn off safety checks, or make the server load code or run shell commands;
the same table judges `SET`, `RESET`, `set_config()`,
`ALTER ROLE/DATABASE … SET` and `BEGIN READ WRITE`.
"""

from __future__ import annotations

from dataclasses import dataclass

from interlock.classify.sql._fold import UNKNOWN, as_bool
from interlock.model import Verb

__all__ = ["Setting", "judge_setting"]


@dataclass(frozen=True, slots=True)
class Setting:
    """One change of a run-time setting somewhere in a statement (SET, RESET, set_config(),
    a function's SET clause, BEGIN's options, inside DO and EXECUTE too).

    `name` is lower-case, `?` when named only at run time, `all` for RESET ALL; `value` is
    the folded value (UNKNOWN when not a constant); `reset` for RESET and SET … TO DEFAULT.
    Enforcement points that rely on a setting (the PostgreSQL proxy's statement_timeout)
    read these: a read may still loosen a limit."""

    name: str
    value: object
    reset: bool = False


_PRIVILEGE = frozenset({"role", "session_authorization"})
_READ_ONLY = frozenset({"transaction_read_only", "default_transaction_read_only"})
_RUNS_CODE = frozenset(
    {
        "session_preload_libraries",
        "local_preload_libraries",
        "shared_preload_libraries",
        "dynamic_library_path",
        "archive_command",
        "archive_library",
        "restore_command",
        "archive_cleanup_command",
        "recovery_end_command",
        "ssl_passphrase_command",
    }
)
_DESTRUCTIVE = {
    "zero_damaged_pages": "makes the server silently discard damaged pages, losing their rows",
    "allow_system_table_mods": "allows direct changes to the system catalogs",
}
_UNSAFE = {
    "ignore_checksum_failure": "makes the server read pages that fail their checksum",
    "lo_compat_privileges": "turns off privilege checks on large objects",
}


def judge_setting(name: str, value: object, *, reset: bool = False) -> tuple[Verb, str] | None:
    """(verb, reason) when giving setting `name` the folded `value` is not harmless.

    `value` may be UNKNOWN (not a constant); `reset` means RESET / SET … TO DEFAULT.
    """
    name = name.lower()
    shown = (
        "its default"
        if reset
        else ("a value known only at run time" if value is UNKNOWN else repr(value))
    )
    if name in _PRIVILEGE:
        if reset or (isinstance(value, str) and value.lower() in ("none", "default")):
            return None
        return (
            Verb.PRIVILEGE,
            f"setting {name} changes the privileges every later statement runs with",
        )
    if name in _READ_ONLY:
        if not reset and as_bool(value) is True:
            return None
        return (
            Verb.UNKNOWN,
            f"setting {name} to {shown} can turn off read-only mode, which Interlock may rely on",
        )
    if name == "session_replication_role":
        if not reset and isinstance(value, str) and value.lower() in ("origin", "local"):
            return None
        if reset:
            return None
        return (
            Verb.UNKNOWN,
            "session_replication_role = replica turns off triggers and foreign-key checks",
        )
    if name in _RUNS_CODE:
        return Verb.DESTRUCTIVE, f"setting {name} makes the server load code or run shell commands"
    if name in _DESTRUCTIVE:
        if not reset and as_bool(value) is False:
            return None
        return Verb.DESTRUCTIVE, f"setting {name} {_DESTRUCTIVE[name]}"
    if name in _UNSAFE:
        if not reset and as_bool(value) is False:
            return None
        return Verb.UNKNOWN, f"setting {name} {_UNSAFE[name]}"
    return None
