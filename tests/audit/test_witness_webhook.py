"""The webhook witness: a real HTTP receiver on loopback gets the pin and every checkpoint,
and `audit verify` reads it back, so an attacker who can rewrite everything on this machine
except the receiver still cannot hide a cut tail."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from interlock.audit import WebhookWitness, WitnessError
from tests.audit.conftest import interlock, record, set_audit, sql


class Receiver:
    """Keeps what is POSTed; answers GET with all of it (the read-back contract)."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = json.loads(self.rfile.read(length))
                with receiver.lock:
                    receiver.entries.append(body)
                self.send_response(204)
                self.end_headers()

            def do_GET(self) -> None:
                with receiver.lock:
                    data = json.dumps({"entries": receiver.entries}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/witness?token=s3cr3t-token"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    found.thread.start()
    yield found
    found.server.shutdown()
    found.server.server_close()


def test_webhook_keeps_the_tail_when_the_local_witness_is_rewritten(
    receiver: Receiver, tmp_path: Path
) -> None:
    home = tmp_path / "h"
    interlock("init", "--home", str(home), "--witness-url", receiver.url, check=True)
    assert "s3cr3t-token" in (home / "interlock.toml").read_text()
    set_audit(home, checkpoint_every=5)
    record(home, 9)
    kinds = [(e["kind"], e.get("seq")) for e in receiver.entries]
    assert kinds == [("pin", None), ("checkpoint", 5), ("checkpoint", 9)]
    # The attacker can write everything local: it cuts the tail and rewrites the file
    # witness back to its pin line.
    sql(home, "DELETE FROM audit_records WHERE seq > 5")
    local = home / "witness" / "checkpoints.jsonl"
    local.write_text(local.read_text().splitlines()[0] + "\n")
    result = interlock("audit", "verify", "--home", str(home))
    assert result.code == 1
    assert "records 6–9 are missing: webhook:http://127.0.0.1:" in result.out
    assert "s3cr3t-token" not in result.out + result.err  # the URL's token is never shown
    loopback = interlock("audit", "verify", "--home", str(home), "--json").json()
    reach = [g for g in loopback["guarantees"] if g["guarantee"].startswith("a cut tail")]
    assert reach[0]["holds"] is None and "on this machine" in reach[0]["why"]


def test_unreachable_webhook_is_a_problem_not_an_ok(tmp_path: Path) -> None:
    home = tmp_path / "h"
    interlock("init", "--home", str(home), check=True)
    set_audit(home, "audit.witness", webhook="http://127.0.0.1:9/gone")
    result = interlock("audit", "verify", "--home", str(home))
    assert result.code == 1
    assert "webhook:http://127.0.0.1:9/gone: cannot read back" in result.out


def test_init_refuses_an_unreachable_webhook(tmp_path: Path) -> None:
    result = interlock(
        "init", "--home", str(tmp_path / "h"), "--witness-url", "http://127.0.0.1:9/x"
    )
    assert result.code == 1
    assert "cannot" in result.err and "Traceback" not in result.err


def test_receiver_errors_and_bad_read_backs_are_witness_errors(receiver: Receiver) -> None:
    with pytest.raises(WitnessError, match="not an http"):
        WebhookWitness("ftp://example.com/x")
    witness = WebhookWitness(receiver.url.replace("/witness", "/missing"), timeout=5)
    receiver.entries.append({"kind": "nonsense"})
    view = witness.read()
    assert view is not None and view.entries == [] and "unknown kind" in view.damaged[0]
    assert witness.name.endswith("/missing") and "token" not in witness.name
