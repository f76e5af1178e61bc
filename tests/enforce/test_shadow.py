"""Shadow mode in the one pipeline: everything decided and recorded, nothing enforced but
Interlock's protection of itself; and the record it leaves is what report and backtest read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from interlock.approvals import ApprovalStore
from interlock.enforce import ActionRequest, EnforcementPoint
from interlock.gate import Gate
from interlock.home import Home
from interlock.model import SELF_PROTECTION_RULE, Outcome
from interlock.policy import RuleSet, make_rule, with_rules
from interlock.tuning import Report, backtest, read_decisions

from .conftest import AGENT, ALICE, PROD, sql


@pytest.fixture
def shadow(home: Home) -> EnforcementPoint:
    audit = home.audit_log()
    return EnforcementPoint(
        gate=Gate(home.load_policies()),
        audit=audit,
        approvals=ApprovalStore(home.database, audit=audit),
        hmac_key=home.hmac_key.read_bytes(),
        shadow=True,
    )


def _shell(command: str) -> ActionRequest:
    return ActionRequest("hook:test", AGENT, PROD, "shell", command)


def _decisions(home: Home) -> list[dict[str, object]]:
    return [dict(r.body) for r in home.audit_log().records() if r.type == "decision"]


def test_a_hold_is_recorded_as_it_would_have_been_and_allowed(
    shadow: EnforcementPoint, home: Home
) -> None:
    verdict = shadow.decide(sql("DROP TABLE orders"))
    assert verdict.outcome is Outcome.ALLOW and verdict.shadow
    assert verdict.decision.outcome is Outcome.HOLD
    assert "shadow mode" in verdict.message and "would have held" in verdict.message
    assert verdict.approval is None  # no request for humans to read
    (record,) = _decisions(home)
    assert record["shadow"] is True and record["enforced"] == "allow"
    assert record["decision"]["decision"] == "hold"  # type: ignore[index]
    assert list(ApprovalStore.for_home(home).requests()) == []


def test_every_record_of_a_shadow_point_says_so(shadow: EnforcementPoint, home: Home) -> None:
    shadow.decide(sql("SELECT 1"))
    (record,) = _decisions(home)
    assert record["shadow"] is True and record["enforced"] == "allow"


def test_an_attempt_on_interlock_is_refused_in_shadow_mode_too(
    shadow: EnforcementPoint, home: Home
) -> None:
    verdict = shadow.decide(_shell(f"rm -rf {home.root}/policies"))
    assert verdict.outcome is Outcome.DENY and not verdict.shadow
    assert SELF_PROTECTION_RULE in verdict.decision.policies
    (record,) = _decisions(home)
    assert record["shadow"] is True and record["enforced"] == "deny"


def test_report_and_backtest_read_what_shadow_mode_recorded(
    shadow: EnforcementPoint, home: Home
) -> None:
    for command in ("rm -rf node_modules", "rm -rf node_modules", "ls", "rm -rf data"):
        shadow.decide(_shell(command))
    since = datetime.now(UTC) - timedelta(hours=1)
    decisions = read_decisions(home.audit_log().records(), since)
    summary = Report(since, datetime.now(UTC), tuple(decisions)).to_json()
    assert summary["decisions"] == 4
    assert summary["shadow"] == {"decisions": 4, "would_hold": 3, "would_deny": 0}
    assert summary["enforced"] == {"allow": 4}
    (reason,) = summary["top_reasons"]
    assert reason["reason"].startswith("hold-destructive-production:") and reason["count"] == 3
    assert summary["top_actions"][0] == {
        "kind": "shell",
        "what": "rm -rf node_modules",
        "decision": "hold",
        "count": 2,
    }

    current = home.load_policies()
    rules = RuleSet((make_rule("nm", "rm -rf node_modules", "shell", "write"),))
    result = backtest(decisions, current, with_rules(current, rules))
    assert result.replayed == 4
    moved = [(c.record.what(), c.before.outcome, c.after.outcome) for c in result.changes]
    assert moved == [("rm -rf node_modules", Outcome.HOLD, Outcome.ALLOW)] * 2
    assert result.to_json()["moves"] == {"hold->allow": 2}
    # And back: the rule in force, the candidate without it.
    undone = backtest(decisions, with_rules(current, rules), current)
    assert [c.after.outcome for c in undone.changes] == [Outcome.HOLD, Outcome.HOLD]


def test_decisions_older_than_since_are_left_out(shadow: EnforcementPoint, home: Home) -> None:
    shadow.decide(sql("DROP TABLE orders"))
    future = datetime.now(UTC) + timedelta(minutes=1)
    assert read_decisions(home.audit_log().records(), future) == []


def test_holds_humans_keep_approving_are_false_alarm_candidates(
    point: EnforcementPoint, home: Home
) -> None:
    store = point.approvals
    assert store is not None
    for _ in range(3):  # held, approved by a human, sent again: runs once
        held = point.decide(_shell("rm -rf node_modules"))
        assert held.outcome is Outcome.HOLD and held.approval is not None
        store.approve(held.approval.id, ALICE)
        assert point.decide(_shell("rm -rf node_modules")).outcome is Outcome.ALLOW
    refused = point.decide(_shell("rm -rf data"))
    assert refused.approval is not None
    store.approve(refused.approval.id, ALICE)
    point.decide(_shell("rm -rf data"))
    again = point.decide(_shell("rm -rf data"))
    assert again.approval is not None
    store.deny(again.approval.id, ALICE)
    point.poll(again, final=True)  # the refusal is recorded as the outcome

    since = datetime.now(UTC) - timedelta(hours=1)
    decisions = read_decisions(home.audit_log().records(), since)
    summary = Report(since, datetime.now(UTC), tuple(decisions)).to_json()
    assert summary["approvals"] == {"approved": 4, "refused": 1}
    (candidate,) = summary["false_alarm_candidates"]  # `rm -rf data` was refused once
    assert candidate["what"] == "rm -rf node_modules" and candidate["approved"] == 3
    assert candidate["suggestion"] == "interlock rules add 'rm -rf node_modules' --risk write"
