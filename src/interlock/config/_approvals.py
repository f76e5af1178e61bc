"""`[approvals]`: who may decide a held action from the command line.

A coding agent runs shell commands as the same OS user as its developer, so the OS user is
no proof of a human: deciding needs a registered human's password and TOTP code, unless a
single-person setup says otherwise here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from interlock.config._values import Shape, Table

APPROVALS = Shape("approvals", {"local_operator": False})


@dataclass(frozen=True, slots=True)
class ApprovalSettings:
    """The `[approvals]` table of interlock.toml."""

    local_operator: bool = False


def approvals_from(value: Any, prefix: str) -> ApprovalSettings:
    table = Table.named(value, APPROVALS, prefix)
    return ApprovalSettings(local_operator=table.flag("local_operator"))
