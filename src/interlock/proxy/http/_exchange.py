"""One agent request as a state machine: events in, commands out, no I/O.

    request head ──> start() ──┐                     ┌──> Authenticate / ReadBody / Decide
    the shell's answers  ──────┼──> Exchange ────────┤    Resolve / AwaitApproval / Schedule
    (authenticated, decided,   │                     │    AwaitWindow / CallHook / Forward
     approval_settled, …)   ───┘                     └──> Respond / Settle / Detach (_commands)

In order:

    route (404) → agent token (401) → body, bounded (413) → classify + gate + audit record
      deny  → 403 with the reason
      hold  → an approved request for this exact action? claim it and go on; otherwise
              open one, wait up to `Prefer: wait=N` for a human, then go on, or 403
              naming the request (or the human who said no)
      allow → delay? (cancel window: inline when the agent waits that long, else a 202 now
              and the rest in the background) → before hooks (snapshot)? → forward
    → outcome record (`Settle`, after the response: never on the agent's latency path)

Everything the exchange needs later is copied from the request head when it starts, so
the part that runs after a 202 never depends on the server's request object.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from interlock.approvals import Status
from interlock.enforce import Verdict, delay_seconds, safeguard_name
from interlock.model import Agent, Decision, Outcome, Resource
from interlock.proxy.http._action import action_request, classify_payload, oversized_decision
from interlock.proxy.http._commands import (
    Authenticate,
    AwaitApproval,
    AwaitWindow,
    CallHook,
    Command,
    CutConnection,
    Decide,
    Detach,
    Forward,
    ReadBody,
    Record,
    Resolve,
    Respond,
    Schedule,
    Settle,
    UpstreamRequest,
)
from interlock.proxy.http._config import BeforeHook
from interlock.proxy.http._headers import (
    agent_token,
    forwarded_headers,
    prefer_wait,
    stated_reason,
    with_credential,
)
from interlock.proxy.http._hooks import HookRefused, hook_body
from interlock.proxy.http._replies import (
    bad_path_reply,
    deny_reply,
    no_route_reply,
    safeguard_failed_reply,
    scheduled_reply,
    too_large_reply,
    unauthorized_reply,
    unscannable_reply,
    upstream_failed_reply,
    verdict_reply,
)
from interlock.proxy.http._routes import PathRefused, Route, before_hooks, route_request

HOOK_TEXT_LIMIT = 65536  # bytes of a before hook's answer worth reading for `errors`


class Phase(enum.Enum):
    START = "start"
    AUTHENTICATING = "authenticating"
    READING = "reading"
    DECIDING = "deciding"
    RESOLVING = "resolving"
    AWAITING_APPROVAL = "awaiting-approval"
    SCHEDULING = "scheduling"
    IN_WINDOW = "in-window"
    HOOKS = "hooks"
    FORWARDING = "forwarding"
    DONE = "done"


class ExchangeError(Exception):
    """An event the exchange did not ask for (a bug in the shell, never the agent's input)."""


@dataclass(frozen=True, slots=True)
class RequestHead:
    """What the server parsed before the body: copied, so nothing later needs the request."""

    method: str
    target: str  # path and query, as sent
    headers: tuple[tuple[str, str], ...]
    content_length: int | None = None


@dataclass(frozen=True, slots=True)
class Site:
    """What the proxy fronts: its routes, their resources, and its limits."""

    routes: tuple[Route, ...]
    resources: Mapping[str, Resource]
    max_body: int
    max_wait: float


def graphql_errors(text: str) -> bool:
    """True when a (GraphQL) JSON answer reports `errors`, whatever its HTTP status."""
    try:
        value = json.loads(text)
    except ValueError:
        return False
    return isinstance(value, dict) and bool(value.get("errors"))


def _joined(headers: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """Headers by lower-case name, a repeated one's values joined with `, ` (RFC 9110 §5.3):
    the classifier sees every value (`X-HTTP-Method-Override: DELETE` then `: GET`), never
    only the last while the upstream may act on the first."""
    out: dict[str, str] = {}
    for name, value in headers:
        lower = name.lower()
        out[lower] = f"{out[lower]}, {value}" if lower in out else value
    return out


class Exchange:
    """One request, from its head to its outcome record."""

    __slots__ = (
        "_forwarded",
        "_hook",
        "_hooks",
        "_oversized",
        "agent",
        "body",
        "delay",
        "detached",
        "head",
        "headers",
        "phase",
        "rest",
        "route",
        "site",
        "verdict",
        "wait",
    )

    def __init__(self, head: RequestHead, site: Site) -> None:
        self.head = head
        self.site = site
        self.phase = Phase.START
        self.route: Route | None = None
        self.rest = "/"
        self.headers: dict[str, str] = {}
        self.agent: Agent | None = None
        self.body = b""
        self.wait = 0.0  # how long the agent waits for a human or a cancel window
        self.verdict: Verdict | None = None
        self.delay = 0.0
        self.detached = False  # the agent has its answer (a 202); the rest is background
        self._oversized = False
        self._forwarded: list[tuple[str, str]] = []  # the agent's headers that go upstream
        self._hooks: list[tuple[BeforeHook, str]] = []
        self._hook: tuple[BeforeHook, str] | None = None

    # --- events ---------------------------------------------------------------------------

    def start(self) -> list[Command]:
        self._expect(Phase.START)
        try:
            found = route_request(self.site.routes, self.head.target)
        except PathRefused as refused:
            self.phase = Phase.DONE
            return [Respond(bad_path_reply(self.head.target, str(refused)))]
        if found is None:
            self.phase = Phase.DONE
            prefixes = (route.prefix for route in self.site.routes)
            return [Respond(no_route_reply(self.head.target, prefixes))]
        self.route, self.rest = found
        self.headers = _joined(self.head.headers)
        self._forwarded = forwarded_headers(self.head.headers, self.route)
        asked = prefer_wait(self.headers)
        self.wait = min(self.route.wait if asked is None else asked, self.site.max_wait)
        self.phase = Phase.AUTHENTICATING
        return [Authenticate(agent_token(self.headers))]

    def unauthorized(self, message: str) -> list[Command]:
        self._expect(Phase.AUTHENTICATING)
        self.phase = Phase.DONE
        return [Respond(unauthorized_reply(message), close=True)]

    def authenticated(self, agent: Agent) -> list[Command]:
        self._expect(Phase.AUTHENTICATING)
        self.agent = agent
        length = self.head.content_length
        if length is not None and length > self.site.max_body:
            return self._refuse_oversized()
        self.phase = Phase.READING
        return [ReadBody(self.site.max_body)]

    def body_received(self, body: bytes) -> list[Command]:
        self._expect(Phase.READING)
        self.body = body
        self.phase = Phase.DECIDING
        return self._decide(body)

    def body_too_large(self) -> list[Command]:
        self._expect(Phase.READING)
        return self._refuse_oversized()

    def decided(self, verdict: Verdict) -> list[Command]:
        self._expect(Phase.DECIDING)
        self.verdict = verdict
        decision = verdict.decision
        if self._oversized:
            self.phase = Phase.DONE
            return [
                Settle(verdict, "refused", {"status": 413}),
                Respond(too_large_reply(self.site.max_body), close=True),
            ]
        if verdict.outcome is Outcome.DENY:
            self.phase = Phase.DONE
            return [Settle(verdict, "refused", {"status": 403}), Respond(deny_reply(verdict))]
        if verdict.shadow:  # shadow mode: recorded as it would have been, enforced not at all
            return self._run()
        route = self._route()
        if any(safeguard_name(s) == "snapshot" for s in decision.safeguards):
            self._hooks = list(before_hooks(route, decision))
        self.delay = delay_seconds(decision, route.delay)
        if verdict.outcome is Outcome.HOLD:
            self.phase = Phase.RESOLVING
            return [Resolve(verdict, self.delay)]
        if self.delay > 0:
            self.phase = Phase.SCHEDULING
            return [Schedule(verdict, self.delay)]
        return self._run()

    def resolved(self, verdict: Verdict) -> list[Command]:
        """The held action met the approval store: approved (claimed, recorded) or held."""
        self._expect(Phase.RESOLVING)
        self.verdict = verdict
        if verdict.outcome is Outcome.ALLOW:
            return self._approved(verdict)
        pending = verdict.approval is not None and verdict.approval.status is Status.PENDING
        if verdict.outcome is Outcome.HOLD and pending and self.wait > 0:
            self.phase = Phase.AWAITING_APPROVAL
            return [AwaitApproval(verdict, self.wait, self.delay)]
        self.phase = Phase.DONE
        held = Settle(verdict, "held", {"status": 403})
        return [held, Respond(verdict_reply(verdict))]

    def approval_settled(self, verdict: Verdict) -> list[Command]:
        """The wait is over (its outcome recorded): approved runs, anything else is told."""
        self._expect(Phase.AWAITING_APPROVAL)
        self.verdict = verdict
        if verdict.outcome is Outcome.ALLOW:
            return self._approved(verdict)
        self.phase = Phase.DONE
        return [Respond(verdict_reply(verdict))]

    def scheduled(self, verdict: Verdict) -> list[Command]:
        self._expect(Phase.SCHEDULING)
        self.verdict = verdict
        return self._delayed(verdict)

    def window_over(self, verdict: Verdict) -> list[Command]:
        """ALLOW: the cancel window passed, the action runs now. Else it was cancelled (or
        lapsed), which is recorded; the agent is told unless it already has its 202."""
        self._expect(Phase.IN_WINDOW)
        self.verdict = verdict
        if verdict.outcome is Outcome.ALLOW:
            return self._run()
        self.phase = Phase.DONE
        return [] if self.detached else [Respond(verdict_reply(verdict))]

    def hook_answered(self, status: int, text: str, snapshot: str = "") -> list[Command]:
        self._expect(Phase.HOOKS)
        ok = 0 < status < 300 and not graphql_errors(text)
        return self._hook_done(ok, status, f"status {status}", text, snapshot)

    def _hook_done(
        self, ok: bool, status: int, why: str, text: str = "", snapshot: str = ""
    ) -> list[Command]:
        """A before hook answered (or could not be built): run on, or refuse the action."""
        assert self._hook is not None
        verdict = self._verdict()
        hook, target = self._hook
        body: dict[str, object] = {
            "decision_seq": verdict.seq,
            "safeguard": "snapshot",
            "operation": hook.operation,
            "target": target,
            "ok": ok,
            "status": status,
        }
        if hook.export:  # the copy is Interlock's own: it exists only with a snapshot id
            ok = ok and bool(snapshot)
            body |= {"ok": ok, "export": hook.export, "vault": snapshot}
            if not ok and text and not status:  # Interlock's own words, not the upstream's
                body["error"] = text[:300]
        record = Record("safeguard", body)
        if ok:
            return [record, *self._run()]
        failure = f"{hook.operation} snapshot of {target or 'the target'}: {why}"
        if hook.export and text and not status:
            failure = (
                f"{hook.operation} copy of {target or 'the target'} to the vault: {text[:200]}"
            )
        self.phase = Phase.DONE
        if self.detached:
            return [record, Settle(verdict, "safeguard_failed", {"detail": failure})]
        return [
            record,
            Settle(verdict, "safeguard_failed", {"detail": failure, "status": 409}),
            Respond(safeguard_failed_reply(failure, verdict.seq)),
        ]

    def forwarded(self, status: int, size: int, ms: float) -> list[Command]:
        self._expect(Phase.FORWARDING)
        self.phase = Phase.DONE
        detail = {"status": status, "bytes": size, "ms": ms}
        return [Settle(self._verdict(), "forwarded", detail)]

    def upstream_unscannable(self, coding: str) -> list[Command]:
        """The upstream answered in a `Content-Encoding` the credential scrubber cannot read
        (although asked for identity): nothing of the body reaches the agent."""
        self._expect(Phase.FORWARDING)
        self.phase = Phase.DONE
        verdict, route = self._verdict(), self._route()
        detail = {"error": f"Content-Encoding {coding[:40]}", "status": 502}
        settle = Settle(verdict, "upstream_unscannable", detail)
        return [settle, Respond(unscannable_reply(route.resource, coding, verdict.seq))]

    def upstream_failed(self, timed_out: bool, error: str, responded: bool) -> list[Command]:
        """The upstream could not be reached, or did not answer in time; `responded`: its
        status line had already been passed on to the agent."""
        self._expect(Phase.FORWARDING)
        self.phase = Phase.DONE
        verdict, route = self._verdict(), self._route()
        if self.detached:
            return [Settle(verdict, "upstream_failed", {"error": error})]
        outcome = "upstream_timeout" if timed_out else "upstream_unreachable"
        settle = Settle(verdict, outcome, {"error": error, "upstream": route.upstream})
        if responded:
            return [settle, CutConnection()]
        why = "did not answer in time" if timed_out else "is unreachable or closed the connection"
        status = 504 if timed_out else 502
        return [settle, Respond(upstream_failed_reply(status, route.resource, why, verdict.seq))]

    # --- the steps --------------------------------------------------------------------------

    def _decide(self, body: bytes, decision: Decision | None = None) -> list[Command]:
        route = self._route()
        method = self.head.method
        classified = classify_payload(method, route, self.rest, self.headers, body)
        request = action_request(
            self._agent(),
            self.site.resources[route.resource],
            route,
            method,
            self.rest,
            classified,
            self._forwarded,
            body,
            reason=stated_reason(self.headers),
            waits=self.wait,
        )
        return [Decide(request, route, classified, decision)]

    def _refuse_oversized(self) -> list[Command]:
        self._oversized = True
        self.phase = Phase.DECIDING
        route = self._route()
        decision = oversized_decision(
            self.head.method, route, self.rest, self.head.content_length, self.site.max_body
        )
        return self._decide(b"", decision)

    def _approved(self, verdict: Verdict) -> list[Command]:
        """A human approved exactly this action (the claim is recorded): it runs, after its
        cancel window when it has a delay (the claim opened it)."""
        if self.delay > 0:
            return self._delayed(verdict)
        return self._run()

    def _delayed(self, verdict: Verdict) -> list[Command]:
        """The cancel window: inline when the agent waits that long, else a 202 now and the
        rest in the background."""
        self.phase = Phase.IN_WINDOW
        window = AwaitWindow(verdict, self.delay)
        if self.wait >= self.delay:
            return [window]
        self.detached = True
        return [
            Settle(verdict, "scheduled", {"status": 202}),
            Respond(scheduled_reply(verdict, self.delay)),
            Detach(),
            window,
        ]

    def _run(self) -> list[Command]:
        """The action may run now: its before hooks first (one per call), then itself."""
        route = self._route()
        if self._hooks:
            self._hook = self._hooks.pop(0)
            hook, target = self._hook
            self.phase = Phase.HOOKS
            try:
                body = hook_body(hook, target)
            except HookRefused as refused:
                return self._hook_done(False, 0, str(refused))
            headers = with_credential([("Content-Type", hook.content_type)], route)
            path = hook.path.replace("{target}", quote(target, safe=""))
            upstream = UpstreamRequest(route, hook.method, path, headers, body)
            return [CallHook(upstream, hook, target, self._verdict().seq)]
        self.phase = Phase.FORWARDING
        headers = with_credential(self._forwarded, route)
        request = UpstreamRequest(route, self.head.method, self.rest, headers, self.body)
        return [Forward(request, stream=not self.detached)]

    # --- helpers ------------------------------------------------------------------------------

    def _expect(self, *phases: Phase) -> None:
        if self.phase not in phases:
            raise ExchangeError(f"event in phase {self.phase.value}")

    def _route(self) -> Route:
        assert self.route is not None
        return self.route

    def _agent(self) -> Agent:
        assert self.agent is not None
        return self.agent

    def _verdict(self) -> Verdict:
        assert self.verdict is not None
        return self.verdict
