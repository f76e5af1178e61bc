"""The tracker on the home's SQLite state: processes add up, the breaker suspends through the
identity layer, and only a human resumes."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlock.baseline import resume_agent
from interlock.classify import classify
from interlock.gate import Gate
from interlock.identity import AgentRegistry, AgentTokenRefused, AgentVerifier, IdentityError
from interlock.model import Agent, Human, Resource
from interlock.state import baseline_storage, identity_storage
from tests.baseline.conftest import Setup

STAGING = Resource("staging-db", "staging", "postgres")
ALICE = Human("alice", "admin")


def test_two_processes_learning_about_one_agent_add_up(setup: Setup) -> None:
    one, two = setup.tracker(), setup.tracker()
    gate = Gate(baseline=one)
    for tracker in (one, two, one, two, one):
        decision = gate.decide(setup.agent, STAGING, classify("sql", "SELECT 1"))
        tracker.observe(setup.agent, STAGING, decision)
    storage = baseline_storage(setup.home)
    stored = storage.profile(setup.agent.id)
    assert stored is not None and stored.state["actions"] == 5 and stored.version == 5
    assert storage.seen(setup.agent.id)["env:staging"] == 5


def test_a_trip_is_recorded_with_its_evidence_and_suspends_the_agent(setup: Setup) -> None:
    tracker = setup.tracker()
    verifier = AgentVerifier(identity_storage(setup.home))
    assert verifier.verify(setup.token).agent.name == "runner"
    gate = Gate(baseline=tracker)
    trip = None
    for index in range(5):
        decision = gate.decide(setup.agent, STAGING, classify("sql", f"DROP TABLE t{index}"))
        trip = tracker.observe(setup.agent, STAGING, decision, seq=100 + index)
    assert trip is not None and trip.decision_seqs == (100, 101, 102, 103, 104)
    assert tracker.refusal(setup.agent) == trip.reason
    with pytest.raises(AgentTokenRefused):
        verifier.verify(setup.token)
    records = list(setup.home.audit_log().records())
    breaker = [r.body for r in records if r.type == "breaker"]
    assert breaker[0]["event"] == "tripped"
    assert breaker[0]["evidence"]["decision_seqs"] == [100, 101, 102, 103, 104]
    suspended = [r.body for r in records if r.body.get("event") == "agent_suspended"]
    assert suspended[0]["by"] == "circuit-breaker" and "5 destructive" in suspended[0]["reason"]
    # A human resumes: the identity and the breaker both let it work again.
    resume_agent(setup.home, ALICE, "runner")
    assert verifier.verify(setup.token).agent.name == "runner"
    assert baseline_storage(setup.home).open_trip(setup.agent.id) is None
    fresh = setup.tracker()
    assert fresh.refusal(setup.agent) is None


NOT_HUMANS = st.one_of(
    st.text(max_size=40),
    st.none(),
    st.integers(),
    st.builds(Agent, st.text(min_size=1, max_size=10)),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
    st.just(Agent("runner")),
)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(NOT_HUMANS)
def test_a_suspended_agent_is_never_resumed_by_anything_but_a_human(
    setup: Setup, credential: object
) -> None:
    registry = AgentRegistry.for_home(setup.home)
    if registry.get("runner").status == "active":
        registry.trip(setup.agent.id, "circuit breaker: test")
    for attempt in (
        lambda: registry.resume(credential, "runner"),  # type: ignore[arg-type]
        lambda: resume_agent(setup.home, credential, "runner"),  # type: ignore[arg-type]
        lambda: registry.resume(setup.token, "runner"),  # type: ignore[arg-type]
    ):
        with pytest.raises(IdentityError):
            attempt()
    assert registry.get("runner").status == "suspended"


def test_an_unregistered_hook_agent_is_suspended_by_name(setup: Setup) -> None:
    tracker = setup.tracker()
    agent = Agent("claude-code", environments=frozenset({"staging"}))  # production: refused
    gate = Gate(baseline=tracker)
    for index in range(4):  # refused, again and again ([breaker] denials = 4)
        decision = gate.decide(agent, Resource("x", "production"), classify("shell", "rm -rf /"))
        assert decision.outcome.value == "deny"
        tracker.observe(agent, Resource("x", "production"), decision, seq=index + 1)
    assert tracker.refusal(agent) is not None
    with pytest.raises(IdentityError):
        resume_agent(setup.home, "claude-code", "claude-code")  # type: ignore[arg-type]
    resume_agent(setup.home, ALICE, "claude-code")
    assert setup.tracker().refusal(agent) is None


def test_the_suspended_webhook_says_why_the_breaker_tripped(setup: Setup) -> None:
    from interlock.server._webhooks import payload, slack_payload

    AgentRegistry.for_home(setup.home).trip(setup.agent.id, "circuit breaker: 4 denials")
    record = next(
        r for r in setup.home.audit_log().records() if r.body.get("event") == "agent_suspended"
    )
    body = payload("suspended", record, "https://interlock.example.com")
    assert body["by"] == "circuit-breaker" and body["reason"] == "circuit breaker: 4 denials"
    assert "4 denials" in slack_payload(body)["text"]


def test_in_shadow_mode_a_trip_is_recorded_and_suspends_nobody(setup: Setup) -> None:
    tracker = setup.tracker()
    gate = Gate(baseline=tracker)
    trip = None
    for index in range(5):
        decision = gate.decide(setup.agent, STAGING, classify("sql", f"DROP TABLE s{index}"))
        trip = tracker.observe(setup.agent, STAGING, decision, seq=index + 1, enforce=False)
    assert trip is not None
    assert tracker.refusal(setup.agent) is None
    assert AgentRegistry.for_home(setup.home).get("runner").status == "active"
    records = [r.body for r in setup.home.audit_log().records() if r.type == "breaker"]
    assert records[0]["event"] == "would_trip" and records[0]["shadow"] is True
