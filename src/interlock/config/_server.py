"""`[server]`: the control plane's own knobs.

[server]
listen = "127.0.0.1:8900"    # loopback by default; put TLS in front for anything else
public_url = ""              # how humans reach the console (links in notifications)
owner_separation = false     # true: an agent's owner may never approve its holds
session_idle = 1800          # seconds of inactivity before a console session ends
session_max = 43200          # seconds after which a session ends regardless
login_rate = 10              # login attempts per minute from one address
lockout_after = 5            # consecutive failed logins that lock a user name ...
lockout_seconds = 900        # ... for this long
secure_cookies = "auto"      # "auto": Secure when the request came over TLS; true; false
decide_max_wait = 60         # the longest `Prefer: wait=N` POST /v1/decide honours
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from interlock.config._values import Shape, Table

DEFAULT_PORT = 8900
DEFAULT_SERVER_LISTEN = f"127.0.0.1:{DEFAULT_PORT}"

SERVER = Shape(
    "server",
    {
        "listen": DEFAULT_SERVER_LISTEN,
        "public_url": "",
        "owner_separation": False,
        "session_idle": 1800.0,
        "session_max": 43200.0,
        "login_rate": 10,
        "lockout_after": 5,
        "lockout_seconds": 900.0,
        "secure_cookies": "auto",
        "decide_max_wait": 60.0,
    },
)
_COOKIE_MODES: dict[object, str] = {"auto": "auto", True: "always", False: "never"}


@dataclass(frozen=True, slots=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    public_url: str = ""
    owner_separation: bool = False
    session_idle: float = 1800.0
    session_max: float = 43200.0
    login_rate: int = 10
    lockout_after: int = 5
    lockout_seconds: float = 900.0
    secure_cookies: str = "auto"  # "auto" | "always" | "never"
    decide_max_wait: float = 60.0

    def console_url(self, port: int | None = None) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"http://{self.host}:{port if port is not None else self.port}"


def server_from(value: Any, prefix: str) -> ServerSettings:
    table = Table.named(value, SERVER, prefix)
    host, port = table.listen("listen", example=DEFAULT_SERVER_LISTEN)
    cookies = table.raw("secure_cookies")
    cookie_mode = _COOKIE_MODES.get(cookies) if isinstance(cookies, str | bool) else None
    if cookie_mode is None:
        raise table.bad("secure_cookies", 'must be "auto", true or false')
    return ServerSettings(
        host=host,
        port=port,
        public_url=table.string("public_url"),
        owner_separation=table.flag("owner_separation"),
        session_idle=table.number("session_idle", minimum=60, unit="seconds"),
        session_max=table.number("session_max", minimum=60, unit="seconds"),
        login_rate=table.integer("login_rate", minimum=1, unit="per minute"),
        lockout_after=table.integer("lockout_after", minimum=1),
        lockout_seconds=table.number("lockout_seconds", minimum=1, unit="seconds"),
        secure_cookies=cookie_mode,
        decide_max_wait=table.number("decide_max_wait", minimum=0, unit="seconds"),
    )
