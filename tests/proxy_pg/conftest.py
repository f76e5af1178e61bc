"""Fixtures for the PostgreSQL proxy: the machine's server, a home, and a running proxy.

The machine's PostgreSQL 15 (127.0.0.1:5432, trust for local TCP) is started if it is not
answering; each test session creates its own database and drops it at the end. The proxy
runs in a thread with its own event loop, bound to 127.0.0.1 on a free port.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from interlock.home import Home, init_home
from interlock.identity import MASTER_KEY_ENV, AgentRegistry, ResourceRegistry
from interlock.model import Human, Verb
from interlock.proxy.pg import ProxySettings, build_server
from interlock.proxy.pg._login import AgentLimits
from interlock.proxy.pg._server import ProxyServer

PG_HOST = "127.0.0.1"
PG_PORT = 5432
ADMIN = Human("alice@example.com", "admin")


def psql(sql: str, database: str = "test", *, port: int = PG_PORT) -> str:
    done = subprocess.run(
        [
            "psql",
            "-h",
            PG_HOST,
            "-p",
            str(port),
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
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"psql failed: {done.stderr.strip()}")
    return done.stdout.strip()


def ensure_postgres() -> None:
    """Start the machine's cluster if it does not answer (never skip: CI must see it)."""

    def ready() -> bool:
        return (
            subprocess.run(
                ["pg_isready", "-h", PG_HOST, "-p", str(PG_PORT)], capture_output=True, check=False
            ).returncode
            == 0
        )

    if ready():
        return
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
        check=False,
        capture_output=True,
    )
    for _ in range(60):
        if ready():
            return
        time.sleep(0.25)
    raise RuntimeError("PostgreSQL on 127.0.0.1:5432 does not answer and could not be started")


@dataclass
class Proxy:
    """A running proxy and what tests need to talk through it."""

    server: ProxyServer
    loop: asyncio.AbstractEventLoop
    home: Home
    database: str
    tokens: dict[str, str]

    @property
    def port(self) -> int:
        return self.server.port

    def dsn(self, agent: str = "writer", resource: str = "prod", token: str | None = None) -> str:
        secret = token if token is not None else self.tokens[agent]
        return f"postgresql://{agent}:{secret}@127.0.0.1:{self.port}/{resource}"

    def direct(self, sql: str) -> str:
        return psql(sql, self.database)

    def links(self) -> int:
        async def count() -> int:
            return len(self.server.links)

        return asyncio.run_coroutine_threadsafe(count(), self.loop).result(5)

    def waiting_for_approval(self) -> int:
        """Sessions whose statement is parked while a human decides."""

        async def count() -> int:
            return sum(1 for link in self.server.links if link.session.awaiting_approval)

        return asyncio.run_coroutine_threadsafe(count(), self.loop).result(5)

    def running(self, query: str) -> bool:
        """The server runs `query` for some session now (pg_stat_activity)."""
        found = self.direct(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
            f"AND query = {quote(query)}"
        )
        return found != "0"


def start_in_thread(
    make: Callable[[], ProxyServer],
) -> tuple[ProxyServer, asyncio.AbstractEventLoop, threading.Thread]:
    """Build the server in its own thread (SQLite handles belong to the thread that opened
    them) and run it there."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    box: list[ProxyServer] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        box.append(make())
        loop.run_until_complete(box[0].start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True, name="pg-proxy")
    thread.start()
    if not started.wait(10):
        raise RuntimeError("the proxy did not start")
    return box[0], loop, thread


def stop_thread(
    server: ProxyServer, loop: asyncio.AbstractEventLoop, thread: threading.Thread
) -> None:
    asyncio.run_coroutine_threadsafe(server.close(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    ensure_postgres()
    name = "interlock_pgproxy_" + secrets.token_hex(4)
    psql(f"CREATE DATABASE {name}")
    try:
        yield name
    finally:
        psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def pg_home(
    tmp_path_factory: pytest.TempPathFactory, pg_database: str
) -> Iterator[tuple[Home, dict[str, str]]]:
    saved = os.environ.pop(MASTER_KEY_ENV, None)
    home, _ = init_home(tmp_path_factory.mktemp("pghome") / ".interlock")
    # One session of hundreds of attacks by the same agents: their circuit breakers would
    # suspend them (see tests/baseline); here each statement is judged on its own.
    with home.config_path.open("a") as config:
        config.write("\n[breaker]\nenabled = false\n")
    resources = ResourceRegistry.for_home(home)
    upstream = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{pg_database}"
    resources.add(
        ADMIN, "prod", kind="postgres", environment="production", upstream=upstream, credential=None
    )
    resources.add(
        ADMIN, "dev", kind="postgres", environment="staging", upstream=upstream, credential=None
    )
    (home.root / "policies" / "pg-soft-drop.cedar").write_text(
        '@id("staging-soft-drop")\n@safeguard("soft_drop")\n'
        'permit (principal is Agent, action in Action::"dangerous", resource)\n'
        'when { resource.environment == "staging" };\n'
    )
    agents = AgentRegistry.for_home(home)
    tokens = {}
    for name, verb in (
        ("writer", Verb.DESTRUCTIVE),
        ("reader", Verb.READ),
        ("keyholder", Verb.PRIVILEGE),  # a human granted it privilege actions by name
    ):
        _, minted = agents.create(
            ADMIN,
            name,
            environments=["production", "staging"],
            task="tests",
            owner="alice",
            max_verb=verb,
        )
        tokens[name] = minted.token
    _, minted = agents.create(
        ADMIN,
        "stager",
        environments=["staging"],
        task="tests",
        owner="alice",
        max_verb=Verb.DESTRUCTIVE,
    )
    tokens["stager"] = minted.token
    try:
        yield home, tokens
    finally:
        if saved is not None:
            os.environ[MASTER_KEY_ENV] = saved


@pytest.fixture(scope="session")
def proxy(pg_home: tuple[Home, dict[str, str]], pg_database: str) -> Iterator[Proxy]:
    home, tokens = pg_home
    settings = ProxySettings(
        AgentLimits(statement_timeout_ms=20_000), {"reader": AgentLimits(row_limit=50)}
    )
    server, loop, thread = start_in_thread(
        lambda: build_server(home, port=0, allow_cleartext=True, settings=settings)
    )
    try:
        yield Proxy(server, loop, home, pg_database, tokens)
    finally:
        stop_thread(server, loop, thread)


@pytest.fixture
def table(proxy: Proxy) -> Iterator[str]:
    """A fresh table with 10 rows, dropped afterwards (wherever it ended up)."""
    name = "t_" + secrets.token_hex(4)
    proxy.direct(
        f"CREATE TABLE public.{name} (id int PRIMARY KEY, v text); "
        f"INSERT INTO public.{name} SELECT g, 'row ' || g FROM generate_series(1, 10) g"
    )
    yield name
    proxy.direct(f"DROP TABLE IF EXISTS public.{name} CASCADE")


def has_tool(name: str) -> bool:
    return shutil.which(name) is not None


def wait_until(predicate: object, timeout: float = 10.0) -> bool:
    """Wait for a condition (polled), up to a generous timeout; never a fixed sleep."""
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return bool(predicate())


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


ROOT = Path(__file__).resolve().parents[2]
