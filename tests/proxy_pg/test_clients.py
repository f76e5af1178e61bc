"""Real clients through the proxy: psql, psycopg 3, asyncpg, SQLAlchemy, alembic, pgbench."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import asyncpg
import psycopg
import pytest
import sqlalchemy

from tests.proxy_pg.conftest import Proxy

pytestmark = pytest.mark.integration


def run_psql(
    proxy: Proxy, sql: str, agent: str = "writer", **kw: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["psql", proxy.dsn(agent, kw.get("resource", "prod")), "-X", "-A", "-t", "-c", sql],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_psql_reads_writes_and_copy(proxy: Proxy, table: str) -> None:
    done = run_psql(proxy, f"SELECT count(*) FROM {table}")
    assert done.stdout.strip() == "10", done.stderr
    done = run_psql(proxy, f"INSERT INTO {table} VALUES (11, 'eleven')")
    assert done.returncode == 0, done.stderr
    copy_in = subprocess.run(
        ["psql", proxy.dsn(), "-X", "-c", f"\\copy {table} FROM STDIN"],
        input="12\ttwelve\n13\tthirteen\n",
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert copy_in.returncode == 0, copy_in.stderr
    copy_out = run_psql(proxy, f"COPY (SELECT id FROM {table} ORDER BY id) TO STDOUT")
    assert copy_out.stdout.split() == [str(i) for i in range(1, 14)]
    assert proxy.direct(f"SELECT count(*) FROM {table}") == "13"


def test_psycopg_extended_protocol_transactions_and_notify(proxy: Proxy, table: str) -> None:
    with psycopg.connect(proxy.dsn(), autocommit=False) as conn:
        rows = conn.execute(f"SELECT id, v FROM {table} WHERE id = %s", (3,)).fetchall()
        assert rows == [(3, "row 3")]
        conn.execute(f"UPDATE {table} SET v = %s WHERE id = %s", ("three", 3))
        conn.commit()
        with conn.cursor() as cur, cur.copy(f"COPY {table} (id, v) FROM STDIN") as copy:
            copy.write_row((20, "twenty"))
        conn.commit()
        with conn.cursor() as cur:
            cur.executemany(f"INSERT INTO {table} VALUES (%s, %s)", [(30, "a"), (31, "b")])
        conn.commit()
    assert proxy.direct(f"SELECT v FROM {table} WHERE id = 3") == "three"
    assert proxy.direct(f"SELECT count(*) FROM {table}") == "13"
    with psycopg.connect(proxy.dsn(), autocommit=True) as listener:
        listener.execute("LISTEN interlock_test_channel")
        proxy.direct("NOTIFY interlock_test_channel, 'hello'")
        note = next(listener.notifies(timeout=5))
        assert note.payload == "hello"


def test_psycopg_pipeline(proxy: Proxy, table: str) -> None:
    with psycopg.connect(proxy.dsn(), autocommit=True) as conn, conn.pipeline():
        cursors = [conn.execute(f"SELECT v FROM {table} WHERE id = %s", (i,)) for i in (1, 2, 3)]
        assert [c.fetchone() for c in cursors] == [("row 1",), ("row 2",), ("row 3",)]


def test_asyncpg_prepared_and_copy(proxy: Proxy, table: str) -> None:
    async def main() -> None:
        conn = await asyncpg.connect(proxy.dsn())
        try:
            stmt = await conn.prepare(f"SELECT v FROM {table} WHERE id = $1")
            assert await stmt.fetchval(4) == "row 4"
            assert await conn.fetchval(f"SELECT count(*) FROM {table}") == 10
            async with conn.transaction():
                await conn.execute(f"INSERT INTO {table} VALUES ($1, $2)", 40, "forty")
            await conn.copy_records_to_table(table, records=[(41, "x"), (42, "y")])
            assert await conn.fetchval(f"SELECT count(*) FROM {table}") == 13
        finally:
            await conn.close()

    asyncio.run(asyncio.wait_for(main(), 30))


def test_sqlalchemy_and_alembic(proxy: Proxy, tmp_path: object, table: str) -> None:
    url = proxy.dsn().replace("postgresql://", "postgresql+psycopg://")
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        total = conn.execute(sqlalchemy.text(f"SELECT sum(id) FROM {table}")).scalar()
    assert total == 55
    engine.dispose()
    from pathlib import Path

    root = Path(str(tmp_path))
    (root / "versions").mkdir()
    (root / "env.py").write_text(
        "from alembic import context\nimport sqlalchemy\n"
        "engine = sqlalchemy.create_engine(context.config.get_main_option('sqlalchemy.url'))\n"
        "with engine.connect() as c:\n"
        "    context.configure(connection=c, target_metadata=None)\n"
        "    with context.begin_transaction():\n"
        "        context.run_migrations()\n"
        "engine.dispose()\n"
    )
    (root / "script.py.mako").write_text("")
    name = f"{table}_alembic"
    (root / "versions" / "a1_create.py").write_text(
        "import sqlalchemy as sa\nfrom alembic import op\n"
        "revision = 'a1'\ndown_revision = None\n"
        "def upgrade():\n"
        f"    op.create_table('{name}', sa.Column('id', sa.Integer, primary_key=True))\n"
        "def downgrade():\n    pass\n"
    )
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(root))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "head")
    try:
        assert proxy.direct(f"SELECT to_regclass('public.{name}') IS NOT NULL") == "t"
        assert proxy.direct("SELECT version_num FROM alembic_version") == "a1"
    finally:
        proxy.direct(f"DROP TABLE IF EXISTS {name}; DROP TABLE IF EXISTS alembic_version")


def test_pgbench_select_only(proxy: Proxy) -> None:
    env_db = proxy.database
    subprocess.run(
        ["pgbench", "-i", "-q", "-s", "1", "-h", "127.0.0.1", "-U", "postgres", env_db],
        capture_output=True,
        check=True,
        timeout=60,
    )
    try:
        for mode in ("simple", "extended", "prepared"):
            done = subprocess.run(
                ["pgbench", "-n", "-S", "-M", mode, "-c", "4", "-j", "2", "-t", "50", proxy.dsn()],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert done.returncode == 0, done.stderr
            assert "number of failed transactions: 0" in done.stdout
    finally:
        proxy.direct(
            "DROP TABLE IF EXISTS pgbench_accounts, pgbench_branches, "
            "pgbench_history, pgbench_tellers"
        )
    assert sys.executable
