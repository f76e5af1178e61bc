"""The vault's cost: how fast a PostgreSQL table streams into the local vault, and what a
snapshot adds to a destructive statement through the proxy.

    vault_snapshot_mb_per_s       a table of INTERLOCK_BENCH_VAULT_MB (default 100) MB of
                                  heap, pg_dump'ed, counted, checksummed, compressed,
                                  encrypted and stored: heap MB / seconds (median of 3)
    vault_snapshot_seconds        the same snapshot's median duration
    pg_snapshot_added_ms          a snapshot-guarded `DELETE` of 1,000 rows (every row of its
                                  table, so destructive: staging allows it with a snapshot)
                                  through the proxy, minus the same DELETE sent straight to
                                  PostgreSQL; median of 7. A DELETE with a WHERE clause is a
                                  write and takes no snapshot; a snapshot covers the whole
                                  table, whatever the statement removes from it
    pg_snapshot_table_rows        the rows of that table

Everything is real: PostgreSQL 15 on 127.0.0.1, Debian's pg_dump, the proxy in a thread
of this process with a throwaway home.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks._pg import HOST, PG_PORT, pg_home

DATABASE = "interlock_bench_vault"
DELETED = 1_000


def _psql(sql: str, database: str = "postgres") -> str:
    done = subprocess.run(
        [
            "psql",
            "-h",
            HOST,
            "-U",
            "postgres",
            "-d",
            database,
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def _home(tmp: Path) -> tuple[Any, str]:
    home, token = pg_home(tmp, DATABASE, "staging", "destructive")
    return home, token


def _throughput(home: Any, megabytes: int) -> dict[str, float]:
    from interlock.proxy.pg import Scope, Source, take_snapshot
    from interlock.vault import open_vault

    rows = megabytes * 1024 * 1024 // 117  # ~117 bytes of heap per row below
    _psql(
        "DROP TABLE IF EXISTS big; "
        "CREATE TABLE big (id bigint PRIMARY KEY, at timestamptz, note text); "
        "INSERT INTO big SELECT g, now() - g * interval '1 second', "
        f"md5(g::text) || ' ' || md5((g * 7)::text) FROM generate_series(1, {rows}) g",
        DATABASE,
    )
    _psql("VACUUM ANALYZE big", DATABASE)
    heap = int(_psql("SELECT pg_relation_size('big')", DATABASE)) / (1024 * 1024)
    vault = open_vault(home)
    source = Source(
        f"postgresql://postgres@{HOST}:{PG_PORT}/{DATABASE}", timeout=600.0, max_bytes=4 * 1024**3
    )
    times = []
    for _ in range(3):
        start = time.perf_counter()
        take_snapshot(vault, source, "benchdb", Scope(tables=(("public", "big"),)), {})
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    return {
        "vault_snapshot_mb_per_s": round(heap / seconds, 1),
        "vault_snapshot_seconds": round(seconds, 2),
        "vault_snapshot_table_mb": round(heap, 1),
    }


def _added_latency(home: Any, token: str) -> dict[str, float]:
    import psycopg

    from interlock.proxy.pg import build_server

    _psql(
        "DROP TABLE IF EXISTS guarded; "
        "CREATE TABLE guarded (id int PRIMARY KEY, v text); "
        f"INSERT INTO guarded SELECT g, md5(g::text) FROM generate_series(1, {DELETED}) g",
        DATABASE,
    )
    refill = (
        "INSERT INTO guarded SELECT g, md5(g::text) FROM generate_series(1, "
        f"{DELETED}) g ON CONFLICT DO NOTHING"
    )
    delete = "DELETE FROM guarded"  # every row: destructive, so staging takes a snapshot
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    box: list[Any] = []

    def serve() -> None:
        asyncio.set_event_loop(loop)
        box.append(build_server(home, port=0, allow_cleartext=True))
        loop.run_until_complete(box[0].start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    ready.wait(30)
    server = box[0]
    direct_dsn = f"postgresql://postgres@{HOST}:{PG_PORT}/{DATABASE}"
    proxy_dsn = f"postgresql://bench:{token}@{HOST}:{server.port}/benchdb"
    try:
        samples: dict[str, list[float]] = {"direct": [], "proxy": []}
        with (
            psycopg.connect(direct_dsn, autocommit=True) as direct,
            psycopg.connect(proxy_dsn, autocommit=True) as guarded,
        ):
            for _ in range(7):
                for name, conn in (("direct", direct), ("proxy", guarded)):
                    direct.execute(refill)
                    start = time.perf_counter()
                    conn.execute(delete)
                    samples[name].append((time.perf_counter() - start) * 1000)
    finally:
        asyncio.run_coroutine_threadsafe(server.close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
    added = statistics.median(samples["proxy"]) - statistics.median(samples["direct"])
    return {
        "pg_snapshot_added_ms": round(added, 1),
        "pg_snapshot_table_rows": float(DELETED),
    }


def run() -> dict[str, float]:
    megabytes = int(os.environ.get("INTERLOCK_BENCH_VAULT_MB", "100"))
    _psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    _psql(f"CREATE DATABASE {DATABASE}")
    saved = os.environ.pop("INTERLOCK_MASTER_KEY", None)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            home, token = _home(Path(tmp))
            results = _added_latency(home, token)
            results.update(_throughput(home, megabytes))
            return results
    finally:
        if saved is not None:
            os.environ["INTERLOCK_MASTER_KEY"] = saved
        _psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


if __name__ == "__main__":
    print(run())
