"""Behavioural baselines and the circuit breaker: notice when an agent stops behaving like
itself.

    _signals.py   what an action is for the baseline (network call, secret read, credential
                  search, failure), from data (signals.toml)
    _profile.py   one agent's profile and `observe`, its constant-time update (pure)
    _score.py     `assess`: the risk of one action for its agent (pure): features, score, level
    _breaker.py   `tripped`: when an agent is suspended (pure)
    _replay.py    profiles learned from the audit log
    _tracker.py   `BaselineTracker`: profiles in memory behind `state.BaselineStorage`; what
                  the gate asks (`assess`) and the pipeline feeds (`observe`)
    _home.py      a home's tracker, suspension and resume

See docs/baselines.md and docs/architecture.md.
"""

from interlock.baseline._breaker import Trip, tripped
from interlock.baseline._home import (
    BREAKER_ACTOR,
    learn_expected,
    mark_incident,
    profile_items,
    resume_agent,
    tracker_for_home,
)
from interlock.baseline._profile import Observation, Profile, items_of, observe
from interlock.baseline._replay import replay
from interlock.baseline._score import WEIGHTS, assess, level_of
from interlock.baseline._signals import is_network, secret_probe
from interlock.baseline._tracker import BaselineTracker, agent_key
from interlock.redact import holds_credential as carries_credential

__all__ = [
    "BREAKER_ACTOR",
    "WEIGHTS",
    "BaselineTracker",
    "Observation",
    "Profile",
    "Trip",
    "agent_key",
    "assess",
    "carries_credential",
    "is_network",
    "items_of",
    "learn_expected",
    "level_of",
    "mark_incident",
    "observe",
    "profile_items",
    "replay",
    "resume_agent",
    "secret_probe",
    "tracker_for_home",
    "tripped",
]
