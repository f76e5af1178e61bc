"""Wait-for-approval mode: a held statement stays on the connection until a human decides.

A thread plays the human through `ApprovalStore` while psycopg waits in `execute`.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from psycopg import errors

from interlock.approvals import ApprovalStore, Status
from tests.proxy_pg.conftest import ADMIN, Proxy, wait_until

pytestmark = pytest.mark.integration


def waiting(proxy: Proxy, seconds: float) -> str:
    return proxy.dsn() + f"?options=-c%20interlock.wait%3D{seconds:g}"


def requested(notices: list[str]) -> str:
    """The approval request the 'waiting for approval' notice names ("" before it came)."""
    found = [re.search(r"apr_[0-9a-f]+", n) for n in notices]
    ids = [f.group(0) for f in found if f]
    return ids[-1] if ids else ""


def human(proxy: Proxy, notices: list[str], act: Callable[[ApprovalStore, str], Any]) -> None:
    """In another thread: once the statement is parked and the notice names its request,
    act on it as a human would."""

    def run() -> None:
        if not wait_until(lambda: requested(notices) and proxy.waiting_for_approval()):
            return
        store = ApprovalStore.for_home(proxy.home)
        try:
            act(store, requested(notices))
        finally:
            store.close()

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
        cur = conn.execute(f"DELETE FROM {table}")
        assert cur.rowcount == 10
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
        with pytest.raises(errors.InsufficientPrivilege) as caught:
            conn.execute(f"TRUNCATE {table}")
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
            wait_until(lambda: requested(notices) and proxy.waiting_for_approval())
            conn.cancel_safe()

        threading.Thread(target=cancel, daemon=True).start()
        with pytest.raises(errors.QueryCanceled) as caught:
            conn.execute(f"DROP TABLE {table}")
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
    assert wait_until(lambda: requested(notices) and proxy.waiting_for_approval())
    # drop the TCP connection under the waiting client, as a crashed agent would
    sock = socket.socket(fileno=conn.pgconn.socket)
    sock.shutdown(socket.SHUT_RDWR)
    # Regression: the descriptor is libpq's. Closing it here (as the unreferenced socket
    # object did) let libpq close it again later, after the number was reused: the next
    # test's psql pipe was closed under it (EBADF).
    sock.detach()
    assert done.wait(10)
    conn.close()
    request_id = requested(notices)

    def abandoned() -> list[dict[str, Any]]:
        return [
            dict(r.body)
            for r in proxy.home.audit_log().records()
            if r.type == "outcome"
            and dict(r.body).get("outcome") == "abandoned"
            and dict(r.body).get("approval_request") == request_id
        ]

    assert wait_until(abandoned)
    assert abandoned()[-1]["source"] == "proxy:pg"
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
