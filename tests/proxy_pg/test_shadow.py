"""Shadow mode in the real PostgreSQL proxy against the real server: a held statement runs
(recorded as the hold it would have been, no safeguard taken), while the proxy's own fences
(settings that would loosen its session limits) are enforced all the same."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import errors

from interlock.home import Home, init_home
from interlock.identity import MASTER_KEY_ENV, AgentRegistry, ResourceRegistry
from interlock.model import Verb
from interlock.proxy.pg import ProxySettings, build_server
from interlock.proxy.pg._login import AgentLimits

from .conftest import ADMIN, PG_HOST, PG_PORT, psql, start_in_thread, stop_thread

pytestmark = pytest.mark.integration


@pytest.fixture
def shadow_proxy(
    tmp_path: Path, pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Home, int, str]]:
    monkeypatch.delenv(MASTER_KEY_ENV, raising=False)
    home, _ = init_home(tmp_path / ".interlock")
    home.config_path.write_text(
        home.config_path.read_text() + '\n[enforcement]\nproxy_pg = "shadow"\n'
    )
    upstream = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{pg_database}"
    ResourceRegistry.for_home(home).add(
        ADMIN, "prod", kind="postgres", environment="production", upstream=upstream, credential=None
    )
    _, minted = AgentRegistry.for_home(home).create(
        ADMIN, "writer", environments=["production"], task="t", owner="a", max_verb=Verb.DESTRUCTIVE
    )
    settings = ProxySettings(AgentLimits(statement_timeout_ms=20_000), {})
    server, loop, thread = start_in_thread(
        lambda: build_server(home, port=0, allow_cleartext=True, settings=settings)
    )
    try:
        yield home, server.port, minted.token
    finally:
        stop_thread(server, loop, thread)


def test_a_held_drop_runs_in_shadow_mode_and_the_limits_still_hold(
    shadow_proxy: tuple[Home, int, str], pg_database: str
) -> None:
    home, port, token = shadow_proxy
    name = "shadow_" + secrets.token_hex(4)
    psql(f"CREATE TABLE public.{name} (id int)", pg_database)
    dsn = f"postgresql://writer:{token}@127.0.0.1:{port}/prod"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"DROP TABLE public.{name}")  # would be held: runs, as itself
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("SET statement_timeout = 0")  # the proxy's own fence
    left = psql(f"SELECT count(*) FROM pg_tables WHERE tablename = '{name}'", pg_database)
    assert left == "0"  # dropped, not moved to a trash schema: no safeguard in shadow mode
    records = [r.body for r in home.audit_log().records() if r.type == "decision"]
    drop = next(r for r in records if "DROP TABLE" in str(r["decision"]))
    assert drop["shadow"] is True and drop["enforced"] == "allow"
    assert drop["decision"]["decision"] == "hold"
    fence = next(r for r in records if "pg-proxy-limits" in r["decision"]["policies"])
    assert fence["shadow"] is True and fence["enforced"] == "deny"
