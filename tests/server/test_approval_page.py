"""The approval page in a real browser (Chromium via Playwright), for an HTTP hold and a
PostgreSQL hold through the real proxies: everything a human needs to judge in ten
seconds, the typed confirmation an irreversible production action requires, Suspend next
to Approve and Deny, and the audit view's results. Screenshots go to test-artifacts/."""

from __future__ import annotations

import secrets
import threading
from pathlib import Path
from typing import Any

import pytest

from interlock.identity import ResourceRegistry
from interlock.proxy.http import ProxyThread
from interlock.proxy.pg import build_server
from tests.proxy_pg.conftest import (
    PG_HOST,
    PG_PORT,
    ensure_postgres,
    psql,
    start_in_thread,
    stop_thread,
    wait_until,
)
from tests.server.conftest import OPERATOR, PASSWORD, LiveServer, Plane, build_app
from tests.server.test_browser import (
    ARGS,
    ARTIFACTS,
    Upstream,
    chromium,
    railway_config,
    send_delete,
    upstream,
)

__all__ = ["chromium", "upstream"]  # fixtures, shared with test_browser

pytestmark = pytest.mark.integration


def _login(page: Any, server: LiveServer, plane: Plane) -> None:
    from playwright.sync_api import expect

    page.goto(f"{server.url}/approvals")
    page.fill("#name", "carol")
    page.fill("#password", PASSWORD)
    page.fill("#code", plane.code("carol"))
    page.click("#login")
    expect(page).to_have_url(f"{server.url}/approvals")


def _open_the_request(page: Any, text: str) -> None:
    from playwright.sync_api import expect

    row = page.locator("#queue-rows tr[data-id]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(text)
    row.locator("a").click()
    expect(page.locator("h1")).to_contain_text("apr_")


def _common_facts(page: Any) -> None:
    """What every hold's page shows, whatever the enforcement point."""
    from playwright.sync_api import expect

    expect(page.locator("#fact-agent")).to_contain_text("ops-bot")
    expect(page.locator("#fact-owner")).to_contain_text("bob@example.com")
    expect(page.locator("#fact-task")).to_contain_text("rotate logs")
    expect(page.locator("#fact-environment")).to_have_text("production")
    expect(page.locator("#fact-policy")).to_contain_text("hold-destructive-production")
    expect(page.locator("#fact-policy")).to_contain_text(".cedar:")
    expect(page.locator("#fact-waiting")).to_contain_text("is waiting")
    # relative times, then live countdowns (ticking in the page)
    expect(page.locator("#fact-times")).to_contain_text("ago")
    expect(page.locator("#fact-times .countdown")).to_contain_text("in ")
    expect(page.locator("#fact-waiting .countdown")).to_contain_text("in ")
    for button in ("#approve", "#deny", "#suspend"):
        expect(page.locator(button)).to_be_visible()
    # irreversible on production: Approve waits for the target's name
    expect(page.locator("#approve")).to_be_disabled()


def test_an_http_hold_shows_what_a_human_needs(
    plane: Plane, upstream: Upstream, chromium: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    config = railway_config(plane, upstream)
    result: dict[str, Any] = {}

    def agent() -> None:
        reason = "the volume was migrated to vol-prod-8b21 yesterday"
        send_delete(proxy.port, plane.token, result, **{"Interlock-Reason": reason})

    ARTIFACTS.mkdir(exist_ok=True)
    with (
        ProxyThread(plane.home, config) as proxy,
        LiveServer(build_app(plane)) as server,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=str(chromium), args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1100})
            page.set_default_timeout(15_000)
            _login(page, server, plane)
            waiting = threading.Thread(target=agent)
            waiting.start()
            _open_the_request(page, "volumeDelete")
            _common_facts(page)
            expect(page.locator("#fact-reason")).to_contain_text("migrated to vol-prod-8b21")
            host = upstream.url.removeprefix("http://")
            expect(page.locator("#fact-upstream")).to_contain_text(host)
            # no snapshot hook on this route: no safeguard is claimed
            expect(page.locator("#fact-safeguards")).to_contain_text("none: the action runs as is")
            page.fill("#confirm", "vol-prod")  # not the name: still disabled
            expect(page.locator("#approve")).to_be_disabled()
            page.fill("#confirm", "vol-prod-7f3a")
            expect(page.locator("#approve")).to_be_enabled()
            page.screenshot(path=str(ARTIFACTS / "approval-http.png"), full_page=True)
            page.click("#approve")
            expect(page.locator("#done")).to_contain_text("approve")
            waiting.join(30)
            page.goto(f"{server.url}/audit")
            expect(page.locator("#audit-rows")).to_contain_text("approved and ran")
            page.screenshot(path=str(ARTIFACTS / "audit-http.png"), full_page=True)
        finally:
            browser.close()
    assert result["status"] == 200, result
    assert len(upstream.seen) == 1
    # the reason is Interlock's: it never went upstream
    assert b"migrated" not in upstream.seen[0]


@pytest.fixture
def orders_db() -> Any:
    ensure_postgres()
    name = "interlock_page_" + secrets.token_hex(4)
    psql(f"CREATE DATABASE {name}")
    psql(
        "CREATE TABLE public.orders (id int PRIMARY KEY, total numeric); "
        "INSERT INTO public.orders SELECT g, g * 1.5 FROM generate_series(1, 1234) g",
        name,
    )
    try:
        yield name
    finally:
        psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_a_postgres_hold_shows_what_a_human_needs(
    plane: Plane, orders_db: str, chromium: Path
) -> None:
    import psycopg
    from playwright.sync_api import expect, sync_playwright

    ResourceRegistry.for_home(plane.home).add(
        OPERATOR,
        "orders-pg",
        kind="postgres",
        environment="production",
        upstream=f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{orders_db}",
        credential=None,
    )
    result: dict[str, Any] = {}
    server_pg, loop, thread = start_in_thread(
        lambda: build_server(plane.home, port=0, allow_cleartext=True)
    )

    def agent() -> None:
        dsn = f"postgresql://ops-bot:{plane.token}@127.0.0.1:{server_pg.port}/orders-pg"
        try:
            with psycopg.connect(
                dsn,
                autocommit=True,
                application_name="nightly-cleanup",
                options="-c interlock.wait=60",
            ) as conn:
                conn.execute("SET interlock.reason = 'orders moved to the new billing schema'")
                conn.execute("DROP TABLE orders")
                result["ok"] = True
        except Exception as exc:  # the assertion below names it
            result["error"] = repr(exc)

    ARTIFACTS.mkdir(exist_ok=True)
    try:
        with LiveServer(build_app(plane)) as server, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(chromium), args=ARGS, headless=True)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 1100})
                page.set_default_timeout(15_000)
                _login(page, server, plane)
                waiting = threading.Thread(target=agent)
                waiting.start()
                _open_the_request(page, "DROP TABLE")
                _common_facts(page)
                expect(page.locator("#fact-reason")).to_contain_text("new billing schema")
                expect(page.locator("#fact-upstream")).to_contain_text(f"{PG_HOST}:{PG_PORT}")
                expect(page.locator("#fact-upstream")).to_contain_text(orders_db)
                expect(page.locator("#fact-blast")).to_contain_text("public.orders")
                expect(page.locator("#fact-blast")).to_contain_text("1,234 rows")
                expect(page.locator("#fact-blast")).to_contain_text("kB")
                # the PostgreSQL proxy does take the policy's snapshot before a DROP
                expect(page.locator("#fact-safeguards")).to_contain_text("snapshot")
                page.fill("#confirm", "orders")
                expect(page.locator("#approve")).to_be_enabled()
                page.screenshot(path=str(ARTIFACTS / "approval-pg.png"), full_page=True)
                page.click("#approve")
                expect(page.locator("#done")).to_contain_text("approve")
                waiting.join(30)
                page.goto(f"{server.url}/audit")
                expect(page.locator("#audit-rows")).to_contain_text("approved and ran")
                # session bookkeeping is hidden by default, shown on request
                expect(page.locator("#audit-rows")).not_to_contain_text("pg_session_opened")
                page.check("#show-all")
                page.click("form.filters button[type=submit]")
                expect(page.locator("#audit-rows")).to_contain_text("pg_session_opened")
                page.screenshot(path=str(ARTIFACTS / "audit-pg.png"), full_page=True)
            finally:
                browser.close()
    finally:
        stop_thread(server_pg, loop, thread)
    assert result.get("ok"), result
    assert wait_until(lambda: psql("SELECT to_regclass('public.orders')", orders_db) == "")
    assert (ARTIFACTS / "approval-pg.png").stat().st_size > 10_000
