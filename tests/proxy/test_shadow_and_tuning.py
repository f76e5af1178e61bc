"""Shadow mode, report, backtest and rules end to end: the real HTTP proxy in front of a
loopback upstream, and the `interlock` command as a process reading what it recorded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from interlock.home import Home
from interlock.proxy.http import ProxyThread, proxy_config_from

from .conftest import Upstream, graphql, setup_home

pytestmark = pytest.mark.integration

DELETE_VOLUME = graphql('mutation { volumeDelete(volumeId: "vol-prod-1") }')
LIST_VOLUMES = graphql("query { volumes { edges { node { id } } } }")


def interlock(home: Home, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("INTERLOCK_HOME", "INTERLOCK_AGENT_TOKEN")
    }
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from interlock.cli import main; main()",
            *args,
            "--home",
            str(home.root),
        ],
        capture_output=True,
        text=True,
        env={**env, "COLUMNS": "200"},
        timeout=120,
        check=False,
    )


def _request(proxy: ProxyThread, token: str, method: str, path: str, body: str = "") -> int:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
    try:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        conn.request(method, path, body=body.encode() if body else None, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _decisions(home: Home) -> list[dict[str, Any]]:
    return [dict(r.body) for r in home.audit_log().records() if r.type == "decision"]


def test_shadow_mode_report_backtest_and_a_rule_through_the_real_proxy(
    tmp_path: Path, upstream: Upstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("INTERLOCK_AGENT_TOKEN", raising=False)
    home, token, _, config = setup_home(tmp_path / "home", upstream.url)
    base = home.config_path.read_text() + "\n[approvals]\nlocal_operator = true\n"
    home.config_path.write_text(base + '\n[enforcement]\nproxy_http = "shadow"\n')

    # 1. Shadow mode: destructive calls pass, recorded as the holds they would have been.
    proxy = ProxyThread(home, proxy_config_from(config)).start()
    try:
        assert _request(proxy, token, "DELETE", "/railway/v2/volumes/vol-1") == 200
        assert _request(proxy, token, "DELETE", "/railway/v2/volumes/vol-2") == 200
        assert _request(proxy, token, "POST", "/railway/graphql/v2", DELETE_VOLUME) == 200
        assert _request(proxy, token, "POST", "/railway/graphql/v2", LIST_VOLUMES) == 200
    finally:
        proxy.stop()
    assert [s.method for s in upstream.seen] == ["DELETE", "DELETE", "POST", "POST"]
    records = _decisions(home)
    assert [r["decision"]["decision"] for r in records] == ["hold", "hold", "hold", "allow"]
    assert all(r["shadow"] is True and r["enforced"] == "allow" for r in records)
    assert not any(r.type == "approval" for r in home.audit_log().records())

    # 2. The report says what would have been held.
    done = interlock(home, "report", "--since", "1h", "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["shadow"] == {"decisions": 4, "would_hold": 3, "would_deny": 0}
    assert summary["top_agents"][0]["agent"] == "ops-bot"
    assert summary["top_agents"][0]["held"] == 3
    text = interlock(home, "report", "--since", "1h")
    assert text.returncode == 0 and "would have held 3" in text.stdout

    # 3. A candidate rules file, backtested: exactly the two REST deletes change.
    candidate = tmp_path / "rules.toml"
    candidate.write_text(
        '[[rule]]\nid = "volumes"\nmatch = "DELETE /v2/volumes/*"\nrisk = "write"\n'
    )
    done = interlock(
        home, "policy", "backtest", "--since", "1h", "--rules", str(candidate), "--json"
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["replayed"] == 4 and result["changed"] == 2
    assert result["moves"] == {"hold->allow": 2}
    for change in result["changes"]:
        assert change["kind"] == "http" and "/v2/volumes/" in change["what"]
        assert change["recorded"] == "hold" and change["shadow"] is True
        assert change["after"]["rules"] == ["volumes"]

    # 4. The rule made real by a human, and the proxy enforcing: it applies in the data path.
    added = interlock(
        home, "rules", "add", "DELETE /v2/volumes/*", "--risk", "write", "--id", "volumes"
    )
    assert added.returncode == 0, added.stderr
    home.config_path.write_text(base)
    upstream.seen.clear()
    proxy = ProxyThread(home, proxy_config_from(config)).start()
    try:
        assert _request(proxy, token, "DELETE", "/railway/v2/volumes/vol-3") == 200
        assert _request(proxy, token, "DELETE", "/railway/v2/volumes/vol-3/x") == 403
        assert _request(proxy, token, "POST", "/railway/graphql/v2", DELETE_VOLUME) == 403
    finally:
        proxy.stop()
    assert [s.path for s in upstream.seen] == ["/v2/volumes/vol-3"]
    last = _decisions(home)[-3]
    assert "shadow" not in last
    assert last["decision"]["actions"][0]["rule"] == "volumes"
    assert last["decision"]["actions"][0]["classified_risk"] == "destructive"
