"""The request state machine (`_exchange.Exchange`) as scripted event sequences.

Each test feeds the exchange the events the server shell would (a request head, the agent,
the body, the pipeline's verdicts, the upstream's answers) and asserts the commands that
come back. The verdicts come from the real pipeline (gate, audit log, approval store in a
throw-away home); waiting for a human or a cancel window runs `ApprovalWaiter` on a fake
clock, so minutes of waiting take no time and no test sleeps.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from interlock.approvals import ApprovalStore, Status
from interlock.enforce import ApprovalWaiter, Verdict
from interlock.gate import Gate
from interlock.home import Home
from interlock.model import Agent, Outcome
from interlock.policy import load_policy_texts
from interlock.proxy.http import Enforcer, proxy_config_from
from interlock.proxy.http import _commands as do
from interlock.proxy.http._exchange import Exchange, ExchangeError, Phase, RequestHead, Site

from .conftest import OPERATOR, REAL_CREDENTIAL, graphql, setup_home

DELETE_PROD = graphql('mutation { volumeDelete(volumeId: "vol-prod-7f3a") }').encode()
DELETE_STAGING = graphql('mutation { volumeDelete(volumeId: "vol-stg-1a2b") }').encode()
LIST_VOLUMES = graphql("query { volumes { edges { node { id name } } } }").encode()
SNAPSHOT_OK = json.dumps({"data": {"volumeSnapshotCreate": {"id": "snap-1"}}})


class FakeClock:
    """Monotonic time that moves only when the fake sleep moves it; `at` runs a human's
    action once the clock reaches a moment."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept = 0.0
        self._due: list[tuple[float, Callable[[], object]]] = []

    def __call__(self) -> float:
        return self.now

    def at(self, seconds: float, action: Callable[[], object]) -> None:
        self._due.append((self.now + seconds, action))

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds
        for entry in [d for d in self._due if d[0] <= self.now]:
            self._due.remove(entry)
            entry[1]()


@dataclass
class Kit:
    home: Home
    enforcer: Enforcer
    site: Site
    humans: ApprovalStore
    prod_token: str
    staging_token: str
    clock: FakeClock = field(default_factory=FakeClock)

    @property
    def waiter(self) -> ApprovalWaiter:
        return ApprovalWaiter(
            self.enforcer.point, clock=self.clock, sleep=self.clock.sleep, poll_seconds=0.5
        )

    def agent(self, token: str | None = None) -> Agent:
        return self.enforcer.authenticate(token or self.prod_token)

    def head(
        self, method: str, target: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> RequestHead:
        sent = {"Authorization": f"Bearer {self.prod_token}", **(headers or {})}
        if body:
            sent.setdefault("Content-Type", "application/json")
        return RequestHead(method, target, tuple(sent.items()), len(body) if body else None)

    def decide(self, command: do.Command) -> Verdict:
        assert isinstance(command, do.Decide)
        return asyncio.run(
            self.enforcer.decide(
                command.request, command.route, command.classified, command.decision
            )
        )

    def until_decided(
        self, head: RequestHead, body: bytes = b"", agent: Agent | None = None
    ) -> tuple[Exchange, list[do.Command]]:
        """start → authenticated → body_received → decided: the commands after the verdict."""
        exchange = Exchange(head, self.site)
        assert isinstance(exchange.start()[0], do.Authenticate)
        assert exchange.authenticated(agent or self.agent()) == [do.ReadBody(self.site.max_body)]
        (decide,) = exchange.body_received(body)
        return exchange, exchange.decided(self.decide(decide))

    def outcomes(self) -> list[dict[str, Any]]:
        self.enforcer.flush()
        return [r.body for r in self.home.audit_log().records() if r.type == "outcome"]


@pytest.fixture
def kit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Kit]:
    monkeypatch.delenv("INTERLOCK_AGENT_TOKEN", raising=False)
    home, prod, staging, config = setup_home(
        tmp_path / "home",
        "http://upstream.test",
        {"routes": {"railway-staging": {"delay": 30}}},
    )
    enforcer = Enforcer.for_home(home, proxy_config_from(config))
    site = Site(tuple(enforcer.routes.values()), enforcer.resources, 4096, 300.0)
    humans = ApprovalStore.for_home(home)
    yield Kit(home, enforcer, site, humans, prod, staging)
    humans.close()
    enforcer.close()


def _one(commands: list[do.Command], kind: type[Any]) -> Any:
    found = [c for c in commands if isinstance(c, kind)]
    assert len(found) == 1, commands
    return found[0]


def _reply(commands: list[do.Command]) -> tuple[int, dict[str, Any]]:
    respond = _one(commands, do.Respond)
    return respond.reply.status, respond.reply.body


# --- the allowed path -------------------------------------------------------------------


def test_an_allowed_request_goes_upstream_with_the_credential_and_is_settled(kit: Kit) -> None:
    head = kit.head("POST", "/railway/graphql/v2?x=1", LIST_VOLUMES, {"Prefer": "wait=5"})
    exchange = Exchange(head, kit.site)
    assert exchange.start() == [do.Authenticate(kit.prod_token)]
    assert exchange.authenticated(kit.agent()) == [do.ReadBody(4096)]
    (decide,) = exchange.body_received(LIST_VOLUMES)
    assert decide.route.name == "railway" and decide.request.source == "proxy:http"
    verdict = kit.decide(decide)
    assert verdict.outcome is Outcome.ALLOW and verdict.seq > 0
    (forward,) = exchange.decided(verdict)
    assert isinstance(forward, do.Forward) and forward.stream
    sent = forward.request
    assert (sent.method, sent.target, sent.body) == ("POST", "/graphql/v2?x=1", LIST_VOLUMES)
    assert ("Authorization", f"Bearer {REAL_CREDENTIAL}") in sent.headers
    assert kit.prod_token not in json.dumps(sent.headers)
    assert all(name.lower() != "prefer" for name, _ in sent.headers)
    (settle,) = exchange.forwarded(200, 17, 1.5)
    assert settle == do.Settle(verdict, "forwarded", {"status": 200, "bytes": 17, "ms": 1.5})
    assert exchange.phase is Phase.DONE


def test_no_route_and_a_refused_token_are_answered_at_once(kit: Kit) -> None:
    (respond,) = Exchange(kit.head("GET", "/nowhere/x?secret=1"), kit.site).start()
    assert respond.reply.status == 404 and "/railway" in respond.reply.body["message"]
    assert "secret" not in respond.reply.body["message"]
    exchange = Exchange(kit.head("GET", "/railway/items"), kit.site)
    exchange.start()
    (respond,) = exchange.unauthorized("invalid or expired agent token")
    assert respond.reply.status == 401 and respond.close
    assert ("WWW-Authenticate", 'Bearer realm="interlock"') in respond.reply.headers


def test_a_denied_request_is_settled_and_refused(kit: Kit) -> None:
    head = kit.head("POST", "/railway/graphql/v2", DELETE_PROD)
    _, commands = kit.until_decided(head, DELETE_PROD, kit.agent(kit.staging_token))
    assert [type(c) for c in commands] == [do.Settle, do.Respond]
    assert commands[0].outcome == "refused"  # type: ignore[union-attr]
    status, body = _reply(commands)
    assert status == 403 and body["error"] == "denied_by_interlock"
    assert body["policies"] == ["grant"] and "do not retry" in str(body["message"]).lower()


def test_an_announced_oversized_body_is_never_read(kit: Kit) -> None:
    head = RequestHead("POST", "/railway/upload", kit.head("POST", "/").headers, 10_000)
    exchange = Exchange(head, kit.site)
    exchange.start()
    (decide,) = exchange.authenticated(kit.agent())  # no ReadBody: refused unread
    assert decide.decision is not None and decide.decision.policies == ("proxy-max-body",)
    commands = exchange.decided(kit.decide(decide))
    assert [type(c) for c in commands] == [do.Settle, do.Respond]
    respond = _one(commands, do.Respond)
    assert respond.reply.status == 413 and respond.close


def test_a_body_found_too_large_while_reading_is_refused(kit: Kit) -> None:
    exchange = Exchange(kit.head("POST", "/railway/upload"), kit.site)
    exchange.start()
    exchange.authenticated(kit.agent())
    (decide,) = exchange.body_too_large()
    assert decide.decision.outcome is Outcome.DENY
    status, body = _reply(exchange.decided(kit.decide(decide)))
    assert status == 413 and body["error"] == "body_too_large"


def test_events_out_of_order_are_a_bug_not_a_decision(kit: Kit) -> None:
    exchange = Exchange(kit.head("GET", "/railway/items"), kit.site)
    with pytest.raises(ExchangeError):
        exchange.forwarded(200, 0, 0.0)
    exchange.start()
    with pytest.raises(ExchangeError):
        exchange.body_received(b"")


# --- held for a human -------------------------------------------------------------------


def test_a_hold_without_waiting_names_the_request_and_is_settled(kit: Kit) -> None:
    exchange, commands = kit.until_decided(
        kit.head("POST", "/railway/graphql/v2", DELETE_PROD), DELETE_PROD
    )
    (resolve,) = commands
    assert isinstance(resolve, do.Resolve)
    resolved = kit.enforcer.point.resolve(resolve.verdict, delay=resolve.delay)
    commands = exchange.resolved(resolved)
    assert [type(c) for c in commands] == [do.Settle, do.Respond]
    status, body = _reply(commands)
    assert status == 403 and body["error"] == "approval_required"
    assert body["approval_request"] == resolved.approval_id
    assert ("Interlock-Approval-Request", resolved.approval_id) in _one(
        commands, do.Respond
    ).reply.headers
    assert "Prefer: wait=300" in str(body["message"])


def _held_and_waiting(kit: Kit, wait: str = "30") -> tuple[Exchange, do.AwaitApproval]:
    head = kit.head("POST", "/railway/graphql/v2", DELETE_PROD, {"Prefer": f"wait={wait}"})
    exchange, (resolve,) = kit.until_decided(head, DELETE_PROD)
    (await_approval,) = exchange.resolved(kit.enforcer.point.resolve(resolve.verdict))
    assert isinstance(await_approval, do.AwaitApproval) and await_approval.seconds == float(wait)
    return exchange, await_approval


def test_prefer_wait_forwards_the_moment_a_human_approves(kit: Kit) -> None:
    exchange, waiting = _held_and_waiting(kit)
    kit.clock.at(7, lambda: kit.humans.approve(waiting.verdict.approval_id, OPERATOR))
    settled = asyncio.run(kit.waiter.wait(waiting.verdict, waiting.seconds))
    assert settled.outcome is Outcome.ALLOW and settled.approved
    assert kit.clock.slept == 7.0  # the first poll after the approval, not the deadline
    (forward,) = exchange.approval_settled(settled)
    assert isinstance(forward, do.Forward) and forward.request.body == DELETE_PROD
    assert kit.humans.get(waiting.verdict.approval_id).status is Status.USED
    assert "approved" in [o["outcome"] for o in kit.outcomes()]


def test_prefer_wait_and_a_human_denies(kit: Kit) -> None:
    exchange, waiting = _held_and_waiting(kit)
    request_id = waiting.verdict.approval_id
    kit.clock.at(3, lambda: kit.humans.deny(request_id, OPERATOR, "that is the production db"))
    commands = exchange.approval_settled(asyncio.run(kit.waiter.wait(waiting.verdict, 30)))
    assert not any(
        isinstance(c, do.Forward | do.Settle) for c in commands
    )  # recorded by the pipeline
    status, body = _reply(commands)
    assert status == 403 and body["error"] == "denied_by_human"
    assert body["comment"] == "that is the production db" and body["by"] == OPERATOR.name
    assert "that is the production db" in str(body["message"])
    assert [o["outcome"] for o in kit.outcomes()][-1] == "denied"


def test_prefer_wait_times_out_as_a_hold(kit: Kit) -> None:
    exchange, waiting = _held_and_waiting(kit, "0.4")
    settled = asyncio.run(kit.waiter.wait(waiting.verdict, waiting.seconds))
    assert kit.clock.slept == pytest.approx(0.4)
    status, body = _reply(exchange.approval_settled(settled))
    assert status == 403 and body["error"] == "approval_required"
    assert "no human decided within 0.4 s" in str(body["message"])
    assert [o["outcome"] for o in kit.outcomes()][-1] == "held"


def test_an_approval_is_for_exactly_one_action_and_used_once(kit: Kit) -> None:
    def attempt(body: bytes, headers: dict[str, str] | None = None) -> Verdict:
        head = kit.head("POST", "/railway/graphql/v2", body, headers)
        _, (resolve,) = kit.until_decided(head, body)
        return kit.enforcer.point.resolve(resolve.verdict)

    held = attempt(DELETE_PROD, {"X-Tenant-Id": "acme"})
    kit.humans.approve(held.approval_id, OPERATOR)
    other_volume = graphql('mutation { volumeDelete(volumeId: "vol-prod-other") }').encode()
    assert attempt(other_volume, {"X-Tenant-Id": "acme"}).outcome is Outcome.HOLD
    assert attempt(DELETE_PROD, {"X-Tenant-Id": "globex"}).outcome is Outcome.HOLD
    assert attempt(DELETE_PROD, {"X-Tenant-Id": "acme", "User-Agent": "v2"}).approved
    again = attempt(DELETE_PROD, {"X-Tenant-Id": "acme"})
    assert again.outcome is Outcome.HOLD and again.approval_id != held.approval_id


# --- the delay safeguard and before hooks ------------------------------------------------


def test_a_delayed_action_the_agent_waits_for_runs_after_its_snapshot(kit: Kit) -> None:
    head = kit.head("POST", "/railway-staging/graphql/v2", DELETE_STAGING, {"Prefer": "wait=60"})
    exchange, (schedule,) = kit.until_decided(head, DELETE_STAGING)
    assert isinstance(schedule, do.Schedule) and schedule.delay == 30
    (window,) = exchange.scheduled(kit.enforcer.point.schedule(schedule.verdict, schedule.delay))
    assert isinstance(window, do.AwaitWindow)
    assert asyncio.run(kit.waiter.window(window.verdict, window.delay))
    assert kit.clock.slept == pytest.approx(30)
    (hook,) = exchange.window_over(window.verdict)
    assert isinstance(hook, do.CallHook)
    assert b"volumeSnapshotCreate" in hook.request.body and b"vol-stg-1a2b" in hook.request.body
    assert ("Authorization", f"Bearer {REAL_CREDENTIAL}") in hook.request.headers
    record, forward = exchange.hook_answered(200, SNAPSHOT_OK)
    assert isinstance(record, do.Record) and record.body["ok"] is True
    assert record.body["target"] == "vol-stg-1a2b" and record.type == "safeguard"
    assert isinstance(forward, do.Forward) and forward.stream
    assert forward.request.body == DELETE_STAGING


def test_a_delayed_action_answers_202_and_runs_detached(kit: Kit) -> None:
    head = kit.head("POST", "/railway-staging/graphql/v2", DELETE_STAGING)
    exchange, (schedule,) = kit.until_decided(head, DELETE_STAGING)
    scheduled = kit.enforcer.point.schedule(schedule.verdict, schedule.delay)
    commands = exchange.scheduled(scheduled)
    assert [type(c) for c in commands] == [do.Settle, do.Respond, do.Detach, do.AwaitWindow]
    status, body = _reply(commands)
    assert status == 202 and body["approval_request"] == scheduled.approval_id
    assert body["runs_in_seconds"] == 30 and "cancel" in str(body["message"])
    # From here on nothing reads the request or writes to the agent.
    assert asyncio.run(kit.waiter.window(scheduled, 30))
    (hook,) = exchange.window_over(scheduled)
    assert isinstance(hook, do.CallHook)
    record, forward = exchange.hook_answered(200, SNAPSHOT_OK)
    assert isinstance(record, do.Record) and isinstance(forward, do.Forward) and not forward.stream
    (settle,) = exchange.forwarded(204, 0, 3.0)
    assert settle.outcome == "forwarded" and settle.verdict.approval_id == scheduled.approval_id


def test_a_human_cancels_in_the_window_and_nothing_runs(kit: Kit) -> None:
    head = kit.head("POST", "/railway-staging/graphql/v2", DELETE_STAGING)
    exchange, (schedule,) = kit.until_decided(head, DELETE_STAGING)
    scheduled = kit.enforcer.point.schedule(schedule.verdict, schedule.delay)
    exchange.scheduled(scheduled)
    kit.clock.at(12, lambda: kit.humans.cancel(scheduled.approval_id, OPERATOR, "wrong volume"))
    assert not asyncio.run(kit.waiter.window(scheduled, 30))
    assert kit.clock.slept < 13
    refused = kit.enforcer.point.poll(scheduled.but(outcome=Outcome.HOLD), final=True)
    assert refused is not None and refused.outcome is Outcome.DENY
    assert exchange.window_over(refused) == []  # the agent had its 202; the pipeline recorded it
    assert [o["outcome"] for o in kit.outcomes()][-1] == "cancelled"
    assert exchange.phase is Phase.DONE


def test_a_cancel_while_the_agent_waits_names_the_human(kit: Kit) -> None:
    head = kit.head("POST", "/railway-staging/graphql/v2", DELETE_STAGING, {"Prefer": "wait=60"})
    exchange, (schedule,) = kit.until_decided(head, DELETE_STAGING)
    scheduled = kit.enforcer.point.schedule(schedule.verdict, schedule.delay)
    exchange.scheduled(scheduled)
    kit.humans.cancel(scheduled.approval_id, OPERATOR, "wrong volume")
    refused = kit.enforcer.point.poll(scheduled.but(outcome=Outcome.HOLD), final=True)
    assert refused is not None
    status, body = _reply(exchange.window_over(refused))
    assert status == 403 and body["error"] == "cancelled_by_human"
    assert body["comment"] == "wrong volume"


def test_an_approved_hold_with_a_delay_opens_the_window_on_the_same_request(kit: Kit) -> None:
    kit.site = replace(
        kit.site,
        routes=tuple(replace(r, delay=5.0) if r.name == "railway" else r for r in kit.site.routes),
    )
    head = kit.head("POST", "/railway/graphql/v2", DELETE_PROD)
    _, (resolve,) = kit.until_decided(head, DELETE_PROD)
    held = kit.enforcer.point.resolve(resolve.verdict, delay=resolve.delay)
    kit.humans.approve(held.approval_id, OPERATOR)
    exchange, (resolve,) = kit.until_decided(head, DELETE_PROD)  # sent again once approved
    assert isinstance(resolve, do.Resolve) and resolve.delay == 5.0
    commands = exchange.resolved(kit.enforcer.point.resolve(resolve.verdict, delay=5.0))
    assert [type(c) for c in commands] == [do.Settle, do.Respond, do.Detach, do.AwaitWindow]
    assert kit.humans.get(held.approval_id).status is Status.SCHEDULED
    status, body = _reply(commands)
    assert status == 202 and body["approval_request"] == held.approval_id
    assert "runs in 5 s" in str(body["message"]) and "approved" in str(body["message"])


DELAY_POLICY = """
@id("reads") permit (principal is Agent, action == Action::"read", resource);
@id("destructive-after-a-delay")
@safeguard("delay:45s")
permit (principal is Agent, action in Action::"dangerous", resource);
"""


def test_a_policy_delay_is_a_cancel_window_not_a_hold(kit: Kit) -> None:
    # The proxy can take a delay (it holds the connection or runs the action later), so a
    # policy asking for one must not turn the action into a hold for a human.
    kit.enforcer.point.gate = Gate(load_policy_texts([("delay.cedar", DELAY_POLICY)]))
    head = kit.head("POST", "/railway/graphql/v2", DELETE_PROD)
    _, (schedule,) = kit.until_decided(head, DELETE_PROD)
    assert isinstance(schedule, do.Schedule) and schedule.delay == 45
    assert schedule.verdict.outcome is Outcome.ALLOW


def test_a_failed_snapshot_refuses_the_request(kit: Kit) -> None:
    head = kit.head("POST", "/railway-staging/graphql/v2", DELETE_STAGING, {"Prefer": "wait=60"})
    exchange, (schedule,) = kit.until_decided(head, DELETE_STAGING)
    (window,) = exchange.scheduled(kit.enforcer.point.schedule(schedule.verdict, 30))
    exchange.window_over(window.verdict)
    errors = json.dumps({"errors": [{"message": "volume busy"}]})
    commands = exchange.hook_answered(200, errors)  # GraphQL reports errors with a 200
    assert [type(c) for c in commands] == [do.Record, do.Settle, do.Respond]
    assert _one(commands, do.Record).body["ok"] is False
    status, body = _reply(commands)
    assert status == 409 and body["error"] == "safeguard_failed"
    assert not any(isinstance(c, do.Forward) for c in commands)


def test_a_hook_that_could_not_be_sent_is_a_failure(kit: Kit) -> None:
    head = kit.head("POST", "/railway-staging/graphql/v2", DELETE_STAGING, {"Prefer": "wait=60"})
    exchange, (schedule,) = kit.until_decided(head, DELETE_STAGING)
    (window,) = exchange.scheduled(kit.enforcer.point.schedule(schedule.verdict, 30))
    exchange.window_over(window.verdict)
    commands = exchange.hook_answered(0, "ClientConnectorError")
    assert _one(commands, do.Settle).outcome == "safeguard_failed"


# --- the upstream failing ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("timed_out", "responded", "expected"),
    [(False, False, 502), (True, False, 504), (True, True, None)],
)
def test_upstream_failures(kit: Kit, timed_out: bool, responded: bool, expected: int) -> None:
    exchange, _ = kit.until_decided(kit.head("GET", "/railway/items"))
    commands = exchange.upstream_failed(timed_out, "ServerTimeoutError", responded)
    settle = _one(commands, do.Settle)
    assert settle.outcome == ("upstream_timeout" if timed_out else "upstream_unreachable")
    if expected is None:  # the headers are out: all that is left is to cut the connection
        assert [type(c) for c in commands] == [do.Settle, do.CutConnection]
    else:
        assert _reply(commands)[0] == expected
