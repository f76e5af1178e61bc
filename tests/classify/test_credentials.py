"""API, GraphQL and MCP names about credentials and privileges are `privilege` (issue 15).

The same words, written in any convention (camelCase, snake_case, kebab-case, dotted,
PascalCase) and in either order (`createApiToken`, `apiTokenCreate`), mean the same thing;
a read verb (`list`, `get`, `verify`) makes them a read.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlock.classify import classify
from interlock.model import Verb, most_severe

_PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_SUBJECTS = st.sampled_from(
    [
        ["api", "token"],
        ["access", "token"],
        ["deploy", "key"],
        ["ssh", "key"],
        ["api", "key"],
        ["access", "key"],
        ["service", "account", "key"],
        ["role", "binding"],
        ["iam", "policy"],
        ["collaborator"],
        ["team", "membership"],
        ["o", "auth", "app"],
        ["permission"],
        ["credential"],
        ["secret"],
    ]
)
_CHANGE = st.sampled_from(["create", "add", "generate", "grant", "attach", "update", "rotate"])
_READ = st.sampled_from(["list", "get", "describe", "verify"])


def _spell(words: list[str], style: int) -> str:
    if style == 0:
        return words[0] + "".join(w.capitalize() for w in words[1:])
    if style == 1:
        return "_".join(words)
    if style == 2:
        return "-".join(words)
    return "".join(w.capitalize() for w in words)


@st.composite
def _name(draw: st.DrawFn, verb: st.SearchStrategy[str]) -> str:
    subject, action = draw(_SUBJECTS), draw(verb)
    words = [action, *subject] if draw(st.booleans()) else [*subject, action]
    return _spell(words, draw(st.integers(0, 3)))


def _camel(name: str) -> str:
    """GraphQL field names are identifiers: no dashes."""
    return name.replace("-", "_")


@_PROPERTY
@given(_name(_CHANGE))
def test_changing_a_credential_is_privilege_everywhere(name: str) -> None:
    graphql = classify("graphql", f'mutation {{ {_camel(name)}(id: "x") }}')
    assert Verb.PRIVILEGE in {a.verb for a in graphql}, name
    tool = classify("mcp", {"tool": name, "arguments": {"id": "x"}})
    assert Verb.PRIVILEGE in {a.verb for a in tool}, name
    http = classify("http", {"method": "POST", "url": f"https://api.example.com/v1/{name}"})
    assert Verb.PRIVILEGE in {a.verb for a in http}, name


@_PROPERTY
@given(_name(_READ))
def test_reading_about_a_credential_is_not_privilege(name: str) -> None:
    tool = classify("mcp", {"tool": name, "arguments": {}})
    assert Verb.PRIVILEGE not in {a.verb for a in tool}, name
    graphql = classify("graphql", f"query {{ {_camel(name)} {{ id }} }}")
    assert most_severe(a.verb for a in graphql) is Verb.READ, name
    http = classify("http", {"method": "POST", "url": f"https://api.example.com/v1/{name}"})
    assert Verb.PRIVILEGE not in {a.verb for a in http}, name
