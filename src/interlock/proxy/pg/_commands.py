"""What the session asks the outer world (the asyncio shell) to do.

The session never touches a socket; it answers every event with a list of these. The shell
carries them out in order.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class SendClient:
    """Write these bytes to the client (the agent)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class SendServer:
    """Write these bytes to the upstream PostgreSQL server."""

    data: bytes


@dataclass(frozen=True, slots=True)
class StartClientTLS:
    """Wrap the client connection in TLS now (after the 'S' answer to SSLRequest was sent)."""


@dataclass(frozen=True, slots=True)
class StartServerTLS:
    """Wrap the upstream connection in TLS now (the server answered 'S' to SSLRequest)."""

    context: ssl.SSLContext = field(repr=False)
    server_hostname: str | None = None


@dataclass(frozen=True, slots=True)
class ConnectUpstream:
    """Open the connection to the resource's server at host:port."""

    host: str
    port: int


@dataclass(frozen=True, slots=True)
class ForwardCancel:
    """Cancel the query of the session that handed out this (process id, secret key)."""

    process_id: int
    secret_key: int


@dataclass(frozen=True, slots=True)
class AwaitApproval:
    """Call `Session.approval_tick(wait_id)` every poll interval, with `final=True` once
    `seconds` have passed, until the session no longer awaits this wait."""

    wait_id: int
    seconds: float


@dataclass(frozen=True, slots=True)
class Close:
    """Close both connections: the session is over (`reason` is for the log)."""

    reason: str


Command = (
    SendClient
    | SendServer
    | StartClientTLS
    | StartServerTLS
    | ConnectUpstream
    | ForwardCancel
    | AwaitApproval
    | Close
)
