"""`[server]` in interlock.toml: the control plane's own knobs, validated.

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

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interlock.errors import ConfigError

DEFAULT_PORT = 8900


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


_KEYS = {
    "listen",
    "public_url",
    "owner_separation",
    "session_idle",
    "session_max",
    "login_rate",
    "lockout_after",
    "lockout_seconds",
    "secure_cookies",
    "decide_max_wait",
}


def parse_listen(value: str, where: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"{where}: listen must be HOST:PORT, e.g. 127.0.0.1:{DEFAULT_PORT}")
    return host.strip("[]") or "127.0.0.1", int(port)


def load_server_settings(config_path: Path) -> ServerSettings:
    """Read `[server]`; raises `ConfigError` naming the file and key that is wrong."""
    try:
        raw = tomllib.loads(config_path.read_text())
    except OSError as exc:
        raise ConfigError(f"{config_path}: cannot read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_path}: not valid TOML ({exc})") from None
    table = raw.get("server", {})
    where = f"{config_path}: [server]"
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    unknown = set(table) - _KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    host, port = parse_listen(str(table.get("listen", f"127.0.0.1:{DEFAULT_PORT}")), where)
    public_url = table.get("public_url", "")
    if not isinstance(public_url, str):
        raise ConfigError(f"{where}: public_url must be a string")
    separation = table.get("owner_separation", False)
    if not isinstance(separation, bool):
        raise ConfigError(f"{where}: owner_separation must be true or false")
    cookies = table.get("secure_cookies", "auto")
    cookie_mode = {"auto": "auto", True: "always", False: "never"}.get(cookies)
    if cookie_mode is None:
        raise ConfigError(f'{where}: secure_cookies must be "auto", true or false')
    return ServerSettings(
        host=host,
        port=port,
        public_url=public_url,
        owner_separation=separation,
        session_idle=_number(table, "session_idle", 1800, where, 60),
        session_max=_number(table, "session_max", 43200, where, 60),
        login_rate=int(_number(table, "login_rate", 10, where, 1)),
        lockout_after=int(_number(table, "lockout_after", 5, where, 1)),
        lockout_seconds=_number(table, "lockout_seconds", 900, where, 1),
        secure_cookies=cookie_mode,
        decide_max_wait=_number(table, "decide_max_wait", 60, where, 0),
    )


def _number(table: dict[str, Any], key: str, default: float, where: str, minimum: float) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise ConfigError(f"{where}: {key} must be a number of at least {minimum:g}")
    return float(value)
