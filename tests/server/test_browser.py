"""End to end, in a real browser: an agent's destructive request through the real HTTP
proxy is held (`Prefer: wait=60`), a human logs in with password + TOTP, sees it appear in
the queue live, approves it, and the agent's request completes upstream.

Chromium is Debian's (/usr/bin/chromium), installed by the `chromium` fixture when
missing; Playwright drives it and never downloads a browser. The approval page is saved
as test-artifacts/approval.png.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from interlock.identity import ResourceRegistry
from interlock.proxy.http import ProxyThread, proxy_config_from
from tests.server.conftest import OPERATOR, PASSWORD, LiveServer, Plane, build_app

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DELETE = json.dumps({"query": 'mutation { volumeDelete(volumeId: "vol-prod-7f3a") }'})

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium, installed with apt when missing (CI on a fresh machine)."""
    if not CHROMIUM.exists():
        apt = shutil.which("apt-get")
        if apt is None:
            pytest.fail("Chromium is missing and there is no apt-get to install it")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
        subprocess.run([*sudo, apt, "update", "-qq"], check=False, env=env, timeout=600)
        subprocess.run(
            [*sudo, apt, "install", "-y", "-qq", "chromium"], check=True, env=env, timeout=900
        )
    return CHROMIUM


class Upstream:
    """The production API behind the proxy: records what reached it."""

    def __init__(self) -> None:
        self.seen: list[bytes] = []
        seen = self.seen

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                seen.append(body)
                payload = b'{"data":{"volumeDelete":true}}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    up = Upstream()
    up.thread.start()
    yield up
    up.server.shutdown()
    up.server.server_close()


def railway_config(plane: Plane, upstream: Upstream) -> Any:
    """The production `railway` resource in front of `upstream`, and a proxy config routing it."""
    ResourceRegistry.for_home(plane.home).add(
        OPERATOR,
        "railway",
        kind="http",
        environment="production",
        upstream=upstream.url,
        credential="rlwy-real-upstream-credential",
    )
    return proxy_config_from(
        {"listen": "127.0.0.1:0", "routes": {"railway": {"classify_host": "backboard.railway.app"}}}
    )


def send_delete(port: int, token: str, result: dict[str, Any], **headers: str) -> None:
    """The agent: the volume deletion through the proxy, waiting up to a minute for a human;
    the answer's status and body land in `result`."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=90)
    sent = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Prefer": "wait=60",
        **headers,
    }
    conn.request("POST", "/railway/graphql/v2", body=DELETE, headers=sent)
    response = conn.getresponse()
    result["status"], result["body"] = response.status, response.read()
    conn.close()


def test_a_held_action_is_approved_in_the_console_and_completes(
    plane: Plane, upstream: Upstream, chromium: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    config = railway_config(plane, upstream)
    result: dict[str, Any] = {}

    def agent() -> None:
        send_delete(proxy.port, plane.token, result)

    ARTIFACTS.mkdir(exist_ok=True)
    with (
        ProxyThread(plane.home, config) as proxy,
        LiveServer(build_app(plane)) as server,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=str(chromium), args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.set_default_timeout(15_000)
            page.goto(f"{server.url}/approvals")
            expect(page).to_have_url(f"{server.url}/login?next=%2Fapprovals")
            page.fill("#name", "carol")
            page.fill("#password", PASSWORD)
            page.fill("#code", plane.code("carol"))
            page.click("#login")
            expect(page).to_have_url(f"{server.url}/approvals")
            expect(page.locator("#queue-rows")).to_contain_text("Nothing is waiting")
            expect(page.locator("#live-status")).to_be_visible()

            waiting = threading.Thread(target=agent)
            waiting.start()  # the agent's request is now held, waiting on a human
            row = page.locator("#queue-rows tr[data-id]")
            expect(row).to_have_count(1)  # appeared without a reload (server-sent events)
            expect(row).to_contain_text("ops-bot")
            expect(row).to_contain_text("volumeDelete")
            assert not upstream.seen
            row.locator("a").click()

            expect(page.locator("h1")).to_contain_text("apr_")
            expect(page.locator("dl.facts")).to_contain_text("bob@example.com")
            expect(page.locator("dl.facts")).to_contain_text("production")
            expect(page.locator("details.policy").first).to_contain_text(
                "hold-destructive-production"
            )
            page.fill("#comment", "checked with the owner: the volume is already migrated")
            # irreversible on production: Approve stays disabled until the target is typed
            expect(page.locator("#approve")).to_be_disabled()
            page.fill("#confirm", "vol-prod-7f3a")
            expect(page.locator("#approve")).to_be_enabled()
            page.screenshot(path=str(ARTIFACTS / "approval.png"), full_page=True)
            page.click("#approve")
            expect(page.locator("#done")).to_contain_text("approve")
            waiting.join(30)  # the proxy claimed the approval and forwarded the request
            page.reload()
            expect(page.locator("#request-status")).to_have_text("used")
            page.screenshot(path=str(ARTIFACTS / "approval-used.png"), full_page=True)
        finally:
            browser.close()
    assert result["status"] == 200, result
    assert json.loads(result["body"]) == {"data": {"volumeDelete": True}}
    assert len(upstream.seen) == 1 and b"volumeDelete" in upstream.seen[0]
    assert (ARTIFACTS / "approval.png").stat().st_size > 10_000
    votes = [
        r.body
        for r in plane.home.audit_log().records()
        if r.type == "approval" and r.body.get("event") == "approved"
    ]
    assert votes[0]["by"] == "carol" and "migrated" in votes[0]["comment"]
