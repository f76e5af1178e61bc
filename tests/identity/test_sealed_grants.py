"""Agents' grants sealed by an HMAC under the home's key: a grant widened, prolonged or
un-revoked by editing the SQLite file directly grants nothing."""

from __future__ import annotations

import sqlite3

import pytest

from interlock.audit import AuditLog
from interlock.home import Home
from interlock.identity import AgentRegistry, AgentTokenRefused, AgentVerifier
from interlock.state import identity_storage
from tests.identity.conftest import ALICE, FakeClock


def _mint(home: Home, audit: AuditLog, clock: FakeClock) -> tuple[str, str]:
    registry = AgentRegistry(identity_storage(home), audit=audit, clock=clock)
    record, minted = registry.create(
        ALICE, "builder", environments=["staging"], task="fix the deploy", owner="alice"
    )
    return record.id, minted.token


def _edit(home: Home, statement: str) -> None:
    with sqlite3.connect(home.database) as db:
        db.execute(statement)


def test_an_untouched_grant_verifies(home: Home, audit: AuditLog, clock: FakeClock) -> None:
    _, token = _mint(home, audit, clock)
    verified = AgentVerifier(identity_storage(home), audit=audit, clock=clock).verify(token)
    assert verified is not None


@pytest.mark.parametrize(
    "forgery",
    [
        'UPDATE identity_agents SET environments = \'["production", "staging"]\'',
        "UPDATE identity_agents SET max_verb = 'destructive'",
        "UPDATE identity_tokens SET environments = '[\"production\"]'",
        "UPDATE identity_tokens SET expires_at = expires_at + 86400 * 365",
    ],
)
def test_a_grant_edited_in_the_file_grants_nothing(
    home: Home, audit: AuditLog, clock: FakeClock, forgery: str
) -> None:
    _, token = _mint(home, audit, clock)
    _edit(home, forgery)
    with pytest.raises(AgentTokenRefused):
        AgentVerifier(identity_storage(home), audit=audit, clock=clock).verify(token)


def test_a_revocation_undone_in_the_file_stays_revoked(
    home: Home, audit: AuditLog, clock: FakeClock
) -> None:
    agent_id, token = _mint(home, audit, clock)
    AgentRegistry(identity_storage(home), audit=audit, clock=clock).revoke(ALICE, agent_id)
    _edit(home, "UPDATE identity_agents SET status = 'active'")
    _edit(home, "UPDATE identity_tokens SET revoked_at = NULL")
    with pytest.raises(AgentTokenRefused):
        AgentVerifier(identity_storage(home), audit=audit, clock=clock).verify(token)
    assert identity_storage(home).agent(agent_id).status == "revoked"  # type: ignore[union-attr]
