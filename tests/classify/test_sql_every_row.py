"""UPDATE and DELETE predicates that no row fails are destructive, however written (issue 15).

The oracle is PostgreSQL itself: a generated predicate is run on a scratch table, and when it
holds for every row the classifier must say that a DELETE or UPDATE with it is destructive.
The table's data covers every combination of the values the predicates can tell apart (NULL,
every constant they use, the integers around and between them, far extremes), so a predicate
that holds for all of it holds for any data: an ordinary bound (`a > 1`) always misses a
row, and only predicates that no row can fail — written with system columns, self-referencing
subqueries, self joins, coalesce, ranges that cover every number — pass the oracle.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlock.classify import classify
from interlock.model import Verb, most_severe
from tests.proxy_pg.conftest import PG_HOST, PG_PORT, ensure_postgres

pytestmark = pytest.mark.integration

_PROPERTY = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
_CONSTANTS = st.integers(-3, 3)
_TABLE = "scratch_rows"


@pytest.fixture(scope="module")
def scratch() -> Iterator[psycopg.Connection]:
    ensure_postgres()
    with psycopg.connect(
        host=PG_HOST, port=PG_PORT, user="postgres", dbname="test", autocommit=True
    ) as conn:
        conn.execute(
            f"CREATE TEMP TABLE {_TABLE} (id int PRIMARY KEY, a int, b text, c int NOT NULL)"
        )
        # every combination of the values each column's predicates can tell apart, so that
        # predicates on different columns never cover the rows by coincidence
        rows = itertools.product([None, -100, 100, *range(-8, 9)], [None, "x", "y", ""], [0, 1, 2])
        with conn.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {_TABLE} VALUES (%s, %s, %s, %s)",
                [(index + 1, a, b, c) for index, (a, b, c) in enumerate(rows)],
            )
        yield conn


def _ordinary() -> st.SearchStrategy[str]:
    # Only columns whose values the table holds in every combination: a predicate on the key
    # (`id = 3`) picks one row whose other values are a coincidence of the data, so a
    # combination such as `NOT (a IS NOT NULL AND id = 3)` held for every row of this table
    # without holding for every table.
    comparison = st.builds(
        lambda op, c: f"a {op} {c}", st.sampled_from(["=", "<>", "<", ">", "<=", ">="]), _CONSTANTS
    )
    return st.one_of(
        comparison,
        st.sampled_from(
            ["a IS NULL", "a IS NOT NULL", "b = 'x'", "b <> 'x'", "b IS NULL", "c = 1", "c <> 2"]
        ),
        st.builds(lambda c, d: f"a BETWEEN {min(c, d)} AND {max(c, d)}", _CONSTANTS, _CONSTANTS),
    )


def _every_row() -> st.SearchStrategy[str]:
    t = _TABLE
    return st.one_of(
        st.sampled_from(
            [
                "ctid IS NOT NULL",
                f"{t}.xmin IS NOT NULL",
                "tableoid IS NOT NULL",
                "ctid > '(0,0)'",
                "ctid >= '(0,1)'",
                f"id IN (SELECT id FROM {t} WHERE true)",
                f"id IN (SELECT s.id FROM {t} s WHERE 1 = 1)",
                f"id = ANY (SELECT id FROM {t})",
                f"EXISTS (SELECT 1 FROM {t} s WHERE s.id = {t}.id)",
                f"id <= (SELECT max(id) FROM {t})",
                f"c >= (SELECT min(c) FROM {t})",
                f"id NOT IN (SELECT id FROM {t} WHERE false)",
                "id = id",
                "c = c + 0",
                "coalesce(a, 0) = coalesce(a, 0)",
                "a IS NULL OR a IS NOT NULL",
                "b IS NULL OR b = 'x' OR b <> 'x'",
                "c = coalesce(NULL, c)",
                "id > 0",
                "id IS NOT NULL",
                "true",
                "1 = 1",
                "NOT false",
            ]
        ),
        st.builds(
            lambda c, d: f"a IS NULL OR a > {c} OR a <= {c} OR a = {d}", _CONSTANTS, _CONSTANTS
        ),
        st.builds(lambda c, d: f"a IS NULL OR a > {c} OR a < {d}", _CONSTANTS, _CONSTANTS),
    )


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(lambda x, y: f"({x}) OR ({y})", children, children),
        st.builds(lambda x, y: f"({x}) AND ({y})", children, children),
        st.builds(lambda x: f"NOT ({x})", children),
    )


_PREDICATES = st.recursive(st.one_of(_ordinary(), _every_row()), _combine, max_leaves=5)


def _holds_for_every_row(conn: psycopg.Connection, predicate: str) -> bool:
    matched, total = conn.execute(
        f"SELECT count(*) FILTER (WHERE {predicate}), count(*) FROM {_TABLE}"
    ).fetchone() or (0, 0)
    return total > 0 and matched == total


@_PROPERTY
@given(_PREDICATES)
def test_a_predicate_every_row_meets_is_destructive(
    scratch: psycopg.Connection, predicate: str
) -> None:
    if not _holds_for_every_row(scratch, predicate):
        return
    for statement in (
        f"DELETE FROM {_TABLE} WHERE {predicate}",
        f"UPDATE {_TABLE} SET b = 'z' WHERE {predicate}",
    ):
        verdict = most_severe(a.verb for a in classify("sql", statement))
        assert verdict is Verb.DESTRUCTIVE, statement


@_PROPERTY
@given(st.sampled_from(["s.id", "s.c"]), _ordinary())
def test_a_self_join_on_what_each_row_meets_with_itself_is_destructive(
    scratch: psycopg.Connection, column: str, extra: str
) -> None:
    own = column.replace("s.", f"{_TABLE}.")
    statement = f"DELETE FROM {_TABLE} USING {_TABLE} s WHERE {own} = {column} OR {extra}"
    assert most_severe(a.verb for a in classify("sql", statement)) is Verb.DESTRUCTIVE
