"""Request bodies of the REST API (Pydantic), bounded so no input is unreasonably large."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Name = Field(min_length=1, max_length=128)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginBody(Strict):
    name: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=1024)
    code: str = Field(min_length=1, max_length=16)


class DecideBody(Strict):
    kind: Literal["shell", "sql", "graphql", "http", "mcp"]
    payload: Any = Field(description="the input as the agent would send it (see docs/check.md)")
    resource: str | None = Field(default=None, min_length=1, max_length=128)
    env: str | None = Field(default=None, min_length=1, max_length=64)
    reason: str = Field(default="", max_length=2000, description="the agent's stated reason")


class CommentBody(Strict):
    comment: str = Field(default="", max_length=1000)


class AgentBody(Strict):
    name: str = Field(min_length=1, max_length=128)
    environments: list[str] = Field(min_length=1, max_length=32)
    task: str = Field(min_length=1, max_length=500)
    owner: str = Field(min_length=1, max_length=200)
    resources: list[str] | None = Field(default=None, max_length=256)
    max_risk: Literal["read", "write", "destructive", "privilege"] = "write"
    ttl: str | None = Field(default=None, max_length=16, description='e.g. "8h", "30m"')


class ResourceBody(Strict):
    name: str = Field(min_length=1, max_length=128)
    kind: Literal["postgres", "http", "mcp", "generic"] = "generic"
    environment: str = Field(default="production", min_length=1, max_length=64)
    tags: list[str] = Field(default_factory=list, max_length=32)
    owner: str = Field(default="", max_length=200)
    upstream: str = Field(min_length=1, max_length=2000)
    credential: str | None = Field(
        default=None, max_length=65536, description="sealed at rest; never returned"
    )


class PolicyFile(Strict):
    name: str = Field(min_length=1, max_length=200)
    text: str = Field(max_length=200_000)


class ValidateBody(Strict):
    files: list[PolicyFile] = Field(
        default_factory=list,
        max_length=100,
        description="policy files to validate; none: the home's policies on disk",
    )


class TryBody(Strict):
    kind: Literal["shell", "sql", "graphql", "http", "mcp"]
    payload: Any
    env: str | None = Field(default=None, min_length=1, max_length=64)
    agent: str | None = Field(default=None, min_length=1, max_length=128)
    resource: str | None = Field(default=None, min_length=1, max_length=128)
    reason: str = Field(default="", max_length=2000)


Event = Literal["hold", "approved", "denied", "suspended", "drill_failed"]


def _every_event() -> list[Event]:
    return ["hold", "approved", "denied", "suspended", "drill_failed"]


class WebhookBody(Strict):
    url: str = Field(min_length=1, max_length=2000)
    format: Literal["json", "slack"] = "json"
    events: list[Event] = Field(default_factory=_every_event, max_length=4)
    secret: str = Field(
        min_length=16, max_length=512, description="HMAC key for signatures; never returned"
    )
