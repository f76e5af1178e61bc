"""Unit and property tests for the MCP tool-call classifier.

The SQL, shell, HTTP and GraphQL classifiers are replaced by fakes here, so these tests pin
down the hand-off (what text reaches which classifier, and how its verdict combines) without
depending on those classifiers' own judgement. `cases/mcp.yaml` runs the real ones.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlock import classify as registry
from interlock.classify import classify, mcp, register
from interlock.classify._names import split_words
from interlock.errors import PayloadError
from interlock.model import Action, Verb, most_severe

INNER = ("sql", "shell", "http", "graphql")


class Recorder:
    """Fake inner classifiers: record what they are handed, answer a fixed verb."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []
        self.verb: dict[str, Verb] = {kind: Verb.READ for kind in INNER}

    def classifier(self, kind: str) -> Any:
        def fn(payload: object, depth: int) -> list[Action]:
            self.calls.append((kind, payload))
            return [Action(kind, f"{kind}:fake", self.verb[kind])]

        return fn

    def handed(self, kind: str) -> list[object]:
        return [payload for k, payload in self.calls if k == kind]


@pytest.fixture
def inner() -> Iterator[Recorder]:
    """Register fakes for the embedded languages; restore the real ones afterwards."""
    saved = {kind: registry._loaded.get(kind) for kind in INNER}
    recorder = Recorder()
    for kind in INNER:
        register(kind, recorder.classifier(kind))
    try:
        yield recorder
    finally:
        for kind, fn in saved.items():
            if fn is None:
                registry._loaded.pop(kind, None)
            else:
                registry._loaded[kind] = fn
        registry._cache.clear()


def verdict(payload: object) -> Verb:
    return most_severe(a.verb for a in classify("mcp", payload))


def top(payload: object) -> Action:
    return classify("mcp", payload)[0]


# ---- tool names -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        *("delete_database", "deleteDatabase", "DeleteDatabase", "db.drop", "repo-destroy"),
        *("s3_rm", "volume_delete", "DROP_TABLE", "purgeCache", "git_reset", "kubectl_delete"),
        *("wipeAll", "terraform_destroy", "force_push", "format_disk", "dropdatabase"),
        *("mcp__neon__delete_branch", "restore_backup", "disable_backups", "dele\u200bte_db"),
    ],
)
def test_destructive_names(name: str) -> None:
    assert verdict({"tool": name}) is Verb.DESTRUCTIVE


@pytest.mark.parametrize(
    "name",
    [
        *("list_tables", "get_issue", "search_code", "read_file", "fetch", "describe_table"),
        *("listTables", "get_commit", "list_releases", "git_log", "get_pull_request_files"),
        *("list_deleted_items", "directory_tree", "mcp__github__get_me", "aggregate"),
    ],
)
def test_read_names(name: str) -> None:
    assert verdict({"tool": name}) is Verb.READ


@pytest.mark.parametrize(
    "name",
    [
        *("create_issue", "create_file", "append_file", "post_message"),
        *("status_update", "get_or_create_user", "format_code"),
        *("run_tests", "push_files", "restore_file", "disable_alerts", "list_deploys"),
    ],
)
def test_write_names(name: str) -> None:
    assert verdict({"tool": name}) in (Verb.WRITE, Verb.READ)


@pytest.mark.parametrize(
    "name",
    [
        # providers declare these destructive (`destructiveHint: true`): a move replaces its
        # destination, a merge or rebase rewrites a shared branch, a deploy replaces what runs
        *("move_file", "merge_pull_request", "git_rebase", "deploy_edge_function"),
        *("cancel_subscription", "detach_role_policy", "stop_instance"),
    ],
)
def test_harmless_sounding_destructive_names(name: str) -> None:
    assert verdict({"tool": name}) is Verb.DESTRUCTIVE


@pytest.mark.parametrize(
    "name", ["frobnicate", "x", "sequential", "dеlete_db", "get_dе", "bash", "exec"]
)
def test_unrecognised_or_carrier_names_without_content_are_unknown(name: str) -> None:
    assert verdict({"tool": name}) is Verb.UNKNOWN


def test_words_not_substrings() -> None:
    assert split_words("getDropdownOptions") == ("get", "dropdown", "options")
    assert verdict({"tool": "getDropdownOptions"}) is Verb.READ
    assert verdict({"tool": "address_lookup"}) is Verb.READ


def test_operation_and_protocol() -> None:
    action = top({"tool": "delete_database", "arguments": {"name": "prod"}})
    assert action.protocol == "mcp"
    assert action.operation == "mcp:delete_database"
    assert action.targets == ("prod",)


# ---- annotations --------------------------------------------------------------------------


def test_read_only_hint_never_lowers() -> None:
    payload = {"tool": "delete_database", "annotations": {"readOnlyHint": True}}
    action = top(payload)
    assert action.verb is Verb.DESTRUCTIVE
    assert "readOnlyHint" in action.reason


def test_destructive_hint_raises() -> None:
    assert verdict({"tool": "get_thing", "annotations": {"destructiveHint": True}}) is (
        Verb.DESTRUCTIVE
    )
    # Contradictory hints resolve to the more severe one.
    both = {"readOnlyHint": True, "destructiveHint": True}
    assert verdict({"tool": "get_thing", "annotations": both}) is Verb.DESTRUCTIVE


def test_not_read_only_hint_raises_a_read_name_to_write() -> None:
    assert verdict({"tool": "get_thing", "annotations": {"readOnlyHint": False}}) is Verb.WRITE


def test_hints_never_settle_an_unrecognised_name() -> None:
    # hints only raise: a server's word that its tool is harmless vouches for nothing
    assert verdict({"tool": "weather", "annotations": {"readOnlyHint": True}}) is Verb.UNKNOWN
    additive = {"readOnlyHint": False, "destructiveHint": False}
    assert verdict({"tool": "weather", "annotations": additive}) is Verb.UNKNOWN
    # An omitted destructiveHint is not read as its spec default (true) for known names.
    assert verdict({"tool": "create_issue", "annotations": {"readOnlyHint": False}}) is Verb.WRITE
    assert verdict({"tool": "weather", "annotations": {"readOnlyHint": False}}) is Verb.UNKNOWN


def test_read_only_hint_does_not_vouch_for_a_carrier() -> None:
    assert verdict({"tool": "bash", "annotations": {"readOnlyHint": True}}) is Verb.UNKNOWN
    code = {"tool": "run_python", "arguments": {"code": "print(1)"}}
    assert verdict({**code, "annotations": {"readOnlyHint": True}}) is Verb.UNKNOWN


# ---- hand-offs to other classifiers ----------------------------------------------------------


def test_sql_argument_handed_to_sql(inner: Recorder) -> None:
    inner.verb["sql"] = Verb.DESTRUCTIVE
    actions = classify("mcp", {"tool": "query", "arguments": {"sql": "DROP TABLE users"}})
    assert inner.handed("sql") == ["DROP TABLE users"]
    assert actions[0].verb is Verb.DESTRUCTIVE
    assert [a.operation for a in actions] == ["mcp:query", "sql:fake"]


def test_read_sql_stays_read(inner: Recorder) -> None:
    assert verdict({"tool": "execute_sql", "arguments": {"query": "SELECT 1"}}) is Verb.READ
    assert inner.handed("sql") == ["SELECT 1"]


def test_statement_lists_each_handed_over(inner: Recorder) -> None:
    classify("mcp", {"tool": "run_sql_transaction", "arguments": {"sqlStatements": ["A", "B"]}})
    assert inner.handed("sql") == ["A", "B"]


def test_query_that_parses_as_sql_in_a_generic_tool(inner: Recorder) -> None:
    classify("mcp", {"tool": "get_data", "arguments": {"query": "DELETE FROM users"}})
    assert inner.handed("sql") == ["DELETE FROM users"]


def test_search_query_is_text_not_code(inner: Recorder) -> None:
    for query in ("delete button broken", "DROP TABLE users"):
        assert verdict({"tool": "search_issues", "arguments": {"query": query}}) is Verb.READ
    assert inner.calls == []


def test_graphql_query(inner: Recorder) -> None:
    inner.verb["graphql"] = Verb.DESTRUCTIVE
    document = 'mutation { volumeDelete(volumeId: "v") }'
    assert verdict({"tool": "graphql", "arguments": {"query": document}}) is Verb.DESTRUCTIVE
    assert inner.handed("graphql") == [{"query": document}]


def test_argv_joined_with_program(inner: Recorder) -> None:
    inner.verb["shell"] = Verb.DESTRUCTIVE
    payload = {"tool": "kubectl", "arguments": {"args": ["delete", "ns", "prod env"]}}
    assert verdict(payload) is Verb.DESTRUCTIVE
    assert inner.handed("shell") == ["kubectl delete ns 'prod env'"]


def test_command_plus_args(inner: Recorder) -> None:
    classify("mcp", {"tool": "exec", "arguments": {"command": "rm", "args": ["-rf", "/"]}})
    assert inner.handed("shell") == ["rm -rf /"]


def test_bare_string_arguments_to_a_shell_tool(inner: Recorder) -> None:
    classify("mcp", {"tool": "bash", "arguments": "rm -rf /"})
    assert inner.handed("shell") == ["rm -rf /"]


def test_http_request(inner: Recorder) -> None:
    inner.verb["http"] = Verb.DESTRUCTIVE
    args = {"method": "delete", "url": "https://x/v1/volumes/1", "headers": {"A": "b"}}
    assert verdict({"tool": "http_request", "arguments": args}) is Verb.DESTRUCTIVE
    assert inner.handed("http") == [
        {"method": "DELETE", "url": "https://x/v1/volumes/1", "headers": {"A": "b"}}
    ]


def test_url_of_a_write_tool_is_not_a_request(inner: Recorder) -> None:
    payload = {"tool": "create_webhook", "arguments": {"url": "https://hooks.example/x"}}
    assert verdict(payload) is Verb.WRITE
    assert inner.calls == []


def test_nested_json_string(inner: Recorder) -> None:
    inner.verb["sql"] = Verb.DESTRUCTIVE
    payload = {"tool": "execute", "arguments": {"params": json.dumps({"sql": "DROP SCHEMA x"})}}
    assert verdict(payload) is Verb.DESTRUCTIVE


def test_inner_unknown_makes_the_call_unknown(inner: Recorder) -> None:
    inner.verb["shell"] = Verb.UNKNOWN
    assert verdict({"tool": "run_command", "arguments": {"command": "weird"}}) is Verb.UNKNOWN


def test_graphql_request_keeps_variables(inner: Recorder) -> None:
    args = {"query": "mutation D($id: ID!) { volumeDelete(id: $id) }", "variables": {"id": "v"}}
    classify("mcp", {"tool": "railway_api", "arguments": args})
    assert inner.handed("graphql") == [{"query": args["query"], "variables": {"id": "v"}}]


def test_command_list_is_an_argv(inner: Recorder) -> None:
    payload = {"tool": "exec_in_pod", "arguments": {"name": "p", "command": ["rm", "-rf", "/d"]}}
    classify("mcp", payload)
    assert inner.handed("shell") == ["rm -rf /d"]


def test_inner_classifier_that_cannot_load_fails_closed(inner: Recorder) -> None:
    def broken(payload: object, depth: int) -> list[Action]:
        raise ModuleNotFoundError("no module")

    register("sql", broken)
    assert verdict({"tool": "query", "arguments": {"sql": "SELECT 1"}}) is Verb.UNKNOWN


def test_action_value_in_prose_is_not_an_action() -> None:
    payload = {"tool": "create_task", "arguments": {"action": "delete old logs next week"}}
    assert verdict(payload) is Verb.WRITE


def test_wrapped_tool_call() -> None:
    payload = {"tool": "call_tool", "arguments": {"name": "drop_table", "arguments": {}}}
    actions = classify("mcp", payload)
    assert "mcp:drop_table" in {a.operation for a in actions}
    assert actions[0].verb is Verb.DESTRUCTIVE


# ---- verbs carried by argument values ---------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"action": "delete", "id": "v"}, Verb.DESTRUCTIVE),
        ({"operation": "forceDelete"}, Verb.DESTRUCTIVE),
        ({"op": "terminate"}, Verb.DESTRUCTIVE),
        ({"mode": "overwrite"}, Verb.WRITE),
        ({"action": "list"}, Verb.READ),
        ({"spec": {"action": "purge"}}, Verb.DESTRUCTIVE),
        ({"command": "destroy"}, Verb.DESTRUCTIVE),
        ({"action": "zorp"}, Verb.UNKNOWN),
    ],
)
def test_action_arguments(arguments: dict[str, object], expected: Verb) -> None:
    assert verdict({"tool": "manage_volume", "arguments": arguments}) is expected


def test_flags() -> None:
    assert verdict({"tool": "git_push", "arguments": {"force": True}}) is Verb.DESTRUCTIVE
    assert verdict({"tool": "git_push", "arguments": {"force": False}}) is Verb.WRITE
    assert verdict({"tool": "fetch", "arguments": {"force": True}}) is Verb.READ
    merge = {"tool": "merge_pull_request", "arguments": {"delete_branch": True}}
    assert verdict(merge) is Verb.DESTRUCTIVE
    listing = {"tool": "list_objects", "arguments": {"include_deleted": True}}
    assert verdict(listing) is Verb.READ


def test_write_to_a_device() -> None:
    payload = {"tool": "move_file", "arguments": {"source": "db", "destination": "/dev/null"}}
    assert verdict(payload) is Verb.DESTRUCTIVE
    payload = {"tool": "create_file", "arguments": {"path": "/dev/stdout", "content": "x"}}
    assert verdict(payload) is Verb.WRITE


# ---- payload shapes ---------------------------------------------------------------------------


def test_payload_as_json_text_and_jsonrpc_envelope() -> None:
    assert verdict(json.dumps({"tool": "drop_table"})) is Verb.DESTRUCTIVE
    envelope = {"jsonrpc": "2.0", "method": "tools/call", "params": {"name": "drop_table"}}
    assert verdict(envelope) is Verb.DESTRUCTIVE


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "tool"),
        ({"arguments": {}}, "tool"),
        ({"tool": 3}, "tool"),
        ({"tool": "  "}, "tool"),
        ({"tool": "a", "name": "b"}, "tool"),
        ({"tool": "a", "annotations": []}, "annotations"),
        ({"tool": "a", "server": 1}, "server"),
        ("not json", "JSON"),
        ([1, 2], "object"),
        (7, "object"),
    ],
)
def test_bad_payloads_raise(payload: object, field: str) -> None:
    with pytest.raises(PayloadError, match=field):
        classify("mcp", payload)


def test_detail_redacts_credentials() -> None:
    args = {
        "api_key": "abc123",
        "Authorization": "Bearer zzz",
        "password": "hunter2",
        "note": "ghp_abcdefabcdef",
        "channel": "C1",
    }
    action = top({"tool": "post_message", "arguments": args, "server": "slack"})
    for secret in ("abc123", "zzz", "hunter2", "ghp_"):
        assert secret not in action.detail
        assert all(secret not in t for t in action.targets)
    assert action.detail.startswith("slack/post_message(")
    assert len(action.detail) <= 200


def test_bounded_on_huge_arguments() -> None:
    deep: object = "x"
    for _ in range(50):
        deep = {"a": deep}
    assert verdict({"tool": "get_thing", "arguments": deep}) is Verb.UNKNOWN
    wide = {"tool": "get_thing", "arguments": {"items": [{"k": i} for i in range(5000)]}}
    assert verdict(wide) is Verb.UNKNOWN


# ---- properties -------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=30,
)
key_words = st.sampled_from(
    [
        *("sql", "query", "command", "args", "url", "method", "action", "tool", "name", "path"),
        *("force", "delete_all", "headers", "body", "arguments", "script", "id", "variables"),
    ]
)
tool_like = st.recursive(
    st.text(max_size=40) | st.sampled_from(["DROP TABLE x", "rm -rf /", "DELETE", "GET"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(key_words | st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
names = st.text(min_size=1, max_size=40).filter(lambda s: s.strip() != "") | st.sampled_from(
    ["delete_database", "get_issue", "bash", "query", "kubectl", "call_tool", "fetch"]
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(name=names, arguments=json_values | tool_like)
def test_never_raises_and_always_answers(name: str, arguments: object) -> None:
    # Call the module, not the registry: the registry would turn a crash into `unknown`.
    actions = mcp.classify({"tool": name, "arguments": arguments}, 0)
    assert actions and actions[0].protocol == "mcp"
    assert len(actions[0].detail) <= 200


@settings(max_examples=200)
@given(name=names, arguments=json_values | tool_like)
def test_read_only_hint_never_lowers_any_call(name: str, arguments: object) -> None:
    plain = verdict({"tool": name, "arguments": arguments})
    hinted = verdict({"tool": name, "arguments": arguments, "annotations": {"readOnlyHint": True}})
    assert hinted.severity >= plain.severity


@settings(max_examples=100)
@given(arguments=json_values)
def test_missing_tool_always_raises(arguments: object) -> None:
    with pytest.raises(PayloadError):
        classify("mcp", {"arguments": arguments})
