"""pgbench select-only (-S) direct, through Interlock, and through PgBouncer, in one run.

    pg_{direct,interlock,pgbouncer}_tps_{8,32}     transactions per second
    pg_added_latency_ms_{8,32}                       Interlock's average latency minus direct
    …_prepared_…                                     the same with `-M prepared`
    pg_{direct,interlock}_connect_tps_8               `-C`: a new connection per transaction
                                                     (login, session records, first read:
                                                     the part that reads and writes SQLite)

Each run lasts INTERLOCK_BENCH_PG_SECONDS (default 10 s, not the issue's 30 s, so that the
whole benchmark stays near three minutes; set it to 30 for the full figure). The default
pgbench mode is the simple query protocol, where every transaction is a new statement text
(a random `aid`), so Interlock classifies most of them cold; `-M prepared` parses once per
connection and shows the relay's own cost. PgBouncer is installed with apt-get when missing.
The proxy runs in its own process, with a throwaway home, agent and resource.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._pg import HOST, PG_PORT, pg_home

PROXY_PORT = 6532
BOUNCER_PORT = 6533
DATABASE = "interlock_bench"
SCALE = 10
ROOT = Path(__file__).resolve().parent.parent

_PROXY = """
import asyncio, sys
from pathlib import Path
from interlock.home import Home
from interlock.proxy.pg import build_server, run_loop
async def main():
    server = build_server(Home(Path(sys.argv[1])), port=int(sys.argv[2]), allow_cleartext=True)
    await server.start()
    print("ready", flush=True)
    await server.serve_forever()
run_loop(main())
"""


def _psql(sql: str, database: str = "postgres") -> None:
    subprocess.run(
        ["psql", "-h", HOST, "-U", "postgres", "-d", database, "-X", "-q", "-c", sql],
        check=True,
        capture_output=True,
    )


def _pgbench(dsn: str, clients: int, seconds: int, mode: str, *extra: str) -> tuple[float, float]:
    done = subprocess.run(
        [
            "pgbench",
            "-n",
            "-S",
            *extra,
            "-M",
            mode,
            "-c",
            str(clients),
            "-j",
            str(min(clients, 4)),
            "-T",
            str(seconds),
            dsn,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"pgbench failed: {done.stderr.strip()[-500:]}")
    tps = re.search(r"tps = ([\d.]+)", done.stdout)
    latency = re.search(r"latency average = ([\d.]+) ms", done.stdout)
    if tps is None or latency is None:
        raise RuntimeError(f"cannot read pgbench output: {done.stdout[-500:]}")
    return float(tps.group(1)), float(latency.group(1))


def _home(tmp: Path) -> tuple[Any, str]:
    home, token = pg_home(tmp, DATABASE, "production", "read")
    return home.root, token


def _pgbouncer(tmp: Path) -> subprocess.Popen[bytes] | None:
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not Path(binary).exists():
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "pgbouncer"], capture_output=True, check=False
        )
        binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        if not Path(binary).exists():
            return None
    directory = tmp / "bouncer"
    directory.mkdir()
    (directory / "users.txt").write_text('"postgres" ""\n')
    (directory / "pgbouncer.ini").write_text(
        f"[databases]\n{DATABASE} = host={HOST} port={PG_PORT} dbname={DATABASE}\n"
        f"[pgbouncer]\nlisten_addr = {HOST}\nlisten_port = {BOUNCER_PORT}\n"
        f"auth_type = trust\nauth_file = {directory / 'users.txt'}\n"
        "pool_mode = session\nmax_client_conn = 200\ndefault_pool_size = 40\n"
        f"unix_socket_dir =\nlogfile = {directory / 'log'}\npidfile = {directory / 'pid'}\n"
    )
    os.chmod(tmp, 0o755)
    os.chmod(directory, 0o777)
    for child in directory.iterdir():
        os.chmod(child, 0o666)
    command = [binary, str(directory / "pgbouncer.ini")]
    if os.geteuid() == 0:
        command[1:1] = ["-u", "postgres"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    return process if process.poll() is None else None


def run() -> dict[str, float]:
    seconds = int(os.environ.get("INTERLOCK_BENCH_PG_SECONDS", "10"))
    _psql(f"DROP DATABASE IF EXISTS {DATABASE}")
    _psql(f"CREATE DATABASE {DATABASE}")
    subprocess.run(
        ["pgbench", "-i", "-q", "-s", str(SCALE), "-h", HOST, "-U", "postgres", DATABASE],
        check=True,
        capture_output=True,
    )
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        home, token = _home(tmp)
        proxy = subprocess.Popen(
            [sys.executable, "-c", _PROXY, str(home), str(PROXY_PORT)],
            stdout=subprocess.PIPE,
            cwd=ROOT,
        )
        bouncer = None
        try:
            assert proxy.stdout is not None
            proxy.stdout.readline()
            bouncer = _pgbouncer(tmp)
            targets = {
                "direct": f"postgresql://postgres@{HOST}:{PG_PORT}/{DATABASE}",
                "interlock": f"postgresql://bench:{token}@{HOST}:{PROXY_PORT}/benchdb",
            }
            if bouncer is not None:
                targets["pgbouncer"] = f"postgresql://postgres@{HOST}:{BOUNCER_PORT}/{DATABASE}"
            for mode, suffix, extra, counts in (
                ("simple", "", (), (8, 32)),
                ("prepared", "_prepared", (), (8, 32)),
                ("simple", "_connect", ("-C",), (8,)),
            ):
                for clients in counts:
                    latency: dict[str, float] = {}
                    for target, dsn in targets.items():
                        tps, lat = _pgbench(dsn, clients, seconds, mode, *extra)
                        results[f"pg_{target}{suffix}_tps_{clients}"] = round(tps, 1)
                        latency[target] = lat
                    results[f"pg_added_latency_ms{suffix}_{clients}"] = round(
                        latency["interlock"] - latency["direct"], 3
                    )
                    results[f"pg_interlock_ratio{suffix}_{clients}"] = round(
                        results[f"pg_interlock{suffix}_tps_{clients}"]
                        / results[f"pg_direct{suffix}_tps_{clients}"],
                        3,
                    )
        finally:
            proxy.terminate()
            proxy.wait(10)
            if bouncer is not None:
                bouncer.terminate()
                bouncer.wait(10)
            _psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    return results


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    for key, value in run().items():
        print(f"{key:<36} {value}")
