"""Parameters whose values can change a statement's verdict are found at Parse (issue 15).

The PostgreSQL proxy judges a Bind again only when `parameters(text).sensitive`; a statement
whose bound form is more severe than its parsed form but that is not flagged would run
unjudged. The property: whatever values are bound, binding never raises the verdict of a
statement the flag calls insensitive.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlock.classify import classify
from interlock.classify.sql import bind_text, parameters
from interlock.model import Verb, most_severe

_PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _verdict(sql: str) -> Verb:
    return most_severe(a.verb for a in classify("sql", sql))


_ATOMS = st.sampled_from(
    [
        "id = $1",
        "$1 = id",
        "id IN ($1, $2)",
        "v = $2",
        "id = $1::int",
        "id > $1",
        "id <> $1",
        "v = coalesce($1, v)",
        "$2::bool",
        "$1 IS NULL",
        "v LIKE $2",
        "id = $1 OR $2",
        "coalesce($1, 0) = 0",
        "id = ANY ($1::int[])",
        "v = 'x'",
    ]
)
_PREDICATES = st.recursive(
    _ATOMS,
    lambda inner: st.one_of(
        st.builds(lambda a, b: f"({a}) AND ({b})", inner, inner),
        st.builds(lambda a, b: f"({a}) OR ({b})", inner, inner),
        st.builds(lambda a: f"NOT ({a})", inner),
    ),
    max_leaves=4,
)
_VALUES = st.sampled_from(["NULL", "0", "1", "5", "true", "false", "'%'", "'x'", "-1"])


@_PROPERTY
@given(
    st.sampled_from(
        [
            "DELETE FROM t WHERE {p}",
            "UPDATE t SET v = 'z' WHERE {p}",
            "WITH d AS (DELETE FROM t WHERE {p} RETURNING *) SELECT * FROM d",
        ]
    ),
    _PREDICATES,
    _VALUES,
    _VALUES,
)
def test_binding_never_raises_an_insensitive_verdict(
    template: str, predicate: str, first: str, second: str
) -> None:
    text = template.format(p=predicate)
    use = parameters(text)
    bound = bind_text(text, use, [first, second])
    assert bound is not None
    if _verdict(bound).severity > _verdict(text).severity:
        assert use.sensitive, (text, bound)


def test_the_issue_statements_are_sensitive_and_bind_as_written() -> None:
    for text, values, expected in (
        ("DELETE FROM orders WHERE id = $1 OR $2::bool", ["1", "true"], Verb.DESTRUCTIVE),
        ("DELETE FROM orders WHERE a = coalesce($1, a)", ["NULL"], Verb.DESTRUCTIVE),
        ("DELETE FROM orders WHERE a = coalesce($1, a)", ["'x'"], Verb.WRITE),
    ):
        use = parameters(text)
        assert use.sensitive
        bound = bind_text(text, use, values)
        assert bound is not None and "$" not in bound
        assert _verdict(bound) is expected, bound


def test_key_lookups_are_not_rejudged() -> None:
    # The common shape of prepared statements: nothing a value can do reaches more rows.
    for text in (
        "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2",
        "DELETE FROM sessions WHERE token = $1",
        "DELETE FROM t WHERE id IN ($1, $2, $3)",
        "SELECT * FROM t WHERE a > $1",
        "INSERT INTO t VALUES ($1, $2)",
    ):
        assert not parameters(text).sensitive, text


def test_bind_text_replaces_by_position_not_by_text() -> None:
    text = "DELETE FROM t WHERE note = '$1 is not a parameter' AND id = $1 OR $10"
    use = parameters(text)
    values = [str(n) for n in range(1, 11)]
    bound = bind_text(text, use, values)
    assert bound == "DELETE FROM t WHERE note = '$1 is not a parameter' AND id = 1 OR 10"
    assert bind_text(text, use, ["1"]) is None  # $10 has no value
