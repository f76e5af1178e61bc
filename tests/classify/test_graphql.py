"""Targeted and property tests for the GraphQL classifier (the corpus is cases/graphql.yaml)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlock.classify import classify
from interlock.classify import graphql as gql
from interlock.classify._graphql_doc import analyse
from interlock.classify._words import destructive_word, split_words
from interlock.errors import PayloadError
from interlock.model import Verb, most_severe

INCIDENT = 'mutation { volumeDelete(volumeId: "vol-prod-123") }'


def verdict(payload: object) -> Verb:
    return most_severe(a.verb for a in classify("graphql", payload))


# -- words -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("volumeDelete", ("volume", "delete")),
        ("deleteVolume", ("delete", "volume")),
        ("delete_volume", ("delete", "volume")),
        ("DELETE-VOLUME", ("delete", "volume")),
        ("serviceInstanceRedeploy", ("service", "instance", "redeploy")),
        ("deleteDBInstance", ("delete", "db", "instance")),
        ("volumeID", ("volume", "id")),
        ("DynamoDB_20120810.DeleteTable", ("dynamo", "db", "20120810", "delete", "table")),
    ],
)
def test_split_words(name: str, words: tuple[str, ...]) -> None:
    assert split_words(name) == words


@pytest.mark.parametrize(
    ("name", "imperative_only", "expected"),
    [
        ("volumeDelete", False, "delete"),
        ("purgeCache", False, "purge"),
        ("resetDatabase", False, "reset"),
        ("scheduleDeletion", False, "deletion"),
        ("scheduleDeletion", True, None),
        ("deletedItems", True, None),
        ("undeleteProject", False, None),
        ("cancelDeletion", False, None),
        ("restoreDeletedItems", False, None),
        ("requestPasswordReset", False, None),
        ("updateDropdown", False, None),
        ("serviceInstanceRedeploy", False, None),
        ("disableUser", False, None),
    ],
)
def test_destructive_word(name: str, imperative_only: bool, expected: str | None) -> None:
    assert destructive_word(split_words(name), imperative_only=imperative_only) == expected


# -- the incident ------------------------------------------------------------------------------


def test_incident_mutation_is_destructive_with_target() -> None:
    (action,) = classify("graphql", {"query": INCIDENT})
    assert action.verb is Verb.DESTRUCTIVE
    assert action.operation == "graphql:volumeDelete"
    assert action.targets == ("vol-prod-123",)
    assert action.protocol == "graphql"


@pytest.mark.parametrize(
    "payload",
    [
        INCIDENT,
        json.dumps({"query": INCIDENT}),
        [{"query": "{ me { id } }"}, {"query": INCIDENT}],
        {
            "query": f"query A {{ me {{ id }} }} {INCIDENT.replace('mutation', 'mutation B')}",
            "operationName": "B",
        },
    ],
)
def test_incident_forms(payload: object) -> None:
    assert verdict(payload) is Verb.DESTRUCTIVE


def test_unselected_mutation_is_not_flagged() -> None:
    doc = f"query A {{ me {{ id }} }} {INCIDENT.replace('mutation', 'mutation B')}"
    assert verdict({"query": doc, "operationName": "A"}) is Verb.READ


def test_batch_gives_one_action_per_request() -> None:
    actions = classify("graphql", [{"query": "{ a }"}, {"query": INCIDENT}])
    assert [a.verb for a in actions] == [Verb.READ, Verb.DESTRUCTIVE]


def test_one_action_per_mutation_root_field() -> None:
    actions = classify(
        "graphql", 'mutation { a: serviceUpdate(id: "s") b: projectDelete(id: "p") }'
    )
    assert [(a.operation, a.verb) for a in actions] == [
        ("graphql:serviceUpdate", Verb.WRITE),
        ("graphql:projectDelete", Verb.DESTRUCTIVE),
    ]


# -- payload shapes ----------------------------------------------------------------------------


@pytest.mark.parametrize("payload", [42, None, 3.5, True, b"mutation { x }"])
def test_wrong_payload_type_raises(payload: object) -> None:
    with pytest.raises(PayloadError):
        classify("graphql", payload)


def test_secret_arguments_are_not_targets() -> None:
    (action,) = classify("graphql", 'mutation { dropEverything(password: "hunter2", token: "t") }')
    assert action.verb is Verb.DESTRUCTIVE
    assert "hunter2" not in json.dumps(action.to_json())
    assert "t" not in action.targets


def test_fallback_target_is_a_plain_string_argument() -> None:
    (action,) = classify("graphql", 'mutation { dropDatabase(database: "prod") }')
    assert action.targets == ("prod",)


# -- bounds ------------------------------------------------------------------------------------


def test_too_many_tokens_is_unknown() -> None:
    doc = "{ " + " ".join(f"f{i}" for i in range(30_000)) + " }"
    assert verdict(doc) is Verb.UNKNOWN


def test_deep_nesting_is_unknown_not_a_crash() -> None:
    doc = "{ a " + "{ a " * 3000 + "}" * 3001
    assert verdict(doc) is Verb.UNKNOWN


def _fan_out(levels: int, on: str, leaf: str) -> str:
    """Fragments F0…F{levels} on `on`, each spreading the next twice: 2**levels paths to `leaf`."""
    spreads = " ".join(
        f"fragment F{i} on {on} {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    )
    return f"{spreads} fragment F{levels} on {on} {{ {leaf} }}"


def test_fragment_fan_out_expands_each_fragment_once() -> None:
    # 2**20 spread paths reach one root field: it is one action, so each fragment was
    # expanded once (naive expansion gives a million). Its cost at 2**40 paths is measured
    # by `benchmarks/bench_classify_graphql.py` (classify_graphql_fan_out_p50_us).
    doc = "mutation { ...F0 } " + _fan_out(20, "Mutation", 'volumeDelete(volumeId: "v")')
    actions = classify("graphql", doc)
    assert [(a.operation, a.verb) for a in actions] == [("graphql:volumeDelete", Verb.DESTRUCTIVE)]


def test_nested_fragment_fan_out_is_analysed_within_the_step_budget() -> None:
    # The same fan-out below a root field: the nested-command scan memoises each fragment,
    # so 2**40 paths cost 41 fragment scans, well inside the step budget (a naive scan runs
    # out of it and answers unknown).
    doc = 'mutation { serviceUpdate(id: "s") { ...F0 } } ' + _fan_out(
        40, "Service", 'volumeDelete(volumeId: "v") { id }'
    )
    assert verdict(doc) is Verb.DESTRUCTIVE


def test_documents_are_cached_by_text() -> None:
    text = 'mutation { cacheProbeDelete(id: "c") }'
    analyse(text)
    before = analyse.cache_info().hits
    classify("graphql", {"query": text, "variables": {"x": 1}})
    assert analyse.cache_info().hits == before + 1


def test_oversized_batch_is_unknown() -> None:
    batch: list[Any] = [{"query": "{ a }"}] * (gql.MAX_BATCH + 1)
    assert verdict(batch) is Verb.UNKNOWN


# -- properties --------------------------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["query", "operationName", "variables", "extensions", "x"])
            | st.text(max_size=8),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)
_identifier = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,15}", fullmatch=True)


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_arbitrary_text_that_does_not_parse_is_one_unknown(text: str) -> None:
    # The module, not the registry: the registry would turn a crash into `unknown` too.
    actions = gql.classify(text, 0)
    assert actions and all(a.protocol == "graphql" for a in actions)
    if not _is_json(text) and analyse(text).error is not None:
        assert [a.verb for a in actions] == [Verb.UNKNOWN]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_json)
def test_never_raises_on_json_values(value: Any) -> None:
    if isinstance(value, str | dict | list):
        actions = gql.classify(value, 0)
        assert actions and all(a.protocol == "graphql" for a in actions)
    else:
        with pytest.raises(PayloadError):
            gql.classify(value, 0)


@settings(max_examples=200)
@given(st.text(max_size=120))
def test_unparseable_documents_are_unknown(text: str) -> None:
    doc = "mutation { volumeCreate(" + text.replace(")", "") + " {"  # never closes
    if analyse(doc).error is not None:
        assert verdict({"query": doc}) is Verb.UNKNOWN


@settings(max_examples=200)
@given(
    _identifier,
    st.sampled_from(
        [
            'volumeDelete(volumeId: "v")',
            'customDomainCreate(input: {domain: "x"}) { id }',
            'serviceInstanceRedeploy(serviceId: "s")',
            "__typename",
            "purgeCache",
        ]
    ),
    st.sampled_from(["mutation", "query", "subscription"]),
)
def test_alias_never_changes_the_verb(alias: str, field: str, kind: str) -> None:
    plain = verdict(f"{kind} {{ {field} }}")
    aliased = verdict(f"{kind} {{ {alias}: {field} }}")
    assert plain is aliased


def test_the_detail_shows_the_exact_call_with_variables_and_masks_credentials() -> None:
    # An approver must see what will run: the arguments, variables filled in.
    from interlock.classify.graphql import classify as classify_graphql

    payload = {
        "query": "mutation($v: String!) { a: volumeDelete(volumeId: $v) "
        'userCreate(email: "x@y", password: "hunter2-hunter2") }',
        "variables": {"v": "vol-prod-1"},
    }
    delete, create = classify_graphql(payload, 0)
    assert delete.detail == 'mutation { a: volumeDelete(volumeId: "vol-prod-1") }'
    assert "hunter2" not in create.detail and "password: [redacted]" in create.detail
