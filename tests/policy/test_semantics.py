"""Policy semantics, one rule at a time, against policy texts a user would write."""

from __future__ import annotations

import pytest

from interlock.gate import Gate
from interlock.model import Action, Agent, Human, Outcome, Resource, Verb
from interlock.policy import load_policies, load_policy_texts

AGENT = Agent("bot")
PROD = Resource("db", "production")
STAGING = Resource("db", "staging")
BACKUP = Resource("vault", "staging", tags=frozenset({"backup"}))

DROP = Action("sql", "sql:DROP TABLE", Verb.DESTRUCTIVE, ("users",), reason="drops users")
SELECT = Action("sql", "sql:SELECT", Verb.READ, ("users",))
INSERT = Action("sql", "sql:INSERT", Verb.WRITE, ("users",))
MYSTERY = Action("shell", "shell:unknown", Verb.UNKNOWN)


def gate_for(text: str) -> Gate:
    return Gate(load_policy_texts([("user.cedar", text)]))


def test_nothing_is_allowed_unless_permitted() -> None:
    gate = gate_for('permit (principal, action == Action::"read", resource);')
    decision = gate.decide(AGENT, PROD, [INSERT])
    assert decision.outcome is Outcome.DENY
    assert decision.policies == ()
    assert any("no policy permits" in r for r in decision.reasons)


def test_forbid_beats_permit() -> None:
    gate = gate_for(
        "permit (principal, action, resource);\n"
        '@id("no-writes")\nforbid (principal, action == Action::"write", resource);'
    )
    assert gate.decide(AGENT, PROD, [SELECT]).outcome is Outcome.ALLOW
    decision = gate.decide(AGENT, PROD, [INSERT])
    assert decision.outcome is Outcome.DENY
    assert decision.policies == ("no-writes",)


def test_approvable_forbid_holds_when_a_permit_exists() -> None:
    gate = gate_for(
        '@id("all")\n@safeguard("snapshot, delay")\npermit (principal, action, resource);\n'
        '@id("ask")\n@approval("required")\n@approvers("2")\n'
        'forbid (principal, action in Action::"dangerous", resource);'
    )
    decision = gate.decide(AGENT, PROD, [DROP])
    assert decision.outcome is Outcome.HOLD
    assert decision.policies == ("ask",)
    assert decision.safeguards == ("snapshot", "delay")
    assert decision.approvers == 2


def test_approvable_forbid_without_a_permit_is_a_denial() -> None:
    # An approval can only lift a forbid; it cannot grant what no permit allows.
    gate = gate_for(
        'permit (principal, action == Action::"read", resource);\n'
        '@approval("required")\nforbid (principal, action == Action::"destructive", resource);'
    )
    assert gate.decide(AGENT, PROD, [DROP]).outcome is Outcome.DENY


def test_hard_forbid_beats_approvable_forbid() -> None:
    gate = gate_for(
        "permit (principal, action, resource);\n"
        '@id("ask")\n@approval("required")\nforbid (principal, action, resource);\n'
        '@id("never")\nforbid (principal, action, resource) '
        'when { resource.tags.contains("backup") };'
    )
    assert gate.decide(AGENT, PROD, [SELECT]).outcome is Outcome.HOLD
    decision = gate.decide(AGENT, BACKUP, [SELECT])
    assert decision.outcome is Outcome.DENY
    assert decision.policies == ("never",)


def test_unknown_is_in_the_dangerous_group() -> None:
    gate = gate_for(
        "permit (principal, action, resource);\n"
        'forbid (principal, action in Action::"dangerous", resource);'
    )
    assert gate.decide(AGENT, PROD, [MYSTERY]).outcome is Outcome.DENY
    assert gate.decide(AGENT, PROD, [INSERT]).outcome is Outcome.ALLOW


def test_policies_see_the_operation_in_context() -> None:
    gate = gate_for(
        "permit (principal, action, resource);\n"
        '@id("no-truncate")\nforbid (principal, action, resource) '
        'when { context.operation == "sql:TRUNCATE" };'
    )
    truncate = Action("sql", "sql:TRUNCATE", Verb.DESTRUCTIVE, ("t",))
    assert gate.decide(AGENT, PROD, [truncate]).policies == ("no-truncate",)
    assert gate.decide(AGENT, PROD, [DROP]).outcome is Outcome.ALLOW


def test_most_restrictive_action_decides_the_input() -> None:
    gate = Gate(load_policies())
    assert gate.decide(AGENT, PROD, [SELECT, INSERT]).outcome is Outcome.ALLOW
    mixed = gate.decide(AGENT, PROD, [SELECT, DROP, INSERT])
    assert mixed.outcome is Outcome.HOLD
    assert mixed.risk is Verb.DESTRUCTIVE
    assert [d.outcome for d in mixed.actions] == [Outcome.ALLOW, Outcome.HOLD, Outcome.ALLOW]
    worst = gate.decide(AGENT, BACKUP, [SELECT])
    assert worst.outcome is Outcome.DENY


class TestDefaultPack:
    gate = Gate(load_policies())

    @pytest.mark.parametrize("action", [SELECT, INSERT])
    @pytest.mark.parametrize("resource", [PROD, STAGING])
    def test_reads_and_writes_pass_everywhere(self, action: Action, resource: Resource) -> None:
        assert self.gate.decide(AGENT, resource, [action]).outcome is Outcome.ALLOW

    @pytest.mark.parametrize("action", [DROP, MYSTERY])
    def test_destructive_and_unknown_on_production_are_held(self, action: Action) -> None:
        decision = self.gate.decide(AGENT, PROD, [action])
        assert decision.outcome is Outcome.HOLD
        assert decision.policies == ("hold-destructive-production",)
        assert "snapshot" in decision.safeguards

    def test_destructive_outside_production_is_allowed_with_a_snapshot(self) -> None:
        decision = self.gate.decide(AGENT, STAGING, [DROP])
        assert decision.outcome is Outcome.ALLOW
        assert decision.safeguards == ("snapshot",)

    @pytest.mark.parametrize("action", [SELECT, INSERT, DROP, MYSTERY])
    def test_backups_are_untouchable(self, action: Action) -> None:
        decision = self.gate.decide(AGENT, BACKUP, [action])
        assert decision.outcome is Outcome.DENY
        assert "protect-backups" in decision.policies

    def test_humans_are_not_agents(self) -> None:
        # The default pack grants agents; a human acting through a gate is not an agent.
        assert self.gate.decide(Human("alice"), STAGING, [SELECT]).outcome is Outcome.DENY


def test_grant_fences_the_agent_before_any_policy() -> None:
    gate = Gate(load_policies())
    staging_only = Agent("fixer", environments=frozenset({"staging"}))
    decision = gate.decide(staging_only, PROD, [SELECT])
    assert decision.outcome is Outcome.DENY
    assert decision.policies == ("grant",)
    assert "not granted the production environment" in decision.reasons[-1]
    assert gate.decide(staging_only, STAGING, [DROP]).outcome is Outcome.ALLOW


def test_grant_caps_the_verb_class_and_unknown_counts_as_destructive() -> None:
    gate = Gate(load_policies())
    writer = Agent("writer", max_verb=Verb.WRITE)
    assert gate.decide(writer, STAGING, [INSERT]).outcome is Outcome.ALLOW
    assert gate.decide(writer, STAGING, [DROP]).outcome is Outcome.DENY
    assert gate.decide(writer, STAGING, [MYSTERY]).outcome is Outcome.DENY


def test_no_actions_is_not_harmless() -> None:
    decision = Gate(load_policies()).decide(AGENT, PROD, [])
    assert decision.outcome is not Outcome.ALLOW
    assert decision.risk is Verb.UNKNOWN


def test_memoised_answers_match_fresh_ones() -> None:
    gate = Gate(load_policies())
    first = gate.decide(AGENT, PROD, [DROP, SELECT])
    again = gate.decide(AGENT, PROD, [DROP, SELECT])
    fresh = Gate(load_policies()).decide(AGENT, PROD, [DROP, SELECT])
    assert first == again == fresh
    # A different resource must not hit the memo of another.
    assert gate.decide(AGENT, STAGING, [DROP, SELECT]).outcome is Outcome.ALLOW


def test_grant_fences_resources_by_name() -> None:
    gate = Gate(load_policies())
    scoped = Agent("reporter", resources=frozenset({"analytics"}))
    assert gate.decide(scoped, Resource("analytics", "production"), [SELECT]).allowed
    decision = gate.decide(scoped, PROD, [SELECT])
    assert decision.outcome is Outcome.DENY
    assert decision.policies == ("grant",)
    assert "not granted the resource 'db'" in decision.reasons[-1]


def test_a_policy_that_fails_to_evaluate_refuses() -> None:
    # Cedar skips a policy whose evaluation errors; a skipped forbid must not let an action
    # through, so any evaluation error is a denial.
    gate = gate_for(
        "permit (principal, action, resource);\n"
        '@id("overflow")\nforbid (principal, action, resource) '
        "when { context.blast_radius + 9223372036854775807 > 0 };"
    )
    big = Action("sql", "sql:DELETE", Verb.WRITE, ("t",), blast_radius=10)
    decision = gate.decide(AGENT, PROD, [big])
    assert decision.outcome is Outcome.DENY
    assert any("failed to evaluate" in r for r in decision.reasons)
    # blast_radius -1 (unknown) does not overflow: there the forbid simply applies.
    assert gate.decide(AGENT, PROD, [INSERT]).policies == ("overflow",)


GRANT = Action("sql", "sql:GRANT", Verb.PRIVILEGE, ("orders",), reason="grants")


@pytest.mark.parametrize(
    "resource", [PROD, STAGING, Resource("db", "dev")], ids=lambda r: r.environment
)
def test_default_pack_holds_privilege_actions_in_every_environment(resource: Resource) -> None:
    decision = Gate(load_policies()).decide(AGENT, resource, [GRANT])
    assert decision.outcome is Outcome.HOLD
    assert decision.policies == ("hold-privilege",)
    # No safeguard can undo a credential once it exists: the approval is the only check.
    assert decision.safeguards == ()


def test_a_destructive_grant_does_not_include_privilege() -> None:
    gate = Gate(load_policies())
    destroyer = Agent("destroyer", max_verb=Verb.DESTRUCTIVE)
    assert gate.decide(destroyer, STAGING, [DROP]).outcome is Outcome.ALLOW
    decision = gate.decide(destroyer, STAGING, [GRANT])
    assert decision.outcome is Outcome.DENY
    assert decision.policies == ("grant",)
    assert "not granted privilege actions" in decision.reasons[-1]


def test_an_explicit_privilege_grant_includes_everything_below_it() -> None:
    gate = Gate(load_policies())
    admin = Agent("admin", max_verb=Verb.PRIVILEGE)
    assert gate.decide(admin, STAGING, [DROP]).outcome is Outcome.ALLOW
    assert gate.decide(admin, STAGING, [MYSTERY]).outcome is Outcome.ALLOW
    # ... and privilege itself reaches the policy, which holds it for a human.
    assert gate.decide(admin, STAGING, [GRANT]).outcome is Outcome.HOLD


def test_privilege_is_not_a_write_for_policies_about_writes() -> None:
    # A policy that permits writes (and only writes) does not permit a privilege action.
    gate = gate_for('permit (principal, action == Action::"write", resource);')
    decision = gate.decide(AGENT, STAGING, [GRANT])
    assert decision.outcome is Outcome.DENY
    # The "change" group does include it, for policies that mean every non-read.
    gate = gate_for(
        "permit (principal, action, resource);\n"
        '@id("no-change")\nforbid (principal, action in Action::"change", resource);'
    )
    assert gate.decide(AGENT, STAGING, [GRANT]).policies == ("no-change",)


def test_privilege_ranks_between_write_and_destructive_for_most_severe() -> None:
    order = sorted(Verb, key=lambda v: v.severity)
    assert order == [Verb.READ, Verb.WRITE, Verb.PRIVILEGE, Verb.UNKNOWN, Verb.DESTRUCTIVE]
    decision = Gate(load_policies()).decide(AGENT, PROD, [INSERT, GRANT])
    assert decision.risk is Verb.PRIVILEGE
    assert decision.outcome is Outcome.HOLD
    assert Gate(load_policies()).decide(AGENT, PROD, [GRANT, DROP]).risk is Verb.DESTRUCTIVE
    assert not Verb.PRIVILEGE.is_dangerous
