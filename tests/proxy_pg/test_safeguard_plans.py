"""Safeguard plans, bound values and session limits, without a server: the pure parts.

The integration tests (`test_attacks.py`) run the same attacks against the real server; these
pin the decisions the plans and checks make on their own.
"""

from __future__ import annotations

import struct
from collections.abc import Generator

import pytest

from interlock.classify.sql import Setting
from interlock.proxy.pg._catalog import reach_sql, resolve_sql
from interlock.proxy.pg._limits import loosened_limit
from interlock.proxy.pg._params import MAX_READINGS, literal_readings
from interlock.proxy.pg._results import PlanFailed, QueryResult
from interlock.proxy.pg._safeguards import Saved, snapshot_plan


def answer(rows: list[list[str | None]] | None = None, error: str = "") -> QueryResult:
    result = QueryResult(rows=rows or [])
    if error:
        result.error = {"C": "XX000", "M": error}
    return result


def drive(
    plan: Generator[str, QueryResult, str], answers: dict[str, QueryResult]
) -> tuple[list[str], str]:
    """Run a plan, answering each query by the first key it contains; the queries it sent."""
    sent: list[str] = []
    try:
        query = next(plan)
        while True:
            sent.append(query)
            reply = next((r for key, r in answers.items() if key in query), answer())
            query = plan.send(reply)
    except StopIteration as done:
        return sent, str(done.value)


def test_every_catalog_query_is_qualified() -> None:
    # Regression: `to_regclass` shadowed through search_path made the snapshot find
    # "nothing to snapshot". Every function and operator the plans use is pg_catalog's.
    for sql in (resolve_sql("public.orders"), reach_sql("16384", "sql:TRUNCATE")):
        assert "pg_catalog.to_regclass" in sql or "pg_catalog.pg_inherits" in sql
        assert " = " not in sql and " < " not in sql and " + " not in sql
    with pytest.raises(ValueError):
        reach_sql("1; DROP TABLE x", "sql:DELETE")


def test_nothing_found_is_checked_twice_and_refuses_when_the_table_exists() -> None:
    saved: list[Saved] = []
    plan = snapshot_plan([("orders", "sql:DROP TABLE")], 7, "sql:DROP TABLE", saved)
    answers = {"to_regclass": answer([]), "current_schemas": answer([["public", "orders"]])}
    with pytest.raises(PlanFailed, match="exists but the safeguard could not resolve"):
        drive(plan, answers)
    assert saved == []


def test_nothing_found_anywhere_is_nothing_to_save() -> None:
    plan = snapshot_plan([("gone", "sql:DROP TABLE")], 7, "sql:DROP TABLE", [])
    sent, summary = drive(plan, {"to_regclass": answer([]), "current_schemas": answer([])})
    assert "nothing to snapshot" in summary
    assert not any("CREATE TABLE" in q for q in sent)


def test_snapshot_finds_what_the_statement_reaches_and_copies_nothing_in_the_database() -> None:
    # The copy itself leaves the database for the vault (`_dump`): the plan on the agent's
    # connection only resolves, so nothing in the database can depend on a snapshot.
    saved: list[Saved] = []
    plan = snapshot_plan([("p", "sql:TRUNCATE")], 9, "sql:TRUNCATE", saved)
    answers = {
        "to_regclass": answer([["public", "p", "r", "100"]]),
        "WITH RECURSIVE": answer([["public", "c", "r", "101"], ["public", "g", "r", "102"]]),
    }
    sent, summary = drive(plan, answers)
    assert [s.name for s in saved] == ["p", "c", "g"]
    assert not any("CREATE" in q or "INSERT" in q or "set_config" in q for q in sent)
    assert summary == "public.p, public.c, public.g"


@pytest.mark.parametrize("kind", ["v", "f", "m"])
def test_what_is_reached_must_be_a_table(kind: str) -> None:
    plan = snapshot_plan([("p", "sql:TRUNCATE")], 9, "sql:TRUNCATE", [])
    answers = {
        "to_regclass": answer([["public", "p", "r", "100"]]),
        "WITH RECURSIVE": answer([["public", "other", kind, "101"]]),
    }
    with pytest.raises(PlanFailed, match="not a table"):
        drive(plan, answers)


# --- bound values -------------------------------------------------------------------------


def test_text_values_read_as_literals() -> None:
    (only,) = list(literal_readings([b"5", None, b"it's"], [0, 0, 0], [0, 0, 25]) or [])
    assert only == ["5", "NULL", "'it''s'"]
    (flag,) = list(literal_readings([b"t"], [0], [16]) or [])
    assert flag == ["'t'::boolean"]


def test_binary_values_of_declared_types_read_exactly() -> None:
    values = [struct.pack("!i", -7), b"\x01", struct.pack("!q", 2**40)]
    (only,) = list(literal_readings(values, [1, 1, 1], [23, 16, 20]) or [])
    assert only == ["-7", "true", str(2**40)]


def test_binary_values_of_undeclared_types_are_read_every_way() -> None:
    readings = list(literal_readings([b"\x01", struct.pack("!i", 3)], [1, 1], []) or [])
    firsts = {r[0] for r in readings}
    assert "true" in firsts
    assert all(r[1] == "3" for r in readings)  # four bytes with a NUL: only an integer


def test_unreadable_values_are_none() -> None:
    assert literal_readings([b"\xff\xfe"], [0], [0]) is None  # not UTF-8 text
    assert literal_readings([b"abc"], [1], [1700]) is None  # binary numeric: not read
    # every undeclared byte reads two ways: past MAX_READINGS combinations, unreadable
    assert MAX_READINGS < 2**8
    assert literal_readings([b"\x01"] * 8, [1] * 8, []) is None


# --- limits -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "loosens"),
    [
        (Setting("statement_timeout", 0), True),
        (Setting("statement_timeout", "0"), True),
        (Setting("statement_timeout", "1h"), True),
        (Setting("statement_timeout", "5s"), False),
        (Setting("statement_timeout", 5000), False),
        (Setting("statement_timeout", object()), True),
        (Setting("statement_timeout", None, reset=True), False),
        (Setting("lock_timeout", "0"), True),
        (Setting("lock_timeout", "2s"), False),
        (Setting("idle_in_transaction_session_timeout", 0), True),
        (Setting("default_transaction_read_only", "off"), True),
        (Setting("default_transaction_read_only", "on"), False),
        (Setting("transaction_read_only", 0), True),
        (Setting("session_replication_role", "replica"), True),
        (Setting("session_replication_role", "origin"), False),
        (Setting("search_path", "public, pg_catalog"), True),
        (Setting("search_path", "pg_temp, pg_catalog, public"), False),
        (Setting("search_path", "app, public"), False),
        (Setting("?", "0"), True),
        (Setting("work_mem", "1GB"), False),
        (Setting("all", None, reset=True), False),
    ],
)
def test_a_limit_may_be_tightened_never_loosened(setting: Setting, loosens: bool) -> None:
    assert (loosened_limit([setting], 20_000) is not None) is loosens


def test_read_only_mode_is_a_limit_only_where_the_proxy_set_it() -> None:
    turned_off = [Setting("default_transaction_read_only", "off")]
    assert loosened_limit(turned_off, None, read_only=True) is not None
    assert loosened_limit(turned_off, None, read_only=False) is None
