"""`interlock baseline`, `check`/`policy explain` showing the risk, `approvals approve
--learn`: the real command, run as a process."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from interlock.approvals import ApprovalStore
from interlock.classify import classify
from interlock.config import BreakerSettings
from interlock.enforce import ActionRequest, EnforcementPoint
from interlock.gate import Gate
from interlock.model import Decision, Outcome, Resource, Verb
from tests.baseline.conftest import Setup

INTERLOCK = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "interlock"
STAGING = Resource("staging-db", "staging", "postgres")


def run(setup: Setup, *args: str, token: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "INTERLOCK_AGENT_TOKEN"}
    env["INTERLOCK_HOME"] = str(setup.home.root)
    env["COLUMNS"] = "200"
    if token:
        env["INTERLOCK_AGENT_TOKEN"] = token
    return subprocess.run(
        [str(INTERLOCK), *args], env=env, capture_output=True, text=True, check=False
    )


def _history(setup: Setup) -> None:
    tracker = setup.tracker()
    gate = Gate(baseline=tracker)
    for index in range(24):
        setup.clock[0] += 20
        actions = classify("sql", f"UPDATE orders SET n = {index} WHERE id = {index}")
        tracker.observe(setup.agent, STAGING, gate.decide(setup.agent, STAGING, actions))


def test_show_check_explain_learn_and_incident(setup: Setup) -> None:
    with setup.home.config_path.open("a") as config:
        config.write("\n[approvals]\nlocal_operator = true\n")
    _history(setup)
    shown = json.loads(run(setup, "baseline", "show", "runner", "--json").stdout)
    assert shown["actions"] == 24 and not shown["learning"]
    assert shown["seen"]["environments"] == {"staging": 24}
    assert shown["suspended_by_breaker"] is None
    text = run(setup, "baseline", "show", "runner").stdout
    assert "environments staging ×24" in text

    update = "UPDATE orders SET n = 1 WHERE id = 7"
    checked = run(setup, "check", "sql", update, "--agent", "runner", "--json")
    answer = json.loads(checked.stdout)
    # The contract's fields stay; the risk and its reasons come as an extra field.
    assert {"decision", "risk", "actions", "reasons", "policies", "safeguards"} <= set(answer)
    assert answer["decision"] == "hold" and answer["risk"] == "write"
    assert "first use of the production environment" in answer["baseline"]["reasons"]
    assert "hold-unusual-production-change" in answer["policies"]
    explained = run(setup, "policy", "explain", "sql", update, "--agent", "runner").stdout
    assert "behavioural risk" in explained and '"risk": {"level": "high"' in explained

    refused = run(setup, "baseline", "learn", "runner", "--env", "production", token=setup.token)
    assert refused.returncode == 1 and "agent credentials are refused" in refused.stderr
    learned = run(
        setup, "baseline", "learn", "runner", "--env", "production", "--resource", "orders-prod"
    )
    assert learned.returncode == 0, learned.stderr
    again = json.loads(run(setup, "check", "sql", update, "--agent", "runner", "--json").stdout)
    assert "first use of the production environment" not in again.get("baseline", {}).get(
        "reasons", []
    )

    marked = run(setup, "baseline", "incident", "runner", "-m", "went for the prod token")
    assert marked.returncode == 0, marked.stderr
    kinds = {
        (r.type, r.body.get("event") or r.body.get("incident"))
        for r in setup.home.audit_log().records()
    }
    assert ("baseline", "learned") in kinds and ("incident", "marked_by_human") in kinds


def test_approve_with_learn_teaches_the_profile(setup: Setup) -> None:
    with setup.home.config_path.open("a") as config:
        config.write("\n[approvals]\nlocal_operator = true\n")
    _history(setup)
    tracker = setup.tracker()
    audit = setup.home.audit_log()
    point = EnforcementPoint(
        gate=Gate(setup.home.load_policies(), tracker),
        audit=audit,
        approvals=ApprovalStore.for_home(setup.home),
        hmac_key=setup.home.hmac_key.read_bytes(),
    )
    prod = Resource("billing-db", "production", "postgres")
    request = ActionRequest(
        "test", setup.agent, prod, "sql", "UPDATE invoices SET n = 1 WHERE id = 3"
    )
    held = point.decide(request)
    assert held.outcome.value == "hold" and held.approval is not None
    shown = run(setup, "approvals", "show", held.approval.id).stdout
    assert "unusual" in shown and "first use of the production environment" in shown
    approved = run(setup, "approvals", "approve", held.approval.id, "--learn")
    assert approved.returncode == 0, approved.stderr
    assert "learned for runner" in approved.stdout and "env:production" in approved.stdout
    shown_profile = json.loads(run(setup, "baseline", "show", "runner", "--json").stdout)
    assert "production" in shown_profile["seen"]["environments"]
    assert "billing-db" in shown_profile["seen"]["resources"]
    # After a trip, the queue says why the agent is suspended.
    again = point.decide(ActionRequest("test", setup.agent, prod, "sql", "DROP TABLE invoices"))
    assert again.approval is not None
    tracker.breaker = BreakerSettings(denials=1)
    tracker.observe(setup.agent, prod, Decision(Outcome.DENY, Verb.WRITE))
    view = json.loads(run(setup, "approvals", "show", again.approval.id, "--json").stdout)
    assert view["agent_suspended"] == "circuit breaker: 1 denials within 60 s"
    assert "the agent is suspended" in run(setup, "approvals", "show", again.approval.id).stdout
