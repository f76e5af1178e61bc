"""What an agent asks to do, as an enforcement point saw it, and the one fingerprint of it.

Every enforcement point (the proxies, the hooks, `/v1/decide`) translates its protocol into
an `ActionRequest`. The fingerprint an approval is bound to is computed here, once, with one
recipe: a keyed HMAC over length-prefixed parts, so the approval store and the audit log can
say "the same action" without holding it, and a changed byte anywhere (the volume id, the
method, a header that selects the tenant) is a different action that an approval does not
cover.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from interlock.audit import canonical_json
from interlock.model import Agent, Resource

FINGERPRINT_VERSION = "interlock-action/1"

# What the agent is told it sent, by classifier kind: "this statement", "this request", …
_NOUNS = {
    "sql": "statement",
    "shell": "command",
    "http": "request",
    "graphql": "request",
    "mcp": "tool call",
    "file": "file change",
}


@dataclass(frozen=True, slots=True)
class ActionRequest:
    """One thing an agent asks to do, whatever protocol carried it.

    `payload` is what the classifier reads and what an approval is bound to; `binding` holds
    the other parts that change what the action means without being classified (an HTTP
    method, path and query, headers that select a tenant or override the method). `context`
    adds protocol fields to the decision record (the tool, the hook event, the cwd, the
    PostgreSQL message type). `cwd` is where a command runs, when the enforcement point
    knows it (hooks do): relative paths and the scripts a command runs are read from there.
    """

    source: str
    agent: Agent
    resource: Resource
    kind: str
    payload: object
    binding: tuple[str | bytes, ...] = ()
    summary: str = ""
    stated_reason: str = ""
    session_id: str = ""
    cwd: str = ""
    context: Mapping[str, object] = field(default_factory=dict)

    @property
    def noun(self) -> str:
        """What the agent is told it sent: statement, command, request, tool call, …"""
        return _NOUNS.get(self.kind, "action")

    @property
    def agent_key(self) -> str:
        """The agent's stable id (its name for the unnamed agent of `interlock check`)."""
        return self.agent.id or self.agent.name


def request_fingerprint(key: bytes, request: ActionRequest) -> str:
    """The keyed fingerprint of exactly this action by this agent on this resource."""
    return keyed_digest(
        key,
        (
            FINGERPRINT_VERSION,
            request.agent_key,
            request.resource.name,
            request.kind,
            _payload_bytes(request.payload),
            *request.binding,
        ),
    )


def keyed_digest(key: bytes, parts: Iterable[bytes | str]) -> str:
    """HMAC-SHA256 over length-prefixed parts: no two part lists share a digest.

    This is the fingerprint an approval is bound to: the store and the audit log can say
    "the same request" without holding it, and a changed byte anywhere (the volume id, a
    header that selects the target, the method) is a different action."""
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for part in parts:
        data = part.encode("utf-8", "surrogateescape") if isinstance(part, str) else part
        mac.update(len(data).to_bytes(8, "big"))
        mac.update(data)
    return mac.hexdigest()


def _payload_bytes(payload: object) -> bytes:
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, str):
        return payload.encode("utf-8", "surrogateescape")
    return canonical_json(payload).encode("utf-8", "surrogateescape")
