"""The pure core: signals, the profile's constant-time update, scoring and the breaker."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from interlock.baseline import Observation, Profile, assess, observe, secret_probe, tripped
from interlock.classify import classify
from interlock.config import BaselineSettings, BreakerSettings
from interlock.model import Action, ActionDecision, Outcome, Resource, RiskLevel, Verb

SETTINGS = BaselineSettings(learning_actions=10, learning_period=0)
BREAKER = BreakerSettings(denials=3, holds=4, incidents=2, destructive=5, window=60)
T0 = 1_780_000_000.0


def decided(command: str, outcome: Outcome = Outcome.ALLOW) -> tuple[ActionDecision, ...]:
    return tuple(ActionDecision(a, outcome) for a in classify("shell", command))


def seen(
    profile: Profile, command: str, env: str = "staging", at: float = T0, **kw: object
) -> None:
    outcome = kw.pop("outcome", Outcome.ALLOW)
    assert isinstance(outcome, Outcome)
    observe(
        profile,
        Observation(env, f"{env}-shell", decided(command, outcome), outcome, at, **kw),  # type: ignore[arg-type]
        SETTINGS,
        BREAKER,
    )


# -- signals


def test_credential_searches_and_secret_reads_are_recognised_from_data() -> None:
    probes = [
        "grep -r TOKEN .",
        "rg -n 'api_key' src",
        "cat .env",
        "cat ~/.aws/credentials",
        "head -3 config/secrets.yml",
        "find . -name '*.pem'",
    ]
    for command in probes:
        assert any(secret_probe(d) for d in decided(command)), command
    quiet = ["grep -rn 'def resolve' src/", "cat README.md", "cp .env.example .env", "ls -la"]
    for command in quiet:
        assert not any(secret_probe(d) for d in decided(command)), command


# -- the update


OBSERVATION = st.tuples(
    st.sampled_from(["ls", "git status", "pytest -q", "curl https://api.example.com/x", "rm a"]),
    st.sampled_from(["staging", "production", "dev"]),
    st.sampled_from(list(Outcome)),
    st.floats(min_value=0, max_value=7 * 86_400),
)


@given(st.lists(OBSERVATION, max_size=30), st.randoms())
def test_what_was_used_is_independent_of_order(items: list, random: object) -> None:
    shuffled = list(items)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    one, two = Profile("a"), Profile("a")
    for profile, order in ((one, items), (two, shuffled)):
        for command, env, outcome, offset in order:
            seen(profile, command, env, T0 + offset, outcome=outcome)
    assert one.seen == two.seen
    assert one.actions == two.actions and one.decisions == two.decisions
    assert one.hours == two.hours


@given(st.integers(min_value=1, max_value=400))
def test_the_stored_state_stays_bounded_however_long_the_history(count: int) -> None:
    # Constant time per update: everything but `seen` has a fixed size, and `seen` grows only
    # with new things used (never with repetition).
    profile = Profile("a")
    for index in range(count):
        seen(profile, "rm -rf build", at=T0 + index, outcome=Outcome.DENY)
    state = json.dumps(profile.to_state())
    assert len(state) < 2500
    assert len(profile.seen) <= 8
    assert all(len(v) <= 5 for v in profile.recent.values())


def test_a_profile_survives_its_json() -> None:
    profile = Profile("a", "agent")
    for index in range(12):
        seen(profile, "git status", at=T0 + index * 30)
    again = Profile.from_state("a", "agent", profile.to_state(), profile.seen, 3)
    assert again.to_state() == profile.to_state() and again.seen == profile.seen


# -- scoring


def _mature(env: str = "staging") -> Profile:
    profile = Profile("a")
    for index in range(20):
        seen(profile, "git status" if index % 2 else "pytest -q", env, T0 + index * 20)
    return profile


def test_a_new_agent_is_quiet_while_it_learns() -> None:
    profile = Profile("a")
    seen(profile, "git status")
    action = classify("shell", "kubectl get pods")[0]
    risk = assess(profile, None, Resource("prod", "production"), action, SETTINGS, T0 + 5)
    assert risk.learning and risk.level is RiskLevel.NONE


def test_after_learning_novelty_is_named() -> None:
    profile = _mature()
    action = Action("sql", "sql:UPDATE", Verb.WRITE, ("orders",))
    risk = assess(profile, None, Resource("orders", "production"), action, SETTINGS, T0 + 500)
    assert not risk.learning
    assert {"first_seen_environment", "first_seen_resource"} <= risk.features
    assert "first use of the production environment" in risk.reasons
    assert risk.level.rank >= RiskLevel.HIGH.rank


def test_what_the_agent_usually_does_is_not_unusual() -> None:
    profile = _mature()
    action = classify("shell", "git status")[0]
    risk = assess(profile, None, Resource("staging-shell", "staging"), action, SETTINGS, T0 + 500)
    assert risk.level is RiskLevel.NONE and risk.reasons == ()


def test_a_credential_search_then_a_network_call_is_a_sequence() -> None:
    profile = _mature()
    seen(profile, "grep -r TOKEN .", at=T0 + 480)
    action = classify("shell", "curl https://api.staging.example.com/v1/x")[0]
    risk = assess(profile, None, Resource("staging-shell", "staging"), action, SETTINGS, T0 + 500)
    assert "after_secret_search" in risk.features
    assert any("credential search (grep -r TOKEN .)" in r for r in risk.reasons)
    later = T0 + 480 + SETTINGS.sequence_window + 1
    risk = assess(profile, None, Resource("staging-shell", "staging"), action, SETTINGS, later)
    assert "after_secret_search" not in risk.features


def test_a_child_doing_what_its_parent_never_did() -> None:
    parent, child = _mature(), _mature()
    seen(child, "git status", "production", T0 + 450)
    action = classify("shell", "git status")[0]
    risk = assess(
        child, parent, Resource("production-shell", "production"), action, SETTINGS, T0 + 500
    )
    assert "beyond_parent" in risk.features


# -- the breaker


def test_the_breaker_trips_at_its_count_inside_its_window() -> None:
    profile = Profile("a")
    for index in range(2):
        seen(profile, "rm -rf /srv", at=T0 + index, outcome=Outcome.DENY, seq=index + 1)
    assert tripped(profile, BREAKER, T0 + 2) is None
    seen(profile, "rm -rf /srv", at=T0 + 2, outcome=Outcome.DENY, seq=3)
    trip = tripped(profile, BREAKER, T0 + 2)
    assert trip is not None and trip.event == "deny" and trip.decision_seqs == (1, 2, 3)
    assert "3 denials within 60 s" in trip.reason


def test_events_spread_wider_than_the_window_do_not_trip() -> None:
    profile = Profile("a")
    for index in range(10):
        seen(profile, "rm -rf /srv", at=T0 + index * 61, outcome=Outcome.DENY)
        assert tripped(profile, BREAKER, T0 + index * 61) is None


def test_a_burst_of_destructive_actions_trips_even_when_allowed() -> None:
    profile = Profile("a")
    for index in range(5):
        seen(profile, f"rm -rf build{index}", at=T0 + index)
    trip = tripped(profile, BREAKER, T0 + 5)
    assert trip is not None and trip.event == "destructive"


def test_a_switched_off_trip_never_fires() -> None:
    profile = Profile("a")
    off = BreakerSettings(denials=0, holds=0, incidents=0, destructive=0)
    for index in range(50):
        observe(
            profile,
            Observation("s", "r", decided("rm -rf x", Outcome.DENY), Outcome.DENY, T0 + index),
            SETTINGS,
            off,
        )
    assert tripped(profile, off, T0 + 50) is None
