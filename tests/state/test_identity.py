"""IdentityStorage: agents and tokens, the revocation epoch, users, resources."""

from __future__ import annotations

import pytest

from interlock.state import (
    AlreadyStored,
    IdentityStorage,
    StoredAgent,
    StoredHuman,
    StoredResource,
    StoredToken,
)


def _agent(id_: str, name: str, *, parent: str | None = None, at: float = 1.0) -> StoredAgent:
    return StoredAgent(
        id_,
        name,
        parent,
        "alice",
        "migrate",
        frozenset({"staging"}),
        frozenset({"orders-db"}),
        "write",
        "active",
        at,
        "alice",
        at,
    )


def _token(id_: str, agent_id: str, *, parent: str | None = None, at: float = 1.0) -> StoredToken:
    return StoredToken(
        id_,
        agent_id,
        parent,
        bytes(32),
        frozenset({"staging"}),
        None,
        "read",
        at,
        at + 3600,
        None,
    )


def test_an_agent_and_its_token_come_back_as_they_went_in(identity: IdentityStorage) -> None:
    agent, token = _agent("a1", "builder"), _token("t1", "a1")
    identity.add_agent(agent, token)
    assert identity.agent("a1") == agent and identity.agent("builder") == agent
    assert identity.tokens("a1") == [token]
    assert identity.token("t1") == (token, agent)
    assert identity.token("t2") is None and identity.agent("nobody") is None


def test_a_live_name_is_unique_until_revoked(identity: IdentityStorage) -> None:
    identity.add_agent(_agent("a1", "builder"), _token("t1", "a1"))
    with pytest.raises(AlreadyStored):
        identity.add_agent(_agent("a2", "builder"), _token("t2", "a2"))
    assert identity.token("t2") is None  # nothing of the refused agent was kept
    identity.revoke_agent("a1", 5.0)
    identity.add_agent(_agent("a3", "builder", at=6.0), _token("t3", "a3"))
    live = identity.agent("builder")
    assert live is not None and live.id == "a3"
    assert [a.id for a in identity.agents()] == ["a3"]
    assert [a.id for a in identity.agents(include_revoked=True)] == ["a1", "a3"]


def test_revoking_takes_the_tree_and_bumps_the_epoch(identity: IdentityStorage) -> None:
    identity.add_agent(_agent("a1", "root"), _token("t1", "a1"))
    identity.add_agent(_agent("a2", "root/child", parent="a1"), _token("t2", "a2", parent="t1"))
    identity.add_agent(_agent("a3", "root/child/leaf", parent="a2"), _token("t3", "a3"))
    identity.add_agent(_agent("a4", "other"), _token("t4", "a4"))
    epoch = identity.revocation_epoch()
    revoked = identity.revoke_agent("a1", 9.0)
    assert revoked[0] == "a1" and sorted(revoked) == ["a1", "a2", "a3"]
    assert identity.revocation_epoch() == epoch + 1
    for token_id in ("t1", "t2", "t3"):
        found = identity.token(token_id)
        assert found is not None and found[0].revoked_at == 9.0 and found[1].status == "revoked"
    untouched = identity.token("t4")
    assert untouched is not None and untouched[0].revoked_at is None


def test_suspend_and_rotate_bump_the_epoch(identity: IdentityStorage) -> None:
    identity.add_agent(_agent("a1", "builder"), _token("t1", "a1"))
    epoch = identity.revocation_epoch()
    identity.set_agent_status("a1", "suspended", 2.0)
    suspended = identity.agent("a1")
    assert suspended is not None and (suspended.status, suspended.changed_at) == ("suspended", 2.0)
    identity.replace_tokens("a1", _token("t2", "a1", at=3.0), 3.0)
    assert [(t.id, t.revoked_at) for t in identity.tokens("a1")] == [("t1", 3.0), ("t2", None)]
    assert identity.revocation_epoch() == epoch + 2


def test_users_and_their_totp_steps(identity: IdentityStorage) -> None:
    bob = StoredHuman("bob", "approver", "$argon2id$x", b"\x00sealed", 0, 1.0, "alice")
    identity.add_human(bob)
    with pytest.raises(AlreadyStored):
        identity.add_human(bob)
    assert identity.human("bob") == bob and identity.humans() == [bob]
    assert identity.claim_totp_step("bob", 5) is True
    assert identity.claim_totp_step("bob", 5) is False  # a replayed code
    assert identity.claim_totp_step("bob", 4) is False
    assert identity.claim_totp_step("nobody", 9) is False
    identity.set_password_hash("bob", "$argon2id$y")
    stored = identity.human("bob")
    assert stored is not None and (stored.password_hash, stored.totp_last_step) == (
        "$argon2id$y",
        5,
    )
    assert identity.remove_human("bob") is True and identity.remove_human("bob") is False


def test_resources_with_and_without_a_credential(identity: IdentityStorage) -> None:
    sealed = StoredResource(
        "orders-db",
        "postgres",
        "production",
        frozenset({"pii"}),
        "dba",
        "postgresql://db:5432/o",
        b"\x01sealed",
        2.0,
        2.0,
        "alice",
    )
    bare = StoredResource(
        "api", "http", "staging", frozenset(), "", "https://api", None, None, 1.0, "alice"
    )
    identity.add_resource(sealed)
    identity.add_resource(bare)
    with pytest.raises(AlreadyStored):
        identity.add_resource(bare)
    assert identity.resources() == [bare, sealed]
    assert identity.resource("orders-db") == sealed and identity.resource("nope") is None
    assert identity.remove_resource("api") is True and identity.remove_resource("api") is False
