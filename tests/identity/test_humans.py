"""Humans: password + TOTP login with one error for every failure, and the human door."""

from __future__ import annotations

from typing import Any, Literal

import pyotp
import pytest
from argon2 import PasswordHasher

from interlock.audit import AuditLog
from interlock.identity import (
    GENERIC_LOGIN_ERROR,
    AgentRegistry,
    AgentVerifier,
    AuthenticationFailed,
    HumanLogin,
    HumanRegistry,
    HumanRequired,
    require_human,
)
from interlock.model import Agent, Human
from tests.identity.conftest import ALICE, FakeClock, records

PASSWORD = "correct horse battery staple"


@pytest.fixture
def bob(humans: HumanRegistry) -> pyotp.TOTP:
    enrolment = humans.add(ALICE, "bob", role="approver", password=PASSWORD)
    assert PASSWORD not in repr(enrolment) and enrolment.totp_secret not in repr(enrolment)
    return pyotp.TOTP(enrolment.totp_secret)


def _code(totp: pyotp.TOTP, clock: FakeClock, offset: int = 0) -> str:
    return totp.at(clock() + offset)


def test_login_succeeds_once_per_code(
    humans: HumanRegistry, bob: pyotp.TOTP, clock: FakeClock, audit: AuditLog
) -> None:
    assert humans.authenticate("bob", PASSWORD, _code(bob, clock)) == Human("bob", "approver")
    with pytest.raises(AuthenticationFailed):
        humans.authenticate("bob", PASSWORD, _code(bob, clock))  # replayed code
    clock.advance(30)
    assert humans.authenticate("bob", PASSWORD, _code(bob, clock)).name == "bob"
    events = [(b["event"], b.get("reason")) for b in records(audit, "auth")]
    assert events == [
        ("human_login", None),
        ("human_login_refused", "code_reused"),
        ("human_login", None),
    ]


def test_one_step_of_clock_drift_is_accepted(
    humans: HumanRegistry, bob: pyotp.TOTP, clock: FakeClock
) -> None:
    assert humans.authenticate("bob", PASSWORD, _code(bob, clock, -30)).name == "bob"
    with pytest.raises(AuthenticationFailed):
        humans.authenticate("bob", PASSWORD, _code(bob, clock, -90))


@pytest.mark.parametrize(
    ("name", "password", "good_code", "reason"),
    [
        ("nobody", PASSWORD, True, "unknown_user"),
        ("bob", PASSWORD + "!", True, "wrong_password"),
        ("bob", PASSWORD, False, "wrong_code"),
        ("bob", "", True, "wrong_password"),
    ],
)
def test_every_failure_looks_the_same_to_the_caller(
    humans: HumanRegistry,
    bob: pyotp.TOTP,
    clock: FakeClock,
    audit: AuditLog,
    name: str,
    password: str,
    good_code: bool,
    reason: str,
) -> None:
    code = _code(bob, clock) if good_code else "000000"
    if not good_code and code == _code(bob, clock):
        code = "111111"
    with pytest.raises(AuthenticationFailed) as info:
        humans.authenticate(name, password, code)
    assert str(info.value) == GENERIC_LOGIN_ERROR
    assert [b["reason"] for b in records(audit, "auth")] == [reason]
    dump = str([r.to_json() for r in audit.records()])
    assert PASSWORD not in dump


def test_unknown_user_costs_a_password_verification(humans: HumanRegistry) -> None:
    calls: list[str] = []

    class SpyHasher(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
            calls.append(str(hash))
            return super().verify(hash, password)

    humans.hasher = SpyHasher(time_cost=1, memory_cost=8, parallelism=1)
    with pytest.raises(AuthenticationFailed):
        humans.authenticate("nobody", PASSWORD, "123456")
    assert len(calls) == 1 and calls[0].startswith("$argon2id$")


def test_passwords_are_argon2id_hashes(humans: HumanRegistry, bob: pyotp.TOTP) -> None:
    stored = humans.state.human("bob")
    assert stored is not None and stored.password_hash.startswith("$argon2id$")


def test_only_admins_manage_users(humans: HumanRegistry, bob: pyotp.TOTP) -> None:
    with pytest.raises(HumanRequired, match="only an admin"):
        humans.add(Human("bob", "approver"), "eve", role="admin", password=PASSWORD)
    with pytest.raises(HumanRequired):
        humans.add(Agent("sneaky"), "eve", role="admin", password=PASSWORD)  # type: ignore[arg-type]


def test_agent_token_on_the_human_door_is_refused_and_recorded(
    registry: AgentRegistry, verifier: AgentVerifier, humans: HumanRegistry, audit: AuditLog
) -> None:
    _, minted = registry.create(ALICE, "builder", environments=["dev"], task="t", owner="o")
    grant = verifier.verify(minted.token)
    for credential in (minted.token, "  " + minted.token, "ilk_garbage", grant, grant.agent):
        with pytest.raises(HumanRequired, match="agent credentials are refused"):
            require_human(credential, humans=humans, audit=audit, action="approve")
    incidents = records(audit, "incident")
    assert [i["presented"] for i in incidents] == [
        "agent_token",
        "agent_token",
        "agent_token",
        "agent_grant",
        "agent",
    ]
    assert incidents[0]["grant_id"] == minted.token_id
    assert incidents[0]["action"] == "approve"
    assert "grant_id" not in incidents[2]  # a mangled token has no id to record
    assert minted.token.split("_", 3)[3] not in str([r.to_json() for r in audit.records()])


def test_the_human_door_accepts_humans_and_logins(
    humans: HumanRegistry, bob: pyotp.TOTP, clock: FakeClock, audit: AuditLog
) -> None:
    assert humans.require(ALICE, action="approve") is ALICE
    login = HumanLogin("bob", PASSWORD, _code(bob, clock))
    assert PASSWORD not in repr(login)
    assert humans.require(login, action="approve").name == "bob"
    with pytest.raises(HumanRequired):
        humans.require("hunter2", action="approve")  # not an agent token: no incident
    with pytest.raises(AuthenticationFailed):
        humans.require(HumanLogin("bob", "wrong password!", "000000"), action="approve")
    assert records(audit, "incident") == []


def test_agents_cannot_administer_agents(registry: AgentRegistry) -> None:
    _, minted = registry.create(ALICE, "builder", environments=["dev"], task="t", owner="o")
    impostor: Any = Agent("builder")  # what an untyped caller could pass
    for attempt in (
        lambda: registry.create(
            impostor, "wider", environments=["production"], task="t", owner="o"
        ),
        lambda: registry.resume(minted.token, "builder"),  # type: ignore[arg-type]
        lambda: registry.rotate(impostor, "builder"),
    ):
        with pytest.raises(HumanRequired):
            attempt()
