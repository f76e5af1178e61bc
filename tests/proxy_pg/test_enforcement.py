"""Statements decided before PostgreSQL sees them; safeguards; approval; undo; trash."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import asyncpg
import psycopg
import pytest
from psycopg import errors
from typer.testing import CliRunner

from interlock.approvals import ApprovalStore
from interlock.cli.pg import trash_app, undo
from tests.proxy_pg.conftest import ADMIN, Proxy

pytestmark = pytest.mark.integration


def records(proxy: Proxy, type_: str) -> list[dict[str, Any]]:
    return [dict(r.body) for r in proxy.home.audit_log().records() if r.type == type_]


def rows(proxy: Proxy, table: str) -> str:
    return proxy.direct(f"SELECT string_agg(id || ':' || v, ',' ORDER BY id) FROM {table}")


@pytest.mark.parametrize("statement", ["DROP TABLE {t}", "TRUNCATE {t}", "DELETE FROM {t}"])
def test_destructive_on_production_is_held_and_table_intact(
    proxy: Proxy, table: str, statement: str
) -> None:
    before = rows(proxy, table)
    with psycopg.connect(proxy.dsn(), autocommit=True) as conn:
        with pytest.raises(errors.InsufficientPrivilege) as caught:
            conn.execute(statement.format(t=table))
        diag = caught.value.diag
        assert "approval request apr_" in (diag.message_primary or "")
        assert "hold-destructive-production" in (diag.message_primary or "")
        assert "wait" in (diag.message_hint or "").lower()
        # the session stays usable
        assert conn.execute("SELECT 1").fetchone() == (1,)
    assert rows(proxy, table) == before
    held = [r for r in records(proxy, "approval_request") if r.get("source") == "proxy:pg"]
    assert held and held[-1]["status"] == "pending"


def test_refusal_inside_a_transaction_aborts_it_like_postgres(proxy: Proxy, table: str) -> None:
    with psycopg.connect(proxy.dsn()) as conn:
        conn.execute(f"INSERT INTO {table} VALUES (100, 'in tx')")
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(f"TRUNCATE {table}")
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR
        with pytest.raises(errors.InFailedSqlTransaction):
            conn.execute("SELECT 1")
        conn.rollback()
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (10,)


def test_simple_protocol_refusal_keeps_psql_session(proxy: Proxy, table: str) -> None:
    import subprocess

    script = f"BEGIN;\nDELETE FROM {table};\nSELECT 1;\nROLLBACK;\nSELECT count(*) FROM {table};\n"
    done = subprocess.run(
        ["psql", proxy.dsn(), "-X", "-A", "-t"],
        input=script,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert "current transaction is aborted" in done.stderr
    assert done.stdout.strip().splitlines()[-1] == "10"


def test_read_only_agent(proxy: Proxy, table: str) -> None:
    with psycopg.connect(proxy.dsn("reader"), autocommit=True) as conn:
        assert conn.execute("SHOW default_transaction_read_only").fetchone() == ("on",)
        with pytest.raises(errors.InsufficientPrivilege) as caught:
            conn.execute(f"INSERT INTO {table} VALUES (200, 'no')")
        assert "at most read" in str(caught.value)
        # a function with side effects hidden in a read is stopped by the server
        with pytest.raises(psycopg.Error):
            conn.execute("SELECT set_config('default_transaction_read_only', 'off', false)")
        # row limit of 50 for this agent
        got = conn.execute("SELECT g FROM generate_series(1, 500) g").fetchall()
        assert len(got) == 50


def test_vault_is_out_of_reach(proxy: Proxy) -> None:
    with psycopg.connect(proxy.dsn("stager", "dev"), autocommit=True) as conn:
        for sql in (
            "SELECT * FROM interlock_vault.anything",
            "DROP SCHEMA interlock_trash CASCADE",
        ):
            with pytest.raises(errors.InsufficientPrivilege) as caught:
                conn.execute(sql)
            assert "pg-vault-fence" in str(caught.value)


def approve(proxy: Proxy, error: BaseException) -> str:
    """Approve the request named in a hold's error message, as a human would."""
    request_id = re.search(r"apr_[0-9a-f]+", str(error))
    assert request_id is not None, str(error)
    store = ApprovalStore.for_home(proxy.home)
    try:
        store.approve(request_id.group(0), ADMIN, "test")
    finally:
        store.close()
    return request_id.group(0)


def test_approved_truncate_runs_after_snapshot_and_undo_restores(proxy: Proxy, table: str) -> None:
    before = rows(proxy, table)
    statement = f"TRUNCATE {table}"
    with psycopg.connect(proxy.dsn(), autocommit=True) as conn:
        with pytest.raises(errors.InsufficientPrivilege) as held:
            conn.execute(statement)
        approve(proxy, held.value)
        notices: list[str] = []
        conn.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
        conn.execute(statement)
        assert any("snapshot" in n and "interlock undo" in n for n in notices)
        # single use: the same statement is held again
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(statement)
    assert proxy.direct(f"SELECT count(*) FROM {table}") == "0"
    taken = [r for r in records(proxy, "safeguard") if r.get("status") == "taken"][-1]
    result = CliRunner().invoke(
        undo_app(), [str(taken["decision_seq"]), "--home", str(proxy.home.root)]
    )
    assert result.exit_code == 0, result.output
    assert rows(proxy, table) == before
    assert records(proxy, "undo")[-1]["status"] == "done"


def test_approved_drop_via_extended_protocol_and_undo(proxy: Proxy, table: str) -> None:
    before = rows(proxy, table)

    async def drop() -> None:
        conn = await asyncpg.connect(proxy.dsn())
        try:
            with pytest.raises(asyncpg.InsufficientPrivilegeError) as held:
                await conn.execute(f"DROP TABLE {table}")
            await asyncio.to_thread(approve, proxy, held.value)
            await conn.execute(f"DROP TABLE {table}")
            assert await conn.fetchval("SELECT 2") == 2
        finally:
            await conn.close()

    asyncio.run(asyncio.wait_for(drop(), 30))
    assert proxy.direct(f"SELECT to_regclass('public.{table}') IS NULL") == "t"
    taken = [r for r in records(proxy, "safeguard") if r.get("status") == "taken"][-1]
    result = CliRunner().invoke(
        undo_app(), [str(taken["decision_seq"]), "--home", str(proxy.home.root)]
    )
    assert result.exit_code == 0, result.output
    assert rows(proxy, table) == before


def test_soft_drop_on_staging_then_trash_and_undo(proxy: Proxy, table: str) -> None:
    import subprocess

    before = rows(proxy, table)
    done = subprocess.run(
        ["psql", proxy.dsn("stager", "dev"), "-X", "-c", f"DROP TABLE {table}"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert "DROP TABLE" in done.stdout
    assert "moved public." in done.stderr  # the notice
    assert proxy.direct(f"SELECT to_regclass('public.{table}') IS NULL") == "t"
    runner = CliRunner()
    listed = runner.invoke(
        trash_typer(), ["list", "-r", "dev", "--json", "--home", str(proxy.home.root)]
    )
    assert listed.exit_code == 0, listed.output
    assert f"public.{table}" in listed.output
    taken = [r for r in records(proxy, "safeguard") if r.get("mode") == "soft_drop"][-1]
    result = runner.invoke(undo_app(), [str(taken["decision_seq"]), "--home", str(proxy.home.root)])
    assert result.exit_code == 0, result.output
    assert rows(proxy, table) == before
    purge = runner.invoke(
        trash_typer(), ["purge", "-r", "dev", "--older-than", "0", "--home", str(proxy.home.root)]
    )
    assert purge.exit_code == 0, purge.output


def undo_app() -> Any:
    import typer

    app = typer.Typer()
    app.command()(undo)
    return app


def trash_typer() -> Any:
    return trash_app
