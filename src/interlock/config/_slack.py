"""`[slack]`: Approve and Deny buttons in Slack, through Slack's interactivity endpoint.

[slack]
signing_secret_env = "INTERLOCK_SLACK_SIGNING_SECRET"   # the app's signing secret, from here
max_age = 300                    # seconds a request's timestamp may be from now (replays)

[[slack.users]]                  # who a Slack user is in Interlock: unmapped users are refused
slack_id = "U024BE7LH"
human = "alice"                  # a human registered with `interlock user add`

The signing secret never sits in the file; without the table (or with the variable unset)
the endpoint answers 404 and notifications carry no buttons.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from interlock.config._values import Shape, Table

DEFAULT_SIGNING_SECRET_ENV = "INTERLOCK_SLACK_SIGNING_SECRET"  # noqa: S105 (a variable name)
SLACK = Shape(
    "slack",
    {"signing_secret_env": DEFAULT_SIGNING_SECRET_ENV, "max_age": 300.0},
    nested=("users",),
)
SLACK_USER = Shape("slack.users", {"slack_id": None, "human": None}, array=True)


@dataclass(frozen=True, slots=True)
class SlackSettings:
    """The `[slack]` table; `enabled` is False when the file has none."""

    enabled: bool = False
    signing_secret_env: str = DEFAULT_SIGNING_SECRET_ENV
    max_age: float = 300.0
    users: Mapping[str, str] = field(default_factory=dict)  # Slack user id → human name


def slack_from(value: Any, prefix: str, *, present: bool) -> SlackSettings:
    table = Table.named(value, SLACK, prefix)
    users: dict[str, str] = {}
    for entry in table.array("users", SLACK_USER):
        slack_id = entry.string("slack_id", non_empty=True)
        if slack_id in users:
            raise entry.bad("slack_id", f"{slack_id} is mapped twice")
        users[slack_id] = entry.string("human", non_empty=True)
    env = table.string("signing_secret_env", non_empty=True)
    return SlackSettings(
        enabled=present,
        signing_secret_env=env,
        max_age=table.number("max_age", minimum=1, maximum=3600, unit="seconds"),
        users=MappingProxyType(users),
    )
