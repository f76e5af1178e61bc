"""What the session asks the outer world (the asyncio shell) to do.

The session never touches a socket, nor Interlock's state; it answers every event with a list
of these, and the shell carries them out in order. Four of them carry a call that reads or
writes Interlock's state (SQLite): the shell runs those calls off the event loop, one after
the other in the order asked (one state thread), and feeds each result back to the session
event the command names — so a statement waiting for its audit record never stalls the
other connections.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from interlock.proxy.pg._handshake import Login
    from interlock.proxy.pg._ruling import Ruling


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
class Authenticate:
    """Check the agent's login off the event loop (`login()`: token, resource, credential,
    the session's opening record); feed the `Login`, or the exception, to
    `Session.logged_in`."""

    user: str
    database: str
    login: Callable[[], Login] = field(repr=False)  # holds the token


@dataclass(frozen=True, slots=True)
class Decide:
    """Finish deciding a statement off the event loop (`finish()`: its audit record, the
    approval it claims or opens); feed the `Ruling`, or the exception, to `Session.decided`."""

    finish: Callable[[], Ruling]
    blocking: bool = False
    """Run on a worker thread instead of the state thread: work that may take seconds (a
    snapshot into the vault) and touches none of Interlock's state."""


@dataclass(frozen=True, slots=True)
class Record:
    """Write bookkeeping off the event loop that nothing waits for (a refused login, a
    safeguard taken, a wait abandoned, the session's end); a failure is logged."""

    write: Callable[[], None]


@dataclass(frozen=True, slots=True)
class AwaitApproval:
    """Every poll interval, run `poll(final)` off the event loop (has a human decided?) and
    feed its answer to `Session.approval_polled(wait_id, …)`, with `final=True` once
    `seconds` have passed, until the session no longer awaits this wait."""

    wait_id: int
    seconds: float
    poll: Callable[[bool], Ruling | None]


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
    | Authenticate
    | Decide
    | Record
    | AwaitApproval
    | Close
)
