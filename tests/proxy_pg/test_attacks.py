"""The PostgreSQL attacks of issue 15, each against the real proxy in front of the real server.

Every test here failed before the fix it names: the statement ran (or the safeguard was
defeated) on the code of that time, and now it is refused, held, or made undoable.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from typing import Any

import asyncpg
import psycopg
import pytest
from psycopg import errors
from typer.testing import CliRunner

from tests.proxy_pg.conftest import Proxy
from tests.proxy_pg.test_enforcement import records, rows, undo_app

pytestmark = pytest.mark.integration


def refused(conn: psycopg.Connection[Any], sql: str, params: Any = None) -> str:
    """Run `sql` expecting Interlock's refusal (42501); the refusal's message."""
    with pytest.raises(errors.InsufficientPrivilege) as caught:
        conn.execute(sql, params)
    return str(caught.value)


def count(proxy: Proxy, table: str) -> int:
    return int(proxy.direct(f"SELECT count(*) FROM {table}"))


# --- an agent can mint real database credentials as an ordinary write -----------------------


@pytest.fixture
def role_name(proxy: Proxy) -> Iterator[str]:
    name = "u_" + secrets.token_hex(4)
    yield name
    proxy.direct(f"DROP ROLE IF EXISTS {name}")


def _password_of(proxy: Proxy, role: str) -> str:
    return proxy.direct(
        f"SELECT coalesce(rolpassword, '<none>') FROM pg_authid WHERE rolname = '{role}'"
    )


@pytest.mark.parametrize(
    "statement",
    [
        "ALTER ROLE CURRENT_USER PASSWORD 'x'",
        "CREATE USER {role} PASSWORD 'x'",
        "GRANT postgres TO {role}",
        "CREATE ROLE {role} LOGIN; ALTER ROLE {role} PASSWORD 'x'",
        "DO $$ BEGIN EXECUTE 'CREATE USER {role} ' || 'PASSWORD ''x'''; END $$",
    ],
)
@pytest.mark.parametrize("resource", ["prod", "dev"])
def test_credentials_are_never_minted_as_a_write(
    proxy: Proxy, role_name: str, statement: str, resource: str
) -> None:
    # Regression: `ALTER ROLE CURRENT_USER PASSWORD 'x'`, `CREATE USER u PASSWORD 'x'` and
    # `GRANT postgres TO u` were writes and ran on production; the agent then connected to
    # PostgreSQL directly. An agent granted destructive actions is refused (privilege is not
    # in its grant) in every environment.
    proxy.direct(f"CREATE ROLE {role_name} NOLOGIN") if "GRANT" in statement else None
    before = _password_of(proxy, "postgres")
    with psycopg.connect(proxy.dsn("writer", resource), autocommit=True) as conn:
        message = refused(conn, statement.format(role=role_name))
    assert "privilege" in message
    assert _password_of(proxy, "postgres") == before
    members = proxy.direct(
        f"SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member "
        f"WHERE r.rolname = '{role_name}'"
    )
    assert members == "0"
    if "GRANT" not in statement:
        assert proxy.direct(f"SELECT count(*) FROM pg_roles WHERE rolname = '{role_name}'") == "0"


def test_a_privilege_grant_is_held_for_a_human_even_outside_production(
    proxy: Proxy, role_name: str
) -> None:
    with psycopg.connect(proxy.dsn("keyholder", "dev"), autocommit=True) as conn:
        message = refused(conn, f"CREATE USER {role_name} PASSWORD 'x'")
    assert "hold-privilege" in message and "apr_" in message
    assert proxy.direct(f"SELECT count(*) FROM pg_roles WHERE rolname = '{role_name}'") == "0"
    decision = [r for r in records(proxy, "decision") if role_name in str(r)][-1]
    assert "x'" not in str(decision)  # the password never reaches the audit log


# --- statements that empty a table came out as writes ----------------------------------------


@pytest.mark.parametrize(
    "where",
    [
        "ctid IS NOT NULL",
        "id IN (SELECT id FROM {t} WHERE true)",
        "EXISTS (SELECT 1 FROM {t} t2 WHERE t2.id = {t}.id)",
        "id <= (SELECT max(id) FROM {t})",
        "ctid > '(0,0)'",
        "v IS NULL OR id > 3 OR id < 5",
    ],
)
def test_predicates_no_row_fails_are_held(proxy: Proxy, table: str, where: str) -> None:
    with psycopg.connect(proxy.dsn(), autocommit=True) as conn:
        message = refused(conn, f"DELETE FROM {table} WHERE {where.format(t=table)}")
    assert "hold-destructive-production" in message
    assert count(proxy, table) == 10


def test_self_join_reaching_every_row_is_held(proxy: Proxy, table: str) -> None:
    with psycopg.connect(proxy.dsn(), autocommit=True) as conn:
        refused(conn, f"DELETE FROM {table} a USING {table} b WHERE a.id = b.id")
        refused(conn, f"UPDATE {table} SET v = 'x' FROM {table} b WHERE {table}.id = b.id")
    assert count(proxy, table) == 10


def test_bound_values_are_judged_before_execute_psycopg(proxy: Proxy, table: str) -> None:
    # Regression: with the extended protocol the statement was judged at Parse, before its
    # parameters were known; `$2` bound to true (or `$1` bound to NULL) emptied the table.
    with psycopg.connect(proxy.dsn(), autocommit=True) as conn:
        refused(conn, f"DELETE FROM {table} WHERE id = %s OR %s::bool", (1, True))
        assert count(proxy, table) == 10
        refused(conn, f"DELETE FROM {table} WHERE v = coalesce(%s, v)", (None,))
        assert count(proxy, table) == 10
        refused(conn, f"DELETE FROM {table} WHERE id > %s", (0,))
        assert count(proxy, table) == 10
        # the same statements with values that bound them run
        conn.execute(f"DELETE FROM {table} WHERE id = %s OR %s::bool", (1, False))
        conn.execute(f"DELETE FROM {table} WHERE v = coalesce(%s, v)", ("row 2",))
        assert count(proxy, table) == 8
        # a prepared statement rebound on the same connection is judged at each Bind
        query = f"DELETE FROM {table} WHERE v = coalesce(%s, v)"
        conn.execute(query, ("row 3",), prepare=True)
        refused(conn, query, (None,))
        assert count(proxy, table) == 7


def test_bound_values_are_judged_before_execute_asyncpg(proxy: Proxy, table: str) -> None:
    # asyncpg sends every value in binary, with types it learned from the server: each way
    # the bytes can be read is judged, the most severe stands.
    async def run() -> None:
        conn = await asyncpg.connect(proxy.dsn())
        try:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(f"DELETE FROM {table} WHERE id = $1 OR $2::bool", 1, True)
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(f"DELETE FROM {table} WHERE v = coalesce($1, v)", None)
            await conn.execute(f"DELETE FROM {table} WHERE id = $1 OR $2::bool", 1, False)
        finally:
            await conn.close()

    asyncio.run(asyncio.wait_for(run(), 30))
    assert count(proxy, table) == 9


# --- trigger and rule chains: every step was a write ------------------------------------------


@pytest.fixture
def victim(proxy: Proxy) -> Iterator[str]:
    name = "u_" + secrets.token_hex(4)
    proxy.direct(f"CREATE TABLE public.{name} (id int PRIMARY KEY)")
    proxy.direct(f"INSERT INTO public.{name} SELECT generate_series(1, 10)")
    yield name
    proxy.direct(f"DROP TABLE IF EXISTS public.{name} CASCADE")


def test_trigger_chain_is_held_at_its_first_step(proxy: Proxy, table: str, victim: str) -> None:
    function = "f_" + secrets.token_hex(4)
    with psycopg.connect(proxy.dsn(), autocommit=True) as conn:
        message = refused(
            conn,
            f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"DELETE FROM {victim} WHERE id = NEW.id; RETURN NEW; END $$",
        )
        assert "hold-destructive-production" in message
    assert proxy.direct(f"SELECT count(*) FROM pg_proc WHERE proname = '{function}'") == "0"
    # a function created earlier (here: by the operator) cannot be attached unseen
    proxy.direct(
        f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"DELETE FROM {victim} WHERE id = NEW.id; RETURN NEW; END $$"
    )
    try:
        with psycopg.connect(proxy.dsn(), autocommit=True) as conn:
            refused(
                conn,
                f"CREATE TRIGGER tg AFTER INSERT ON {table} FOR EACH ROW "
                f"EXECUTE FUNCTION {function}()",
            )
            conn.execute(f"INSERT INTO {table} SELECT id + 100, 'x' FROM {victim}")
        assert count(proxy, victim) == 10
    finally:
        proxy.direct(f"DROP FUNCTION IF EXISTS {function}() CASCADE")


def test_rule_chain_is_held(proxy: Proxy, table: str, victim: str) -> None:
    with psycopg.connect(proxy.dsn(), autocommit=True) as conn:
        refused(
            conn,
            f"CREATE RULE r AS ON INSERT TO {table} DO ALSO DELETE FROM {victim} "
            f"WHERE {victim}.id = NEW.id",
        )
        conn.execute(f"INSERT INTO {table} SELECT id + 100, 'x' FROM {victim}")
    assert count(proxy, victim) == 10


# --- snapshots and undo could be defeated ------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        'DROP SCHEMA U&"interlock\\005fvault" CASCADE',
        'ALTER TABLE U&"interlock\\005fvault".kept RENAME TO mine',
        'DELETE FROM "interlock_vault".kept',
        'SET search_path = U&"interlock\\005ftrash"',
        "SELECT set_config('search_path', 'interlock_' || 'vault', false)",
        "DO $$ BEGIN EXECUTE format('DROP TABLE %I.kept', U&'interlock\\005fvault'); END $$",
    ],
)
def test_vault_fence_reads_names_as_postgres_parses_them(proxy: Proxy, statement: str) -> None:
    # Regression: the fence was a text match, so `U&"interlock\005fvault"` passed and a
    # snapshot could be emptied and renamed.
    with psycopg.connect(proxy.dsn("stager", "dev"), autocommit=True) as conn:
        message = refused(conn, statement)
    assert "pg-vault-fence" in message


def test_shadowed_catalog_function_cannot_hide_the_table(proxy: Proxy, table: str) -> None:
    # Regression: a `to_regclass` shadowed through search_path made the snapshot find
    # "nothing to snapshot" while the DROP ran, and the safeguard was recorded as taken.
    database = proxy.database
    proxy.direct(
        "CREATE OR REPLACE FUNCTION public.to_regclass(text) RETURNS regclass "
        "LANGUAGE sql AS 'SELECT NULL::regclass'"
    )
    proxy.direct(f"ALTER DATABASE {database} SET search_path = public, pg_catalog")
    before = rows(proxy, table)
    try:
        with psycopg.connect(proxy.dsn("stager", "dev"), autocommit=True) as conn:
            assert conn.execute(f"SELECT to_regclass('{table}') IS NULL").fetchone() == (True,)
            notices: list[str] = []
            conn.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
            conn.execute(f"TRUNCATE {table}")
            assert any("snapshot of public." + table in n for n in notices), notices
            # the agent's search_path is what it was
            assert conn.execute("SHOW search_path").fetchone() == ("public, pg_catalog",)
    finally:
        proxy.direct(f"ALTER DATABASE {database} RESET search_path")
        proxy.direct("DROP FUNCTION public.to_regclass(text)")
    assert count(proxy, table) == 0
    taken = [r for r in records(proxy, "safeguard") if r.get("status") == "taken"][-1]
    result = CliRunner().invoke(
        undo_app(), [str(taken["decision_seq"]), "--home", str(proxy.home.root)]
    )
    assert result.exit_code == 0, result.output
    assert rows(proxy, table) == before


def test_truncate_cascade_snapshots_every_table_it_reaches(proxy: Proxy) -> None:
    # Regression: `TRUNCATE p CASCADE` lost the child table's rows for good (undo restored
    # the parent only).
    parent, child, grandchild = (f"{k}_{secrets.token_hex(3)}" for k in ("p", "c", "g"))
    proxy.direct(
        f"CREATE TABLE {parent} (id int PRIMARY KEY); "
        f"CREATE TABLE {child} (id int PRIMARY KEY, p int REFERENCES {parent}); "
        f"CREATE TABLE {grandchild} (id int PRIMARY KEY, c int REFERENCES {child}); "
        f"INSERT INTO {parent} SELECT generate_series(1, 5); "
        f"INSERT INTO {child} SELECT g, g FROM generate_series(1, 5) g; "
        f"INSERT INTO {grandchild} SELECT g, g FROM generate_series(1, 5) g"
    )
    try:
        with psycopg.connect(proxy.dsn("stager", "dev"), autocommit=True) as conn:
            conn.execute(f"TRUNCATE {parent} CASCADE")
        assert [count(proxy, t) for t in (parent, child, grandchild)] == [0, 0, 0]
        taken = [r for r in records(proxy, "safeguard") if r.get("status") == "taken"][-1]
        kept = {t["name"] for t in taken["tables"]}
        assert kept == {parent, child, grandchild}
        result = CliRunner().invoke(
            undo_app(), [str(taken["decision_seq"]), "--home", str(proxy.home.root)]
        )
        assert result.exit_code == 0, result.output
        assert [count(proxy, t) for t in (parent, child, grandchild)] == [5, 5, 5]
    finally:
        proxy.direct(f"DROP TABLE IF EXISTS {grandchild}, {child}, {parent} CASCADE")


def test_delete_snapshots_the_rows_a_cascading_key_removes(proxy: Proxy) -> None:
    parent, child = (f"{k}_{secrets.token_hex(3)}" for k in ("p", "c"))
    proxy.direct(
        f"CREATE TABLE {parent} (id int PRIMARY KEY); "
        f"CREATE TABLE {child} (id int PRIMARY KEY, p int REFERENCES {parent} ON DELETE CASCADE); "
        f"INSERT INTO {parent} SELECT generate_series(1, 4); "
        f"INSERT INTO {child} SELECT g, g FROM generate_series(1, 4) g"
    )
    try:
        with psycopg.connect(proxy.dsn("stager", "dev"), autocommit=True) as conn:
            conn.execute(f"DELETE FROM {parent}")
        assert count(proxy, child) == 0
        taken = [r for r in records(proxy, "safeguard") if r.get("status") == "taken"][-1]
        assert {t["name"] for t in taken["tables"]} == {parent, child}
        result = CliRunner().invoke(
            undo_app(), [str(taken["decision_seq"]), "--home", str(proxy.home.root)]
        )
        assert result.exit_code == 0, result.output
        assert (count(proxy, parent), count(proxy, child)) == (4, 4)
    finally:
        proxy.direct(f"DROP TABLE IF EXISTS {child}, {parent} CASCADE")


# --- statements that cause outages were writes ---------------------------------------------


@pytest.fixture
def app_role(proxy: Proxy) -> Iterator[str]:
    name = "app_" + secrets.token_hex(3)
    proxy.direct(f"CREATE ROLE {name} LOGIN")
    yield name
    proxy.direct(f"DROP ROLE IF EXISTS {name}")


def test_outages_are_held(proxy: Proxy, table: str, app_role: str) -> None:
    sequence = f"{table}_seq"
    proxy.direct(f"CREATE SEQUENCE {sequence}; SELECT setval('{sequence}', 50)")
    try:
        with psycopg.connect(proxy.dsn(), autocommit=True) as conn:
            # a role change is also a privilege action: outside this agent's grant
            assert "(grant)" in refused(conn, f"ALTER ROLE {app_role} NOLOGIN")
        with psycopg.connect(proxy.dsn("keyholder"), autocommit=True) as conn:
            assert "hold-destructive-production" in refused(conn, f"ALTER ROLE {app_role} NOLOGIN")
        with psycopg.connect(proxy.dsn(), autocommit=True) as conn:
            for statement in (
                f"ALTER TABLE {table} ADD CONSTRAINT stop CHECK (false) NOT VALID",
                f"CREATE RULE quiet AS ON INSERT TO {table} DO INSTEAD NOTHING",
                f"ALTER TABLE {table} SET UNLOGGED",
                f"ALTER SEQUENCE {sequence} RESTART",
            ):
                assert "hold-destructive-production" in refused(conn, statement)
        assert proxy.direct(f"SELECT rolcanlogin FROM pg_roles WHERE rolname = '{app_role}'") == "t"
        assert proxy.direct(f"SELECT relpersistence FROM pg_class WHERE relname = '{table}'") == "p"
        assert proxy.direct("SELECT count(*) FROM pg_rewrite WHERE rulename = 'quiet'") == "0"
        assert proxy.direct(f"SELECT last_value FROM {sequence}") == "50"
        proxy.direct(f"INSERT INTO {table} VALUES (99, 'still writable')")
    finally:
        proxy.direct(f"DROP SEQUENCE IF EXISTS {sequence}")


@pytest.mark.parametrize(
    "statement",
    [
        "SET statement_timeout = 0",
        "SET LOCAL statement_timeout TO '0'",
        "SET statement_timeout = '1h'",
        "SELECT set_config('statement_timeout', '0', false)",
        "DO $$ BEGIN EXECUTE 'SET statement' || '_timeout = 0'; END $$",
        "SET lock_timeout = 0",
        "SET idle_in_transaction_session_timeout = 0",
        "SET session_replication_role = replica",
        "SET search_path = public, pg_catalog",
    ],
)
def test_limits_the_proxy_relies_on_cannot_be_loosened(proxy: Proxy, statement: str) -> None:
    # Regression: `SET statement_timeout = 0` was a read, and undid the proxy's own limit.
    with psycopg.connect(proxy.dsn("writer", "dev"), autocommit=True) as conn:
        message = refused(conn, statement)
        assert "pg-proxy-limits" in message
        assert conn.execute("SHOW statement_timeout").fetchone() == ("20s",)


@pytest.mark.parametrize(
    "statement",
    [
        "SET default_transaction_read_only = off",
        "SELECT set_config('default_transaction_read_only', 'off', false)",
        "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
    ],
)
def test_a_read_only_agent_cannot_leave_read_only_mode(proxy: Proxy, statement: str) -> None:
    with psycopg.connect(proxy.dsn("reader", "dev"), autocommit=True) as conn:
        assert "pg-proxy-limits" in refused(conn, statement)
        assert conn.execute("SHOW default_transaction_read_only").fetchone() == ("on",)


def test_limits_may_be_tightened_or_reset(proxy: Proxy) -> None:
    with psycopg.connect(proxy.dsn("writer", "dev"), autocommit=True) as conn:
        conn.execute("SET statement_timeout = '5s'")
        assert conn.execute("SHOW statement_timeout").fetchone() == ("5s",)
        conn.execute("RESET statement_timeout")
        assert conn.execute("SHOW statement_timeout").fetchone() == ("20s",)
        conn.execute("SET search_path = public")
        conn.execute("SET lock_timeout = '2s'")
