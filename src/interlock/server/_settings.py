"""`[server]` in interlock.toml: the control plane's own knobs.

The table is read and checked by `interlock.config` (its keys, defaults and messages are
there, and in docs/configuration.md); this module keeps the server's names for it.
"""

from __future__ import annotations

from pathlib import Path

from interlock.config import DEFAULT_PORT, ServerSettings, read_config
from interlock.config import parse_listen as _parse_listen

__all__ = ["DEFAULT_PORT", "ServerSettings", "load_server_settings", "parse_listen"]


def parse_listen(value: str, where: str) -> tuple[str, int]:
    """`HOST:PORT` → (host, port); `where` names the table in the error."""
    return _parse_listen(value, f"{where} listen", example=f"127.0.0.1:{DEFAULT_PORT}")


def load_server_settings(config_path: Path) -> ServerSettings:
    """Read `[server]`; raises `ConfigError` naming the file and key that is wrong."""
    return read_config(config_path).server
