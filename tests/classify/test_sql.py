"""Targeted tests of the SQL classifier: what each action says, not only its verb.

The data-driven corpus (cases/sql.yaml) covers breadth; these pin down targets, reasons,
reversibility, statement counts, the nested paths (WITH, DO/EXECUTE, PREPARE/EXECUTE,
functions defined in the same input) and properties over generated input.
"""

from __future__ import annotations

import pgparse
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlock.classify import classify as registry_classify
from interlock.classify.sql import classify
from interlock.errors import PayloadError
from interlock.model import Action, Verb, most_severe


def one(sql: str) -> Action:
    actions = classify(sql, 0)
    assert len(actions) == 1, [a.to_json() for a in actions]
    return actions[0]


def risk(sql: str) -> Verb:
    return most_severe(a.verb for a in classify(sql, 0))


# --- the contract ------------------------------------------------------------------------


@pytest.mark.parametrize("payload", [42, None, b"DROP TABLE x", ["DROP TABLE x"], {"q": "x"}])
def test_non_string_payload_raises_payload_error(payload: object) -> None:
    with pytest.raises(PayloadError, match="must be a string"):
        classify(payload, 0)


@pytest.mark.parametrize("sql", ["", "   \n\t", "-- DROP TABLE x", "/* DROP TABLE x */", ";"])
def test_empty_or_comment_only_is_one_empty_read(sql: str) -> None:
    action = one(sql)
    assert action.operation == "sql:EMPTY"
    assert action.verb is Verb.READ


def test_nul_character_is_unknown() -> None:
    # Regression: pgparse hands the text to C, which stops at the NUL, so the DROP after it
    # was never seen and the input came back as a harmless SELECT.
    assert one("SELECT 1\x00; DROP TABLE users").verb is Verb.UNKNOWN


def test_unpaired_surrogate_is_unknown() -> None:
    assert one("SELECT 1 -- \ud800").verb is Verb.UNKNOWN


def test_unparseable_is_one_unknown_naming_the_parser_error() -> None:
    action = one("DR/**/OP TABLE users")
    assert action.verb is Verb.UNKNOWN
    assert action.operation == "sql:unknown"
    assert "syntax error" in action.reason


def test_one_action_per_statement_in_order() -> None:
    actions = classify("SELECT 1; INSERT INTO t VALUES (1); DROP TABLE t;", 0)
    assert [a.operation for a in actions] == ["sql:SELECT", "sql:INSERT", "sql:DROP TABLE"]
    assert [a.verb for a in actions] == [Verb.READ, Verb.WRITE, Verb.DESTRUCTIVE]
    assert [a.detail for a in actions] == ["SELECT 1", "INSERT INTO t VALUES (1)", "DROP TABLE t"]


def test_statement_slicing_survives_multibyte_text() -> None:
    actions = classify("SELECT 'é€'; DELETE FROM t", 0)
    assert actions[0].detail == "SELECT 'é€'"
    assert actions[1].detail == "DELETE FROM t"


def test_detail_is_truncated() -> None:
    sql = "SELECT " + ", ".join(f"c{i}" for i in range(200)) + " FROM t"
    assert len(one(sql).detail) <= 200


def test_detail_hides_passwords() -> None:
    action = one("CREATE ROLE app LOGIN PASSWORD 'hunter2'")
    assert "hunter2" not in action.detail
    assert "hunter2" not in action.reason
    assert action.verb is Verb.PRIVILEGE


def test_blast_radius_is_never_guessed() -> None:
    for sql in ("DELETE FROM t", "DELETE FROM t WHERE id = 1", "SELECT 1", "DROP TABLE t"):
        assert all(a.blast_radius is None for a in classify(sql, 0))


def test_registry_caches_repeated_input() -> None:
    first = registry_classify("sql", "SELECT * FROM cached_table WHERE id = 1")
    assert registry_classify("sql", "SELECT * FROM cached_table WHERE id = 1") is first


# --- targets, reasons, reversibility ---------------------------------------------------------


def test_delete_without_where_names_table_and_is_irreversible() -> None:
    action = one("DELETE FROM public.users")
    assert action.verb is Verb.DESTRUCTIVE
    assert action.targets == ("public.users",)
    assert action.reason == "DELETE without a WHERE clause removes every row of public.users"
    assert action.reversible is False


def test_bounded_delete_is_a_write_and_not_reversible() -> None:
    action = one("DELETE FROM users WHERE id = 5")
    assert action.verb is Verb.WRITE
    assert action.reversible is False
    assert action.targets == ("users",)


def test_insert_is_reversible_write() -> None:
    action = one("INSERT INTO log(msg) VALUES ('TRUNCATE failed')")
    assert (action.verb, action.reversible, action.targets) == (Verb.WRITE, True, ("log",))


def test_read_lists_the_tables_it_reads() -> None:
    action = one("SELECT * FROM a JOIN s.b ON a.id = b.id")
    assert action.verb is Verb.READ
    assert action.targets == ("a", "s.b")
    assert action.reversible is True


def test_drop_lists_every_object_and_mentions_cascade() -> None:
    action = one("DROP TABLE IF EXISTS a, b CASCADE")
    assert action.operation == "sql:DROP TABLE"
    assert action.targets == ("a", "b")
    assert "everything that depends" in action.reason


@pytest.mark.parametrize(
    ("sql", "operation"),
    [
        ("DROP SCHEMA s", "sql:DROP SCHEMA"),
        ("DROP MATERIALIZED VIEW mv", "sql:DROP MATERIALIZED VIEW"),
        ("DROP FUNCTION f(int)", "sql:DROP FUNCTION"),
        ("DROP DATABASE d", "sql:DROP DATABASE"),
        ("DROP ROLE r", "sql:DROP ROLE"),
        ("DROP EXTENSION e", "sql:DROP EXTENSION"),
        ("DROP INDEX i", "sql:DROP INDEX"),
    ],
)
def test_every_drop_is_destructive(sql: str, operation: str) -> None:
    action = classify(sql, 0)[0]
    assert (action.operation, action.verb) == (operation, Verb.DESTRUCTIVE)


@pytest.mark.parametrize(
    "where",
    [
        "true",
        "1=1",
        "'a'='a'",
        "x = x",
        "id = 5 OR true",
        "NOT false",
        "1 IN (1)",
        "x IS NOT NULL OR x IS NULL",
        "x > 3 OR x <= 3",
        "coalesce(NULL, true)",
        "(SELECT true)",
        "EXISTS (SELECT 1)",
        "id = id + 0",
        "'t'::boolean",
    ],
)
def test_always_true_where_is_destructive(where: str) -> None:
    action = one(f"UPDATE t SET a = 1 WHERE {where}")
    assert action.verb is Verb.DESTRUCTIVE, action.reason
    assert "every row of t" in action.reason


@pytest.mark.parametrize(
    "where",
    ["id = 5", "x > 3", "x IS NULL", "a = 1 AND b = 2", "id = $1", "id IN (SELECT id FROM o)"],
)
def test_real_where_is_a_write(where: str) -> None:
    assert risk(f"DELETE FROM t WHERE {where}") is Verb.WRITE


def test_where_that_ignores_the_row_reaches_every_row() -> None:
    action = one("DELETE FROM t USING u WHERE u.flag")
    assert action.verb is Verb.DESTRUCTIVE
    assert "does not depend on the row" in action.reason


# --- nested statements ------------------------------------------------------------------------


def test_data_modifying_cte_decides_the_select() -> None:
    action = one("WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x")
    assert action.operation == "sql:SELECT"
    assert action.verb is Verb.DESTRUCTIVE
    assert "t" in action.targets
    assert action.reason.startswith("DELETE without a WHERE clause")


def test_bounded_cte_delete_is_a_write() -> None:
    assert risk("WITH x AS (DELETE FROM t WHERE id = 1 RETURNING *) SELECT * FROM x") is Verb.WRITE


def test_explain_without_analyze_is_read_with_analyze_runs() -> None:
    assert risk("EXPLAIN DELETE FROM t") is Verb.READ
    assert risk("EXPLAIN ANALYZE DELETE FROM t") is Verb.DESTRUCTIVE
    assert risk("EXPLAIN (ANALYZE off) DELETE FROM t") is Verb.READ
    assert risk("EXPLAIN ANALYZE SELECT 1") is Verb.READ


def test_do_block_execute_literal_is_classified_recursively() -> None:
    action = one("DO $$ BEGIN EXECUTE 'DROP TABLE users'; END $$")
    assert action.operation == "sql:DO"
    assert action.verb is Verb.DESTRUCTIVE
    assert action.targets == ("users",)


def test_do_block_execute_of_run_time_sql_is_unknown() -> None:
    action = one("DO $$ BEGIN EXECUTE format('DROP TABLE %I', current_user); END $$")
    assert action.verb is Verb.UNKNOWN
    assert "run time" in action.reason


def test_do_block_reads_only() -> None:
    action = one("DO $$ BEGIN PERFORM count(*) FROM users; END $$")
    assert (action.operation, action.verb) == ("sql:DO", Verb.READ)


def test_nested_do_in_execute() -> None:
    sql = "DO $a$ BEGIN EXECUTE 'DO $b$ BEGIN EXECUTE ''TRUNCATE t''; END $b$'; END $a$"
    assert risk(sql) is Verb.DESTRUCTIVE


def test_deep_nesting_is_bounded_and_unknown() -> None:
    sql = "SELECT 1"
    for _ in range(12):
        sql = "DO $$ BEGIN EXECUTE " + "'" + sql.replace("'", "''") + "'; END $$"
        sql = sql.replace("$$", "$q$")
    assert risk(sql) is Verb.UNKNOWN


def test_prepare_takes_the_verb_of_its_statement_and_execute_reuses_it() -> None:
    actions = classify("PREPARE p AS DELETE FROM t; EXECUTE p;", 0)
    assert [a.operation for a in actions] == ["sql:PREPARE", "sql:EXECUTE"]
    assert [a.verb for a in actions] == [Verb.DESTRUCTIVE, Verb.DESTRUCTIVE]
    assert actions[1].targets == ("t",)


def test_execute_of_unseen_prepared_statement_is_unknown() -> None:
    assert one("EXECUTE p(1)").verb is Verb.UNKNOWN


def test_deallocate_forgets_the_prepared_statement() -> None:
    actions = classify("PREPARE p AS SELECT 1; DEALLOCATE p; EXECUTE p;", 0)
    assert actions[-1].verb is Verb.UNKNOWN


def test_function_defined_in_the_input_is_judged_by_its_body() -> None:
    safe = "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'; SELECT f();"
    assert [a.verb for a in classify(safe, 0)] == [Verb.WRITE, Verb.READ]
    evil = "CREATE FUNCTION g() RETURNS void LANGUAGE sql AS 'DELETE FROM t'; SELECT g();"
    assert [a.verb for a in classify(evil, 0)] == [Verb.DESTRUCTIVE, Verb.DESTRUCTIVE]


def test_call_of_unseen_procedure_is_unknown() -> None:
    action = one("CALL archive_orders(30)")
    assert action.verb is Verb.UNKNOWN
    assert "cannot see" in action.reason


def test_dangerous_function_anywhere_in_an_expression() -> None:
    for sql in (
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity",
        "SELECT 1 WHERE pg_cancel_backend(7)",
        "SELECT * FROM t ORDER BY lo_unlink(oid)",
        "INSERT INTO t VALUES (pg_catalog.pg_terminate_backend(1))",
    ):
        assert risk(sql) is Verb.DESTRUCTIVE, sql


def test_unknown_function_is_unknown_and_builtin_is_read() -> None:
    assert risk("SELECT my_schema.cleanup()") is Verb.UNKNOWN
    assert risk("SELECT lower(name), now(), pg_size_pretty(1024) FROM t") is Verb.READ


def test_copy_program_is_destructive_and_names_the_command() -> None:
    action = one("COPY (SELECT 1) TO PROGRAM 'rm -rf /'")
    assert action.verb is Verb.DESTRUCTIVE
    assert "rm -rf /" in action.reason


def test_dblink_exec_classifies_the_remote_sql() -> None:
    action = one("SELECT dblink_exec('dbname=x', 'DROP TABLE remote_t')")
    assert action.verb is Verb.DESTRUCTIVE
    assert "remote_t" in action.targets
    assert risk("SELECT * FROM dblink('dbname=x', 'SELECT 1') AS t(a int)") is Verb.READ


def test_settings() -> None:
    assert risk("SET statement_timeout = 1000") is Verb.READ
    assert risk("SET ROLE admin") is Verb.PRIVILEGE
    assert risk("RESET ROLE") is Verb.READ
    assert risk("SELECT set_config('application_name', 'x', false)") is Verb.READ
    assert risk("SELECT set_config('role', 'postgres', false)") is Verb.PRIVILEGE
    assert risk("ALTER SYSTEM SET work_mem = '1GB'") is Verb.DESTRUCTIVE


def test_roles_and_privileges() -> None:
    # Creating, changing or widening credentials or privileges is never a write.
    assert risk("GRANT SELECT ON t TO bob") is Verb.PRIVILEGE
    assert risk("REVOKE SELECT ON t FROM bob") is Verb.PRIVILEGE
    assert risk("CREATE ROLE bob LOGIN") is Verb.PRIVILEGE
    assert risk("ALTER ROLE bob NOSUPERUSER") is Verb.PRIVILEGE
    # Powers that reach past every check are destructive, and keep their privilege action.
    verbs = [a.verb for a in classify("CREATE ROLE bob SUPERUSER", 0)]
    assert verbs == [Verb.DESTRUCTIVE, Verb.PRIVILEGE]


def test_transaction_control_is_read() -> None:
    actions = classify("BEGIN; SAVEPOINT s; ROLLBACK TO SAVEPOINT s; COMMIT;", 0)
    assert all(a.verb is Verb.READ for a in actions)


def test_unrecognised_statement_type_fails_closed() -> None:
    from interlock.classify.sql._analyser import Analyser

    finding = Analyser().statement({"SomeFutureStmt": {}}, "", 0)
    assert finding.verb is Verb.UNKNOWN


# --- properties ---------------------------------------------------------------------------

_TOKEN_TEXT = (
    "SELECT DELETE FROM WHERE DROP TABLE UPDATE SET DO $$ BEGIN END EXECUTE ' '' ; ( ) , = 1 "
    "true NOT OR t x -- /* */ WITH AS RETURNING * TRUNCATE COPY TO PROGRAM 'rm' PREPARE p "
    "CALL f() INSERT INTO VALUES E'\\x41' U&\"d\\0061\" $a$ CASE WHEN THEN ELSE IS NULL IN"
)
_TOKENS = [*_TOKEN_TEXT.split(), "\n", " "]
_PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_STATEMENTS = st.sampled_from(
    [
        "SELECT 1",
        "SELECT * FROM t WHERE id = 1",
        "DELETE FROM t",
        "DELETE FROM t WHERE id = 1",
        "UPDATE t SET a = 1 WHERE true",
        "DROP TABLE t",
        "INSERT INTO t VALUES (1)",
        "TRUNCATE t",
        "DO $$ BEGIN EXECUTE 'DROP TABLE t'; END $$",
        "WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x",
        "SELECT pg_terminate_backend(1)",
        "CALL p()",
    ]
)


def _pgparse_accepts(text: str) -> bool:
    if "\x00" in text:
        return False  # the C parser would silently stop at the NUL
    try:
        pgparse.parse(text)
    except (pgparse.PGQueryError, UnicodeError):
        return False
    return True


@_PROPERTY
@given(st.text())
def test_never_raises_on_arbitrary_text(text: str) -> None:
    actions = classify(text, 0)
    assert actions
    if not _pgparse_accepts(text):
        assert [a.verb for a in actions] == [Verb.UNKNOWN]


@_PROPERTY
@given(st.lists(st.sampled_from(_TOKENS), max_size=25).map(" ".join))
def test_never_raises_on_keyword_soup(text: str) -> None:
    actions = classify(text, 0)
    assert actions
    if not _pgparse_accepts(text):
        assert [a.verb for a in actions] == [Verb.UNKNOWN]


@_PROPERTY
@given(
    _STATEMENTS,
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r\x00"),
        max_size=30,
    ),
)
def test_trailing_comment_never_changes_the_verb(sql: str, comment: str) -> None:
    assert risk(sql + " -- " + comment) is risk(sql)


@_PROPERTY
@given(_STATEMENTS, st.randoms(use_true_random=False))
def test_keyword_case_never_changes_the_verb(sql: str, rnd: object) -> None:
    import random

    assert isinstance(rnd, random.Random)
    # flip the case of letters outside quotes and dollar quotes: identifiers stay unquoted,
    # so the parser folds them back; string contents are left alone
    out, quoted = [], False
    for ch in sql:
        if ch in "'$":
            quoted = not quoted
        out.append(ch.swapcase() if not quoted and ch.isalpha() and rnd.random() < 0.5 else ch)
    assert risk("".join(out)) is risk(sql)
