"""Wait-for-approval mode: a held statement stays on the connection until a human decides.

A thread plays the human through `ApprovalStore` while psycopg waits in `execute`.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from psycopg import errors

from interlock.approvals import ApprovalStore, Status
from tests.proxy_pg.conftest import ADMIN, Proxy

pytestmark = pytest.mark.integration


def waiting(proxy: Proxy, seconds: float) -> str:
    return proxy.dsn() + f"?options=-c%20interlock.wait%3D{seconds:g}"


def human(proxy: Proxy, notices: list[str], act: Callable[[ApprovalStore, str], Any]) -> None:
    """In another thread: once the 'waiting for approval' notice names the request, act."""

    def run() -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            found = [re.search(r"apr_[0-9a-f]+", n) for n in notices]
            ids = [f.group(0) for f in found if f]
            if ids:
                time.sleep(0.2)  # the statement really is parked
                store = ApprovalStore.for_home(proxy.home)
                try:
                    act(store, ids[-1])
                finally:
                    store.close()
                return
            time.sleep(0.02)

    threading.Thread(target=run, daemon=True).start()


def connect(dsn: str) -> tuple[psycopg.Connection[Any], list[str]]:
    conn = psycopg.connect(dsn, autocommit=True)
    notices: list[str] = []
    conn.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
    return conn, notices


def test_approved_while_waiting_runs_with_its_safeguard(proxy: Proxy, table: str) -> None:
    conn, notices = connect(waiting(proxy, 20))
    with conn:
        human(proxy, notices, lambda store, rid: store.approve(rid, ADMIN, "ok"))
        started = time.monotonic()
        cur = conn.execute(f"DELETE FROM {table}")
        assert cur.rowcount == 10 and time.monotonic() - started < 15
        assert any(n.startswith("waiting for approval apr_") for n in notices)
        assert any("snapshot" in n for n in notices)
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)
    request = re.search(r"apr_[0-9a-f]+", notices[0])
    assert request is not None
    store = ApprovalStore.for_home(proxy.home)
    try:
        assert store.status(request.group(0)) is Status.USED
    finally:
        store.close()


def test_denied_while_waiting_names_the_human_and_comment(proxy: Proxy, table: str) -> None:
    conn, notices = connect(waiting(proxy, 20))
    with conn:
        human(proxy, notices, lambda store, rid: store.deny(rid, ADMIN, "not on a Friday"))
        with pytest.raises(errors.InsufficientPrivilege) as caught:
            conn.execute(f"TRUNCATE {table}")
        message = caught.value.diag.message_primary or ""
        assert "alice@example.com" in message and "denied" in message
        assert "not on a Friday" in message
        assert conn.execute("SELECT 1").fetchone() == (1,)
    assert proxy.direct(f"SELECT count(*) FROM {table}") == "10"


def test_wait_times_out_with_the_hold_error(proxy: Proxy, table: str) -> None:
    conn, notices = connect(waiting(proxy, 1))
    with conn:
        started = time.monotonic()
        with pytest.raises(errors.InsufficientPrivilege) as caught:
            conn.execute(f"TRUNCATE {table}")
        assert 0.9 < time.monotonic() - started < 5
        assert "no human decided within" in (caught.value.diag.message_primary or "")
        assert notices and "waiting for approval" in notices[0]
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_cancel_request_ends_the_wait_inside_a_transaction(proxy: Proxy, table: str) -> None:
    conn = psycopg.connect(waiting(proxy, 30))
    notices: list[str] = []
    conn.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
    with conn:
        conn.execute(f"INSERT INTO {table} VALUES (100, 'in tx')")

        def cancel() -> None:
            deadline = time.monotonic() + 10
            while not notices and time.monotonic() < deadline:
                time.sleep(0.02)
            conn.cancel_safe()

        threading.Thread(target=cancel, daemon=True).start()
        started = time.monotonic()
        with pytest.raises(errors.QueryCanceled) as caught:
            conn.execute(f"DROP TABLE {table}")
        assert time.monotonic() - started < 10
        assert "approval request apr_" in (caught.value.diag.message_hint or "")
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR
        conn.rollback()
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (10,)


def test_client_leaving_while_waiting_is_recorded(proxy: Proxy, table: str) -> None:
    import socket

    conn, notices = connect(waiting(proxy, 30))
    done = threading.Event()

    def run() -> None:
        with contextlib.suppress(psycopg.Error):
            conn.execute(f"TRUNCATE {table}")
        done.set()

    threading.Thread(target=run, daemon=True).start()
    deadline = time.monotonic() + 10
    while not notices and time.monotonic() < deadline:
        time.sleep(0.02)
    assert notices
    # drop the TCP connection under the waiting client, as a crashed agent would
    socket.socket(fileno=conn.pgconn.socket).shutdown(socket.SHUT_RDWR)
    assert done.wait(10)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        outcomes = [
            dict(r.body)
            for r in proxy.home.audit_log().records()
            if r.type == "outcome" and dict(r.body).get("outcome") == "abandoned"
        ]
        if outcomes:
            break
        time.sleep(0.05)
    assert outcomes and outcomes[-1]["source"] == "proxy:pg"
    assert proxy.direct(f"SELECT count(*) FROM {table}") == "10"


def test_psql_shows_the_wait_notice_with_pgoptions(proxy: Proxy, table: str) -> None:
    import os
    import subprocess

    done = subprocess.run(
        ["psql", proxy.dsn(), "-X", "-c", f"TRUNCATE {table}"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "PGOPTIONS": "-c interlock.wait=1"},
        check=False,
    )
    assert "NOTICE:  waiting for approval apr_" in done.stderr
    assert "no human decided within" in done.stderr
