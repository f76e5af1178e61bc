"""The registry's guarantees hold for every classifier: bounded, never raising, fail closed."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interlock import classify as registry
from interlock.classify import KINDS, MAX_INPUT_CHARS, classify, classify_nested, register
from interlock.errors import PayloadError
from interlock.model import Action, Verb


@pytest.fixture
def restore_registry() -> Iterator[None]:
    saved = dict(registry._loaded)
    yield
    registry._loaded.clear()
    registry._loaded.update(saved)
    registry._cache.clear()


def test_unknown_kind_is_a_payload_error() -> None:
    with pytest.raises(PayloadError, match="unknown kind 'python'"):
        classify("python", "print(1)")


def test_oversized_input_is_unknown() -> None:
    (action,) = classify("sql", "SELECT 1;" * (MAX_INPUT_CHARS // 9 + 1))
    assert action.verb is Verb.UNKNOWN
    assert "exceeds the limit" in action.reason


def test_a_crashing_classifier_fails_closed(restore_registry: None) -> None:
    def broken(payload: object, depth: int) -> list[Action]:
        raise KeyError("bug")

    register("sql", broken)
    (action,) = classify("sql", "SELECT 1")
    assert action.verb is Verb.UNKNOWN
    assert "classifier failed (KeyError)" in action.reason


def test_runaway_recursion_fails_closed(restore_registry: None) -> None:
    def recursive(payload: object, depth: int) -> list[Action]:
        return recursive(payload, depth)

    register("sql", recursive)
    assert classify("sql", "x")[0].verb is Verb.UNKNOWN


def test_an_empty_answer_is_unknown(restore_registry: None) -> None:
    register("sql", lambda payload, depth: [])
    assert classify("sql", "SELECT 1")[0].verb is Verb.UNKNOWN


def test_nesting_is_bounded(restore_registry: None) -> None:
    def nests(payload: object, depth: int) -> list[Action]:
        return classify_nested("sql", payload, depth)

    register("sql", nests)
    (action,) = classify("sql", "x")
    assert action.verb is Verb.UNKNOWN
    assert "nested more than" in action.reason


def test_nested_payload_errors_become_unknown(restore_registry: None) -> None:
    def picky(payload: object, depth: int) -> list[Action]:
        raise PayloadError("wrong shape")

    register("http", picky)
    (action,) = classify_nested("http", 42, 0)
    assert action.verb is Verb.UNKNOWN


# The classifier modules themselves: through the registry, a crash would only be `unknown`.
_MODULES = {kind: importlib.import_module(f"interlock.classify.{kind}") for kind in KINDS}


def _answer(kind: str, payload: object) -> list[Action] | None:
    """The module's actions, checked for the contract; None when it refused the payload."""
    try:
        actions = list(_MODULES[kind].classify(payload, 0))
    except PayloadError as exc:
        message = str(exc)
        assert kind in message and "\n" not in message, message  # one line naming the kind
        return None
    assert actions, "a classifier answers at least one action"
    for action in actions:
        assert action.protocol in KINDS, action
        assert action.operation.startswith(f"{action.protocol}:"), action
        assert action.reason, action  # every verdict says why
        assert len(action.detail) <= 200, action
    return actions


@settings(max_examples=60, deadline=None)
@given(kind=st.sampled_from(KINDS), text=st.text(max_size=300))
def test_no_classifier_raises_on_arbitrary_text(kind: str, text: str) -> None:
    actions = _answer(kind, text)
    if kind != "mcp":  # text is every other kind's own form; MCP text must be JSON
        assert actions is not None


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=60, deadline=None)
@given(kind=st.sampled_from(KINDS), payload=_json)
def test_no_classifier_raises_on_arbitrary_json(kind: str, payload: object) -> None:
    actions = _answer(kind, payload)
    if not isinstance(payload, str | dict | list):
        assert actions is None, "a scalar is no kind's payload: refused with a PayloadError"


def test_object_payloads_are_cached_by_their_canonical_json(restore_registry: None) -> None:
    calls: list[object] = []

    def counting(payload: object, depth: int) -> list[Action]:
        calls.append(payload)
        return [Action("mcp", "mcp:x", Verb.READ)]

    register("mcp", counting)
    classify("mcp", {"tool": "x", "arguments": {"a": 1, "b": 2}})
    classify("mcp", {"arguments": {"b": 2, "a": 1}, "tool": "x"})  # same object, other order
    classify("mcp", {"tool": "x", "arguments": {"a": 1, "b": True}})  # 2 vs true: different
    assert len(calls) == 2


def test_oversized_objects_are_unknown() -> None:
    big = {"tool": "x", "arguments": {"blob": "a" * MAX_INPUT_CHARS}}
    (action,) = classify("mcp", big)
    assert action.verb is Verb.UNKNOWN
    assert "exceeds the limit" in action.reason
