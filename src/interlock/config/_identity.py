"""`[identity]`: limits on what agent tokens may be."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from interlock.config._values import Shape, Table

DEFAULT_MAX_TTL = "24h"

IDENTITY = Shape("identity", {"max_ttl": DEFAULT_MAX_TTL})


@dataclass(frozen=True, slots=True)
class IdentitySettings:
    """`[identity]`; `max_ttl` in seconds: no token, or child token, lives longer."""

    max_ttl: int = 24 * 3600


def identity_from(value: Any, prefix: str) -> IdentitySettings:
    table = Table.named(value, IDENTITY, prefix)
    return IdentitySettings(table.duration("max_ttl", example=DEFAULT_MAX_TTL))
