"""Child tokens are strictly narrower than their parent: every widening is refused."""

from __future__ import annotations

import pytest

from interlock.audit import AuditLog
from interlock.identity import (
    AgentRegistry,
    AgentTokenRefused,
    AgentVerifier,
    RefusalReason,
    WideningRefused,
)
from interlock.model import Verb
from tests.identity.conftest import ALICE, FakeClock, records, refusal_reasons

HOUR = 3600


@pytest.fixture
def parent(registry: AgentRegistry) -> str:
    _, minted = registry.create(
        ALICE,
        "lead",
        environments=["staging", "dev"],
        task="migrate staging",
        owner="alice@example.com",
        resources=["orders-db", "cache"],
        max_verb=Verb.WRITE,
        ttl=2 * HOUR,
    )
    return minted.token


def test_narrower_child_is_minted_and_verifies(
    registry: AgentRegistry, verifier: AgentVerifier, parent: str, audit: AuditLog
) -> None:
    record, minted = registry.mint_child(
        parent,
        "reader",
        environments=["staging"],
        resources=["cache"],
        max_verb=Verb.READ,
        ttl=HOUR,
        task="read the cache",
    )
    grant = verifier.verify(minted.token)
    assert grant.agent.name == "lead/reader"
    assert grant.agent.environments == frozenset({"staging"})
    assert grant.resources == frozenset({"cache"})
    assert grant.agent.max_verb is Verb.READ
    assert grant.agent.owner == "alice@example.com"
    assert grant.parent_id == registry.get("lead").id
    assert grant.expires_at == registry.clock() + HOUR
    assert record.created_by == f"agent:{registry.get('lead').id}"
    minted_event = [b for b in records(audit, "identity") if b["event"] == "child_minted"]
    assert minted_event and minted_event[0]["parent_grant_id"] == parent.split("_")[2]


def test_omitted_dimensions_inherit_and_life_is_bounded_by_parent(
    registry: AgentRegistry, verifier: AgentVerifier, parent: str
) -> None:
    _, minted = registry.mint_child(parent, "helper")
    grant = verifier.verify(minted.token)
    assert grant.agent.environments == frozenset({"staging", "dev"})
    assert grant.resources == frozenset({"orders-db", "cache"})
    assert grant.agent.max_verb is Verb.WRITE
    # The 8h default does not outlive a parent with 2h left.
    assert grant.expires_at == registry.clock() + 2 * HOUR


@pytest.mark.parametrize(
    ("request_", "words"),
    [
        ({"environments": ["staging", "production"]}, "environment(s) production"),
        ({"environments": ["production"]}, "environment(s) production"),
        ({"resources": ["orders-db", "billing-db"]}, "resource(s) billing-db"),
        ({"max_verb": Verb.DESTRUCTIVE}, "risk destructive above the parent's write"),
        ({"ttl": 3 * HOUR}, "cannot outlive its parent"),
        ({"ttl": 2 * HOUR + 1}, "cannot outlive its parent"),
    ],
    ids=[
        "extra-env",
        "other-env",
        "extra-resource",
        "higher-risk",
        "longer-life",
        "one-second-longer",
    ],
)
def test_every_widening_is_refused(
    registry: AgentRegistry, parent: str, request_: dict[str, object], words: str
) -> None:
    with pytest.raises(WideningRefused, match=words.replace("(", r"\(").replace(")", r"\)")):
        registry.mint_child(parent, "wider", **request_)  # type: ignore[arg-type]
    assert [a.name for a in registry.agents()] == ["lead"]


@pytest.mark.parametrize("asked", [None, []], ids=["omitted", "empty-list"])
def test_an_empty_resource_list_never_means_every_resource(
    registry: AgentRegistry, verifier: AgentVerifier, asked: list[str] | None
) -> None:
    # Regression: an empty list reached make_scope, which reads "no names" as "every
    # resource", so a parent limited to `cache` minted a child for any resource. Empty now
    # inherits the parent's resources.
    _, minted = registry.create(
        ALICE, "scoped", environments=["dev"], task="t", owner="o", resources=["cache"]
    )
    _, child = registry.mint_child(minted.token, "ok", resources=asked)
    assert registry.get("scoped/ok").scope.resources == frozenset({"cache"})
    assert verifier.verify(child.token).resources == frozenset({"cache"})


def test_several_widenings_are_all_named(registry: AgentRegistry, parent: str) -> None:
    with pytest.raises(WideningRefused) as info:
        registry.mint_child(
            parent,
            "wider",
            environments=["production"],
            resources=["x"],
            max_verb=Verb.DESTRUCTIVE,
        )
    message = str(info.value)
    assert "production" in message and "x" in message and "destructive" in message


def test_grandchild_is_bounded_by_the_child_not_the_root(
    registry: AgentRegistry, verifier: AgentVerifier, parent: str
) -> None:
    _, child = registry.mint_child(
        parent,
        "child",
        environments=["staging"],
        resources=["cache"],
        max_verb=Verb.READ,
        ttl=HOUR,
    )
    for widening in (
        {"environments": ["dev"]},  # the root has dev, the child does not
        {"resources": ["orders-db"]},
        {"max_verb": Verb.WRITE},
        {"ttl": HOUR + 60},
    ):
        with pytest.raises(WideningRefused):
            registry.mint_child(child.token, "grandchild", **widening)
    _, grandchild = registry.mint_child(child.token, "grandchild", ttl=HOUR // 2)
    grant = verifier.verify(grandchild.token)
    assert grant.agent.name == "lead/child/grandchild"
    assert grant.agent.environments == frozenset({"staging"})
    assert grant.resources == frozenset({"cache"})
    assert grant.agent.max_verb is Verb.READ


def test_child_of_a_revoked_parent_is_refused(
    registry: AgentRegistry, parent: str, audit: AuditLog
) -> None:
    registry.revoke(ALICE, "lead")
    with pytest.raises(AgentTokenRefused) as info:
        registry.mint_child(parent, "late")
    assert info.value.reason is RefusalReason.AGENT_REVOKED
    assert refusal_reasons(audit) == ["agent_revoked"]


def test_child_of_an_expired_parent_is_refused(
    registry: AgentRegistry, parent: str, clock: FakeClock
) -> None:
    clock.advance(2 * HOUR)
    with pytest.raises(AgentTokenRefused) as info:
        registry.mint_child(parent, "late")
    assert info.value.reason is RefusalReason.EXPIRED


def test_parent_expiring_too_soon_mints_nothing(
    registry: AgentRegistry, parent: str, clock: FakeClock
) -> None:
    clock.advance(2 * HOUR - 0.5)
    with pytest.raises(WideningRefused, match="expires too soon"):
        registry.mint_child(parent, "late")


def test_revoking_suspending_or_rotating_the_parent_refuses_the_child(
    registry: AgentRegistry, verifier: AgentVerifier, parent: str, audit: AuditLog
) -> None:
    _, child = registry.mint_child(parent, "child")
    _, grandchild = registry.mint_child(child.token, "grandchild")
    verifier.verify(grandchild.token)
    registry.suspend(ALICE, "lead")
    for token in (child.token, grandchild.token):
        with pytest.raises(AgentTokenRefused) as info:
            verifier.verify(token)
        assert info.value.reason is RefusalReason.PARENT_SUSPENDED
    registry.resume(ALICE, "lead")
    verifier.verify(grandchild.token)
    registry.rotate(ALICE, "lead")  # the old token goes, and what it minted with it
    for token in (child.token, grandchild.token):
        with pytest.raises(AgentTokenRefused) as info:
            verifier.verify(token)
        assert info.value.reason is RefusalReason.PARENT_REVOKED
    assert refusal_reasons(audit)[-2:] == ["parent_revoked", "parent_revoked"]


def test_revoking_an_agent_revokes_its_sub_agents(
    registry: AgentRegistry, verifier: AgentVerifier, parent: str
) -> None:
    _, child = registry.mint_child(parent, "child")
    registry.revoke(ALICE, "lead")
    assert registry.get("lead/child").status == "revoked"
    with pytest.raises(AgentTokenRefused) as info:
        verifier.verify(child.token)
    assert info.value.reason is RefusalReason.AGENT_REVOKED


def test_sub_agents_are_not_rotated_by_humans(registry: AgentRegistry, parent: str) -> None:
    from interlock.identity import IdentityError

    registry.mint_child(parent, "child")
    with pytest.raises(IdentityError, match="sub-agent"):
        registry.rotate(ALICE, "lead/child")


def test_a_forged_child_name_is_refused(registry: AgentRegistry, parent: str) -> None:
    from interlock.errors import InputError

    with pytest.raises(InputError):
        registry.mint_child(parent, "../admin")


def test_a_destructive_parent_cannot_mint_a_privilege_child(
    registry: AgentRegistry, verifier: AgentVerifier
) -> None:
    # `privilege` sits above `destructive` on the grant's ladder: a destructive grant does
    # not include it, so a child asking for it widens its parent.
    _, destroyer = registry.create(
        ALICE,
        "destroyer",
        environments=["staging"],
        task="t",
        owner="o",
        max_verb=Verb.DESTRUCTIVE,
    )
    with pytest.raises(WideningRefused, match="risk privilege above the parent's destructive"):
        registry.mint_child(destroyer.token, "minter", max_verb=Verb.PRIVILEGE)
    _, admin = registry.create(
        ALICE, "admin", environments=["staging"], task="t", owner="o", max_verb=Verb.PRIVILEGE
    )
    _, child = registry.mint_child(admin.token, "cleaner", max_verb=Verb.DESTRUCTIVE)
    assert verifier.verify(child.token).agent.max_verb is Verb.DESTRUCTIVE
