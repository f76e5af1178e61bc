"""`[up]` and `[up.pg]`: how `interlock up` runs the components the file configures.

What only a running system can check (a certificate that loads, a free port, a resource
that exists) is `interlock up`'s own business; this is the file's shape and values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from interlock.config._values import Shape, Table

DEFAULT_MAX_RESTARTS = 5
DEFAULT_STOP_TIMEOUT = 5.0
DEFAULT_PG_LISTEN = "127.0.0.1:6432"

UP = Shape(
    "up",
    {
        "server": True,
        "hooks": None,
        "max_restarts": DEFAULT_MAX_RESTARTS,
        "stop_timeout": DEFAULT_STOP_TIMEOUT,
    },
    nested=("pg",),
)
UP_PG = Shape(
    "up.pg",
    {
        "listen": DEFAULT_PG_LISTEN,
        "tls_cert": "",
        "tls_key": "",
        "allow_cleartext_on_loopback": False,
    },
)


@dataclass(frozen=True, slots=True)
class UpPgSettings:
    """`[up.pg]`: where `interlock up` runs the PostgreSQL proxy. `tls_cert` and `tls_key`
    are as written (relative to interlock.toml), both or neither."""

    listen: str = DEFAULT_PG_LISTEN
    host: str = "127.0.0.1"
    port: int = 6432
    tls_cert: str = ""
    tls_key: str = ""
    allow_cleartext_on_loopback: bool = False


@dataclass(frozen=True, slots=True)
class UpSettings:
    """`[up]`; `hooks` None: run the hooks daemon when `[hooks]` exists; `pg` None: no
    `[up.pg]` table."""

    server: bool = True
    hooks: bool | None = None
    max_restarts: int = DEFAULT_MAX_RESTARTS
    stop_timeout: float = DEFAULT_STOP_TIMEOUT
    pg: UpPgSettings | None = None


def up_from(value: Any, prefix: str) -> UpSettings:
    table = Table.named(value, UP, prefix)
    return UpSettings(
        server=table.flag("server"),
        hooks=table.optional_flag("hooks"),
        max_restarts=table.integer("max_restarts", minimum=0),
        stop_timeout=table.number("stop_timeout", minimum=0.1, maximum=300, unit="seconds"),
        pg=_pg(Table.named(table.raw("pg"), UP_PG, prefix)) if table.has("pg") else None,
    )


def _pg(table: Table) -> UpPgSettings:
    host, port = table.listen("listen", example=DEFAULT_PG_LISTEN, require_host=True, min_port=1)
    cert, key = table.raw("tls_cert"), table.raw("tls_key")
    if not isinstance(cert, str) or not isinstance(key, str):
        raise table.fail("tls_cert and tls_key must be file names")
    if bool(cert) != bool(key):
        raise table.fail("give both tls_cert and tls_key")
    return UpPgSettings(
        table.string("listen"),
        host,
        port,
        cert,
        key,
        table.flag("allow_cleartext_on_loopback"),
    )
