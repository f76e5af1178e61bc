"""Targeted and property tests for the HTTP classifier and route packs (corpus: cases/http.yaml)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlock.classify import classify
from interlock.classify import http as http_classifier
from interlock.classify._routes import ENV_VAR, configure, load_packs
from interlock.errors import ConfigError, PayloadError
from interlock.model import Action, Verb, most_severe

INCIDENT = {
    "method": "POST",
    "url": "https://backboard.railway.app/graphql/v2",
    "headers": {"Authorization": "Bearer x", "Content-Type": "application/json"},
    "body": '{"query":"mutation { volumeDelete(volumeId: \\"vol-prod-123\\") }"}',
}


def run(payload: object) -> list[Action]:
    # Straight to the module: the registry caches string payloads, and these tests change packs.
    return http_classifier.classify(payload, 0)


def verdict(payload: object) -> Verb:
    return most_severe(a.verb for a in run(payload))


@pytest.fixture
def packs_reset() -> Iterator[None]:
    yield
    configure([])


# -- the incident ------------------------------------------------------------------------------


def test_incident_exact_request_is_destructive() -> None:
    (action,) = run(INCIDENT)
    assert action.verb is Verb.DESTRUCTIVE
    assert action.operation == "graphql:volumeDelete"
    assert "vol-prod-123" in action.targets
    assert "backboard.railway.app/graphql/v2" in action.targets


def test_incident_as_text_request() -> None:
    text = (
        "POST /graphql/v2 HTTP/1.1\r\nHost: backboard.railway.app\r\n"
        "Authorization: Bearer x\r\n\r\n" + str(INCIDENT["body"])
    )
    assert verdict(text) is Verb.DESTRUCTIVE


def test_credentials_never_reach_actions() -> None:
    payload = {
        "method": "POST",
        "url": "https://agent:pa55word@api.example.com/v1/x?token=qs-secret&page=1",
        "headers": {"Authorization": "Bearer hdr-secret", "Cookie": "sid=cookie-secret"},
        "body": {"a": 1},
    }
    dumped = json.dumps([a.to_json() for a in run(payload)])
    for secret in ("pa55word", "agent", "qs-secret", "hdr-secret", "cookie-secret"):
        assert secret not in dumped


# -- payload shapes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        42,
        None,
        {"url": "https://x"},
        {"method": "GET"},
        {"method": 1, "url": "https://x"},
        {"method": "GET", "url": "https://x", "headers": "Authorization: x"},
    ],
)
def test_wrong_payload_shape_raises(payload: object) -> None:
    with pytest.raises(PayloadError):
        classify("http", payload)


def test_headers_as_pairs() -> None:
    payload = {
        "method": "POST",
        "url": "https://a.example/x",
        "headers": [["X-HTTP-Method-Override", "DELETE"]],
    }
    assert verdict(payload) is Verb.DESTRUCTIVE


def test_text_request_without_body() -> None:
    (action,) = run("GET https://api.example.com/v1/items")
    assert action.verb is Verb.READ
    assert action.targets == ("api.example.com/v1/items",)


def test_malformed_header_line_is_unknown() -> None:
    assert verdict("GET https://api.example.com/\nthis is not a header\n\n") is Verb.UNKNOWN


# -- route packs -------------------------------------------------------------------------------


def test_github_route_params_are_targets() -> None:
    (action,) = run({"method": "DELETE", "url": "https://api.github.com/repos/acme/widgets"})
    assert action.operation == "http:github.repo.delete"
    assert {"acme/widgets", "acme", "widgets"} <= set(action.targets)


def test_user_pack_directory(tmp_path: Path, packs_reset: None) -> None:
    (tmp_path / "internal.toml").write_text(
        """
name = "internal"
hosts = ["*.corp.example"]
graphql_paths = ["/api/gql"]

[graphql]
write = ["deleteDraft"]
destructive = ["archiveTenant"]

[methods]
PURGE = "destructive"

[[rule]]
method = "POST"
path = "/tenants/{tenant}/offboard"
verb = "destructive"
operation = "corp.tenant.offboard"
target = "tenant:{tenant}"
reason = "offboarding erases a tenant"
"""
    )
    configure([tmp_path])
    (action,) = run({"method": "POST", "url": "https://admin.corp.example/tenants/t1/offboard"})
    assert action.verb is Verb.DESTRUCTIVE
    assert action.operation == "http:corp.tenant.offboard"
    assert "tenant:t1" in action.targets
    gql_url = "https://admin.corp.example/api/gql"
    assert (
        verdict(
            {"method": "POST", "url": gql_url, "body": {"query": "mutation { deleteDraft(id: 1) }"}}
        )
        is Verb.WRITE
    )
    assert (
        verdict(
            {
                "method": "POST",
                "url": gql_url,
                "body": {"query": "mutation { archiveTenant(id: 1) }"},
            }
        )
        is Verb.DESTRUCTIVE
    )
    # The override only applies to the pack's hosts.
    assert (
        verdict(
            {
                "method": "POST",
                "url": "https://other.example/api/gql",
                "body": {"query": "mutation { deleteDraft(id: 1) }"},
            }
        )
        is Verb.DESTRUCTIVE
    )
    assert verdict({"method": "PURGE", "url": "https://x.example/a"}) is Verb.DESTRUCTIVE


def test_env_var_names_pack_directories(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, packs_reset: None
) -> None:
    (tmp_path / "p.toml").write_text(
        '[[rule]]\nmethod = "GET"\npath = "/reports/{id}/run"\nverb = "write"\n'
    )
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    configure()
    assert verdict({"method": "GET", "url": "https://r.example/reports/1/run"}) is Verb.WRITE


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[rule]]\nverb = 'explode'\n", "rule 1.verb"),
        ("[[rule]]\nverb = 'read'\npath = 'no-slash'\n", "path must start"),
        ("[[rule]]\nverb = 'read'\nwhatever = 1\n", "unknown key"),
        ("name = [\n", "not valid TOML"),
        ("[methods]\n'GE T' = 'read'\n", "not an HTTP method"),
        ("[[graphql.arguments]]\nfield = 'f'\npath = 'a'\nverb = 'write'\n", "`equals`"),
        (
            "[[graphql.arguments]]\nfield = 'f'\npath = 'a..b'\nequals = 1\nverb = 'write'\n",
            "dotted argument path",
        ),
        ("[[graphql.arguments]]\nfield = 'f'\npath = 'a'\nequals = 1\nverb = 'nuke'\n", "verb"),
        (
            "[[graphql.arguments]]\nfield = 'f'\npath = 'a'\nequals = 1\nverb = 'read'\nx = 1\n",
            "unknown key",
        ),
    ],
)
def test_invalid_pack_names_file_and_rule(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "bad.toml").write_text(text)
    with pytest.raises(ConfigError) as info:
        load_packs([tmp_path])
    assert "bad.toml" in str(info.value)
    assert message in str(info.value)


def test_missing_pack_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_packs([tmp_path / "nope"])


def test_invalid_pack_fails_closed_through_the_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, packs_reset: None
) -> None:
    (tmp_path / "bad.toml").write_text("[[rule]]\nverb = 'nope'\n")
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    monkeypatch.setattr("interlock.classify._routes._table", None)
    actions = classify("http", {"method": "GET", "url": "https://x.example/pack-probe"})
    assert most_severe(a.verb for a in actions) is Verb.UNKNOWN


def test_builtin_packs_load() -> None:
    table = load_packs()
    names = [p.name for p in table.packs]
    assert names[-1] == "generic"
    assert {"github", "railway"} <= set(names)


# -- GraphQL inside HTTP -----------------------------------------------------------------------


def test_graphql_route_action_kept_when_route_is_dangerous() -> None:
    actions = run(
        {
            "method": "DELETE",
            "url": "https://api.example.com/graphql",
            "body": {"query": "{ me { id } }"},
        }
    )
    assert {a.protocol for a in actions} == {"graphql", "http"}
    assert most_severe(a.verb for a in actions) is Verb.DESTRUCTIVE


def test_json_query_that_is_not_graphql_stays_rest() -> None:
    (action,) = run(
        {
            "method": "POST",
            "url": "https://api.example.com/search",
            "body": {"query": "DROP TABLE users"},
        }
    )
    assert action.protocol == "http"
    assert action.verb is Verb.WRITE


# -- properties --------------------------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=15,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_never_raises_on_arbitrary_text(text: str) -> None:
    actions = run(text)
    assert actions and all(a.protocol in ("http", "graphql", "sql") for a in actions)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(max_size=12),
    st.one_of(st.text(max_size=60), st.sampled_from(["https://api.example.com/graphql", "/x"])),
    st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=3),
    _json,
)
def test_never_raises_on_arbitrary_requests(
    method: str, url: str, headers: dict[str, str], body: Any
) -> None:
    # The module, not the registry: the registry would turn a crash into `unknown`.
    actions = run({"method": method, "url": url, "headers": headers, "body": body})
    assert actions and all(a.protocol in ("http", "graphql", "sql") for a in actions)


@settings(max_examples=200)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-._~", min_size=6, max_size=24))
def test_secret_header_values_never_leak(suffix: str) -> None:
    secret = f"zq{suffix}"  # a prefix no classifier wording contains
    payload = {
        "method": "POST",
        "url": f"https://u:{secret}@backboard.railway.app/graphql/v2?key={secret}",
        "headers": {"Authorization": f"Bearer {secret}", "X-Api-Key": secret},
        "body": {"query": 'mutation { volumeDelete(volumeId: "vol-1") }'},
    }
    for action in run(payload):
        assert secret not in json.dumps(action.to_json())


@settings(max_examples=200)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=10))
def test_garbage_methods_are_unknown_or_known(method: str) -> None:
    found = verdict({"method": method, "url": "https://api.example.com/v1/items"})
    known = {
        "get": Verb.READ,
        "head": Verb.READ,
        "options": Verb.READ,
        "query": Verb.READ,
        "propfind": Verb.READ,
        "delete": Verb.DESTRUCTIVE,
    }
    if method in known:
        assert found is known[method]
    elif method in {"post", "put", "patch", "mkcol", "copy", "move", "lock", "unlock", "proppatch"}:
        assert found is Verb.WRITE
    else:
        assert found is Verb.UNKNOWN


# -- SQL carried over HTTP ---------------------------------------------------------------------


@pytest.fixture
def fake_sql(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Stand in for the SQL classifier so these tests do not depend on its verdicts."""
    import interlock.classify as registry

    seen: list[str] = []

    def classify_sql(payload: object, depth: int) -> list[Action]:
        seen.append(str(payload))
        verb = Verb.DESTRUCTIVE if "DROP" in str(payload).upper() else Verb.READ
        return [Action(protocol="sql", operation="sql:fake", verb=verb)]

    monkeypatch.setitem(registry._loaded, "sql", classify_sql)
    return seen


@pytest.mark.parametrize(
    ("payload", "statements"),
    [
        (
            {
                "method": "POST",
                "url": "https://api.supabase.com/v1/projects/abc/database/query",
                "body": {"query": "DROP TABLE users"},
            },
            ["DROP TABLE users"],
        ),
        (
            {
                "method": "POST",
                "url": "https://db-x.turso.io/v2/pipeline",
                "body": {
                    "requests": [
                        {"type": "execute", "stmt": {"sql": "select 1"}},
                        {"type": "execute", "stmt": {"sql": "drop table t"}},
                    ]
                },
            },
            ["select 1", "drop table t"],
        ),
        (
            {
                "method": "POST",
                "url": "https://hasura.example.com/v2/query",
                "body": {"type": "run_sql", "args": {"sql": "DROP SCHEMA public"}},
            },
            ["DROP SCHEMA public"],
        ),
    ],
)
def test_sql_bodies_go_to_the_sql_classifier(
    fake_sql: list[str], payload: dict[str, Any], statements: list[str]
) -> None:
    actions = run(payload)
    assert fake_sql == statements
    assert most_severe(a.verb for a in actions) is Verb.DESTRUCTIVE
    assert all(a.protocol == "sql" for a in actions)


def test_sql_api_without_readable_statement_is_unknown(fake_sql: list[str]) -> None:
    payload = {
        "method": "POST",
        "url": "https://ep-1.neon.tech/sql",
        "body": {"queries": [{"query": "select 1"}]},
    }
    assert verdict(payload) is Verb.UNKNOWN
    assert fake_sql == []


def test_sql_select_is_a_read(fake_sql: list[str]) -> None:
    payload = {
        "method": "POST",
        "url": "https://api.supabase.com/v1/projects/abc/database/query",
        "body": {"query": "select * from users"},
    }
    assert verdict(payload) is Verb.READ


def test_nested_needs_one_source(tmp_path: Path) -> None:
    (tmp_path / "n.toml").write_text(
        '[[rule]]\npath = "/q"\nverb = "unknown"\nnested = { kind = "sql" }\n'
    )
    with pytest.raises(ConfigError, match="exactly one"):
        load_packs([tmp_path])


# -- bodies servers read differently: duplicate keys, not UTF-8, ambiguous GraphQL (issue 15)

_JSON_LEAF = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8))
_KEYS = st.text(alphabet="abcdefgh", min_size=1, max_size=4)
_OBJECTS = st.recursive(
    st.dictionaries(_KEYS, _JSON_LEAF, min_size=1, max_size=4),
    lambda inner: st.dictionaries(_KEYS, inner, min_size=1, max_size=3),
    max_leaves=12,
)


def _with_duplicate(value: dict[str, Any], path: list[int]) -> str:
    """`value` as JSON text with its first key repeated in the object `path` leads to."""
    node: Any = value
    for index in path:
        children = [v for v in node.values() if isinstance(v, dict)]
        if not children:
            break
        node = children[index % len(children)]
    key = next(iter(node))
    marker = "\x00dup\x00"
    node[marker] = None
    text = json.dumps(value)
    return text.replace(json.dumps(marker) + ": null", f'{json.dumps(key)}: "deleteAll"')


@given(_OBJECTS, st.lists(st.integers(0, 3), max_size=4), st.sampled_from(["application/json", ""]))
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
def test_a_repeated_key_at_any_depth_is_unknown(
    value: dict[str, Any], path: list[int], content_type: str
) -> None:
    body = _with_duplicate(value, path)
    headers = {"Content-Type": content_type} if content_type else {}
    payload = {"method": "POST", "url": "https://api.example.com/rpc", "headers": headers}
    assert verdict({**payload, "body": body}) is Verb.UNKNOWN


@given(_OBJECTS, st.sampled_from(["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le"]))
@settings(max_examples=100)
def test_json_that_is_not_utf8_is_unknown(value: dict[str, Any], encoding: str) -> None:
    # What the proxy hands the classifier: the bytes decoded as UTF-8, errors replaced.
    body = json.dumps(value).encode(encoding).decode("utf-8", "replace")
    payload = {"method": "POST", "url": "https://api.example.com/rpc", "body": body}
    for headers in ({"Content-Type": "application/json"}, {}):
        assert verdict({**payload, "headers": headers}) is Verb.UNKNOWN


@given(_OBJECTS)
@settings(max_examples=100)
def test_well_formed_json_is_not_unknown_for_being_json(value: dict[str, Any]) -> None:
    payload = {
        "method": "POST",
        "url": "https://api.example.com/v1/items",
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(value),
    }
    assert all(a.reason != "the JSON body is not well-formed" for a in run(payload))


def test_a_bare_graphql_document_sent_as_text_is_still_read() -> None:
    payload = {
        "method": "POST",
        "url": "https://api.example.com/graphql",
        "headers": {"Content-Type": "text/plain"},
        "body": "{ users { id } }",
    }
    assert verdict(payload) is Verb.READ


# -- argument rules in pack data (`[[graphql.arguments]]`) -----------------------------------

_ARGUMENT_PACK = """
name = "fleet"
hosts = ["api.fleet.example"]
graphql_paths = ["/graphql"]

[[graphql.arguments]]
field = "scaleService"
path = "input.replicas"
equals = 0
verb = "destructive"
reason = "scaling to zero replicas stops the service"

[[graphql.arguments]]
field = "*"
path = "**.gone"
equals = true
verb = "destructive"
reason = "gone: true erases"
"""


def _fleet(query: str, variables: dict[str, Any] | None = None) -> Verb:
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    return verdict({"method": "POST", "url": "https://api.fleet.example/graphql", "body": body})


def test_argument_rules_from_a_user_pack(tmp_path: Path, packs_reset: None) -> None:
    (tmp_path / "fleet.toml").write_text(_ARGUMENT_PACK)
    configure([tmp_path])
    scale = "mutation($i: ScaleInput!) { scaleService(input: $i) }"
    assert _fleet(scale, {"i": {"replicas": 0}}) is Verb.DESTRUCTIVE
    assert _fleet(scale, {"i": {"replicas": 3}}) is Verb.WRITE
    assert _fleet(scale, {"i": {"replicas": False}}) is Verb.WRITE  # false is not 0
    assert _fleet("mutation { a: scaleService(input: {replicas: 0}) }") is Verb.DESTRUCTIVE
    # (a flag name the words do not know: `purge: true` is destructive without any pack)
    assert _fleet("mutation { updateNote(input: {x: [{gone: true}]}) }") is Verb.DESTRUCTIVE
    assert _fleet('mutation { updateNote(input: {gone: "true"}) }') is Verb.WRITE
    # a query that is not the operation that runs does not count
    two = "mutation A { scaleService(input: {replicas: 0}) } query B { ok }"
    body = {"method": "POST", "url": "https://api.fleet.example/graphql"}
    assert verdict({**body, "body": {"query": two, "operationName": "B"}}) is Verb.READ
    # only on the pack's hosts (zero replicas is destructive everywhere without a pack)
    other = {"method": "POST", "url": "https://other.example/graphql"}
    assert (
        verdict({**other, "body": {"query": "mutation { updateNote(input: {gone: true}) }"}})
        is Verb.WRITE
    )


@given(st.integers(min_value=-5, max_value=5), st.booleans())
@settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_numreplicas_zero_is_destructive_on_railway_however_sent(
    replicas: int, as_variable: bool
) -> None:
    if as_variable:
        query = "mutation($i: ServiceInstanceUpdateInput!) "
        query += '{ serviceInstanceUpdate(serviceId: "s", input: $i) }'
        body: dict[str, Any] = {"query": query, "variables": {"i": {"numReplicas": replicas}}}
    else:
        body = {
            "query": f'mutation {{ serviceInstanceUpdate(serviceId: "s", '
            f"input: {{numReplicas: {replicas}}}) }}"
        }
    found = verdict(
        {"method": "POST", "url": "https://backboard.railway.app/graphql/v2", "body": body}
    )
    assert found is (Verb.DESTRUCTIVE if replicas == 0 else Verb.WRITE)


def test_several_content_types_are_unknown() -> None:
    payload = {
        "method": "POST",
        "url": "https://api.example.com/rpc",
        "headers": [["Content-Type", "text/plain"], ["Content-Type", "application/json"]],
        "body": '{"method": "getUser"}',
    }
    assert verdict(payload) is Verb.UNKNOWN
