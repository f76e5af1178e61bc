"""What the exchange asks the outer world (the asyncio shell) to do.

The exchange never touches a socket, the clock or the disk; it answers every event with a
list of these, which the shell carries out in order. A command that has an answer names
the exchange's event the shell calls with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from interlock.enforce import ActionRequest, Verdict
from interlock.model import Decision
from interlock.proxy.http._config import BeforeHook
from interlock.proxy.http._replies import Reply
from interlock.proxy.http._routes import Route


@dataclass(frozen=True, slots=True)
class UpstreamRequest:
    """A request for the route's upstream, headers already rewritten (credential in)."""

    route: Route
    method: str
    target: str  # path and query after the route's prefix
    headers: tuple[tuple[str, str], ...] = field(repr=False)
    body: bytes = field(default=b"", repr=False)


@dataclass(frozen=True, slots=True)
class Respond:
    """Send the agent this reply of Interlock's own; `close`: then close the connection."""

    reply: Reply
    close: bool = False


@dataclass(frozen=True, slots=True)
class Authenticate:
    """Verify the agent's token: answer `authenticated(agent)` or `unauthorized(message)`."""

    token: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class ReadBody:
    """Read the request body up to `limit` bytes: `body_received(body)` or `body_too_large()`."""

    limit: int


@dataclass(frozen=True, slots=True)
class Decide:
    """Classify, ask the gate (unless `decision` is given) and record the decision before
    anything is forwarded: answer `decided(verdict)`."""

    request: ActionRequest = field(repr=False)  # its payload: `classified` as JSON
    route: Route
    classified: Mapping[str, object] = field(repr=False)  # what the classifier reads
    decision: Decision | None = None


@dataclass(frozen=True, slots=True)
class Resolve:
    """A held action: claim a human's approval of exactly this action (recorded), or open
    (or find) a request: answer `resolved(verdict)`. `delay`: a claimed approval starts a
    cancel window."""

    verdict: Verdict
    delay: float = 0.0


@dataclass(frozen=True, slots=True)
class AwaitApproval:
    """Wait up to `seconds` for a human to decide the held action: answer
    `approval_settled(verdict)`, its outcome recorded (approved, held, denied, …)."""

    verdict: Verdict
    seconds: float
    delay: float = 0.0


@dataclass(frozen=True, slots=True)
class Schedule:
    """Open the cancel window of an allowed action with a delay: answer `scheduled(verdict)`."""

    verdict: Verdict
    delay: float


@dataclass(frozen=True, slots=True)
class AwaitWindow:
    """Wait out the cancel window: answer `window_over(verdict)`, ALLOW when the action may
    run now, else the refusal (who cancelled it), its outcome recorded."""

    verdict: Verdict
    delay: float


@dataclass(frozen=True, slots=True)
class Detach:
    """The agent has its answer: carry on without the client connection, in the background
    (nothing after this reads the request or writes to the agent)."""


@dataclass(frozen=True, slots=True)
class CallHook:
    """Send a before hook (the snapshot) upstream: answer `hook_answered(status, text)`,
    with the start of the body as text, or status 0 and the error's name if it failed.
    With `hook.export` the copy goes to Interlock's vault (`_export`): answer
    `hook_answered(status, text, snapshot)` with the snapshot's id ("" when none)."""

    request: UpstreamRequest
    hook: BeforeHook | None = None
    target: str = ""
    seq: int | None = None


@dataclass(frozen=True, slots=True)
class Forward:
    """Send the request upstream. `stream`: stream the response to the agent (credential
    masked); else read and drop it. Answer `forwarded(status, size, ms)` or
    `upstream_failed(timed_out, error, responded)`."""

    request: UpstreamRequest
    stream: bool = True


@dataclass(frozen=True, slots=True)
class Settle:
    """Record what became of the decision (an outcome record; never fails the exchange)."""

    verdict: Verdict
    outcome: str
    detail: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Record:
    """Append an audit record (a safeguard's run)."""

    type: str
    body: Mapping[str, object]


@dataclass(frozen=True, slots=True)
class CutConnection:
    """Close the agent's connection: the upstream's headers went out, its body cannot end."""


Command = (
    Respond
    | Authenticate
    | ReadBody
    | Decide
    | Resolve
    | AwaitApproval
    | Schedule
    | AwaitWindow
    | Detach
    | CallHook
    | Forward
    | Settle
    | Record
    | CutConnection
)
