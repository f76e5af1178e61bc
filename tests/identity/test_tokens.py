"""Agent tokens: format, verification, every refusal reason, and what the audit log holds."""

from __future__ import annotations

import base64
import json

import pytest

from interlock.audit import AuditLog
from interlock.home import Home
from interlock.identity import (
    GENERIC_TOKEN_ERROR,
    AgentRegistry,
    AgentTokenRefused,
    AgentVerifier,
    RefusalReason,
    parse_duration,
)
from interlock.model import Verb
from tests.identity.conftest import ALICE, FakeClock, records, refusal_reasons


def _create(registry: AgentRegistry, name: str = "builder", **kw: object) -> str:
    kw.setdefault("environments", ["staging"])
    kw.setdefault("task", "fix the staging deploy")
    kw.setdefault("owner", "alice@example.com")
    _, minted = registry.create(ALICE, name, **kw)  # type: ignore[arg-type]
    return minted.token


def _refused(verifier: AgentVerifier, token: object) -> RefusalReason:
    with pytest.raises(AgentTokenRefused) as info:
        verifier.verify(token)  # type: ignore[arg-type]
    assert str(info.value) == GENERIC_TOKEN_ERROR
    return info.value.reason


def test_token_shape_and_grant(registry: AgentRegistry, verifier: AgentVerifier) -> None:
    record, minted = registry.create(
        ALICE,
        "builder",
        environments=["staging", "dev"],
        task="fix the staging deploy",
        owner="alice@example.com",
        resources=["orders-db"],
        max_verb=Verb.WRITE,
    )
    prefix, agent_id, token_id, secret = minted.token.split("_", 3)
    assert prefix == "ilk" and agent_id == record.id and token_id == minted.token_id
    assert len(base64.urlsafe_b64decode(secret + "=")) == 32
    grant = verifier.verify(minted.token)
    assert grant.agent.name == "builder"
    assert grant.agent.id == record.id
    assert grant.agent.environments == frozenset({"staging", "dev"})
    assert grant.agent.max_verb is Verb.WRITE
    assert grant.agent.owner == "alice@example.com"
    assert grant.agent.task == "fix the staging deploy"
    assert grant.resources == frozenset({"orders-db"})
    assert grant.token_id == token_id
    assert grant.expires_at == minted.expires_at == pytest.approx(registry.clock() + 8 * 3600)
    assert minted.token not in repr(minted)


def test_only_a_digest_is_stored(registry: AgentRegistry) -> None:
    token = _create(registry)
    secret = token.split("_", 3)[3]
    raw = registry.state.path.read_bytes()
    wal = registry.state.path.with_name(registry.state.path.name + "-wal")
    if wal.exists():
        raw += wal.read_bytes()
    assert secret.encode() not in raw
    assert token.encode() not in raw


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        (lambda t: "xyz" + t[3:], RefusalReason.WRONG_PREFIX),
        (lambda t: "Bearer " + t, RefusalReason.WRONG_PREFIX),
        (lambda t: "", RefusalReason.WRONG_PREFIX),
        (lambda t: "ilk_", RefusalReason.MALFORMED),
        (lambda t: "ilk_abc_def_" + t.split("_", 3)[3], RefusalReason.MALFORMED),
        (lambda t: t.replace("ilk_", "ilk_X", 1), RefusalReason.MALFORMED),
        (lambda t: t + "A" * 200, RefusalReason.MALFORMED),
        (lambda t: t[:-1] + "!", RefusalReason.BAD_ENCODING),  # not base64url
        (lambda t: t[:-5], RefusalReason.BAD_ENCODING),  # too short for 32 bytes
        (lambda t: t[:-43], RefusalReason.BAD_ENCODING),  # empty secret
    ],
    ids=[
        "other-prefix",
        "bearer",
        "empty",
        "prefix-only",
        "bad-ids",
        "bad-agent-id",
        "too-long",
        "bad-base64",
        "short-secret",
        "empty-secret",
    ],
)
def test_malformed_tokens(
    registry: AgentRegistry,
    verifier: AgentVerifier,
    audit: AuditLog,
    mangle: object,
    reason: object,
) -> None:
    token = _create(registry)
    bad = mangle(token)  # type: ignore[operator]
    got = _refused(verifier, bad)
    if reason is not None:
        assert got is reason
    assert refusal_reasons(audit) == [got.value]


def test_non_string_is_refused(verifier: AgentVerifier) -> None:
    assert _refused(verifier, None) is RefusalReason.WRONG_PREFIX
    assert _refused(verifier, b"ilk_") is RefusalReason.WRONG_PREFIX


def test_non_canonical_base64_is_refused(registry: AgentRegistry, verifier: AgentVerifier) -> None:
    # 43 base64 characters carry 258 bits; a secret whose last 2 bits are set decodes to
    # the same 32 bytes but is a different string: only the canonical form is a token.
    token = _create(registry)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(token[-1])
    twin = token[:-1] + alphabet[last ^ 1]
    assert _refused(verifier, twin) is RefusalReason.BAD_ENCODING


def test_unknown_ids_and_wrong_secret(
    registry: AgentRegistry, verifier: AgentVerifier, audit: AuditLog
) -> None:
    token = _create(registry)
    _, agent_id, token_id, secret = token.split("_", 3)
    other_secret = base64.urlsafe_b64encode(bytes(32)).rstrip(b"=").decode()
    assert _refused(verifier, f"ilk_{agent_id}_{'0' * 12}_{secret}") is RefusalReason.UNKNOWN_TOKEN
    assert _refused(verifier, f"ilk_{'0' * 12}_{token_id}_{secret}") is RefusalReason.UNKNOWN_TOKEN
    assert _refused(verifier, f"ilk_{agent_id}_{token_id}_{other_secret}") is (
        RefusalReason.WRONG_SECRET
    )
    # A wrong secret is refused even after the right token warmed the cache.
    verifier.verify(token)
    assert _refused(verifier, f"ilk_{agent_id}_{token_id}_{other_secret}") is (
        RefusalReason.WRONG_SECRET
    )
    assert refusal_reasons(audit) == [
        "unknown_token",
        "unknown_token",
        "wrong_secret",
        "wrong_secret",
    ]


def test_expiry_with_injected_clock(
    registry: AgentRegistry, verifier: AgentVerifier, clock: FakeClock, audit: AuditLog
) -> None:
    token = _create(registry, ttl=parse_duration("1h"))
    verifier.verify(token)  # warm the cache: expiry must still be checked on a hit
    clock.advance(3599)
    verifier.verify(token)
    clock.advance(1)
    assert _refused(verifier, token) is RefusalReason.EXPIRED
    assert refusal_reasons(audit) == ["expired"]


def test_revoked_suspended_resumed_rotated(
    registry: AgentRegistry, verifier: AgentVerifier, audit: AuditLog
) -> None:
    token = _create(registry)
    verifier.verify(token)
    registry.suspend(ALICE, "builder")
    assert _refused(verifier, token) is RefusalReason.AGENT_SUSPENDED
    registry.resume(ALICE, "builder")
    assert verifier.verify(token).agent.name == "builder"
    fresh = registry.rotate(ALICE, "builder")
    assert _refused(verifier, token) is RefusalReason.TOKEN_REVOKED
    assert verifier.verify(fresh.token).token_id == fresh.token_id
    registry.revoke(ALICE, "builder")
    assert _refused(verifier, fresh.token) is RefusalReason.AGENT_REVOKED
    assert refusal_reasons(audit) == ["agent_suspended", "token_revoked", "agent_revoked"]


def test_distinct_reasons_each_recorded_with_ids_but_never_the_token(
    registry: AgentRegistry, verifier: AgentVerifier, clock: FakeClock, audit: AuditLog
) -> None:
    tokens = {name: _create(registry, name, ttl=3600) for name in ("a", "b", "c", "d")}
    registry.suspend(ALICE, "a")
    registry.revoke(ALICE, "b")
    registry.rotate(ALICE, "c")
    clock.advance(3600)
    seen = [_refused(verifier, tokens[n]) for n in ("a", "b", "c", "d")]
    seen.append(_refused(verifier, "nope"))
    assert [r.value for r in seen] == [
        "agent_suspended",
        "agent_revoked",
        "token_revoked",
        "expired",
        "wrong_prefix",
    ]
    auth = records(audit, "auth")
    assert [b["reason"] for b in auth] == [r.value for r in seen]
    for body, name in zip(auth, ("a", "b", "c", "d"), strict=False):
        _, agent_id, token_id, _ = tokens[name].split("_", 3)
        assert body["grant_id"] == token_id and body["agent_id"] == agent_id
        assert body["detail"]
    assert "grant_id" not in auth[-1]
    dump = json.dumps([r.to_json() for r in audit.records()])
    for token in tokens.values():
        assert token.split("_", 3)[3] not in dump


def test_warm_cache_hit_skips_the_database(
    registry: AgentRegistry, verifier: AgentVerifier
) -> None:
    token = _create(registry)
    first = verifier.verify(token)
    registry.state.close()  # a hit must not touch SQLite at all
    assert verifier.verify(token) is first


def test_ttl_is_capped_by_config(registry: AgentRegistry) -> None:
    from interlock.errors import InputError

    with pytest.raises(InputError, match="longer than the configured maximum 1d"):
        _create(registry, ttl=parse_duration("25h"))
    registry.max_ttl = parse_duration("2h")
    _, minted = registry.create(ALICE, "short", environments=["dev"], task="t", owner="o")
    assert minted.expires_at - registry.clock() == 7200  # the 8h default is capped too


def test_max_ttl_is_read_from_interlock_toml(home: Home) -> None:
    from interlock.errors import ConfigError
    from interlock.identity import max_ttl_from_config

    assert max_ttl_from_config(home) == 24 * 3600
    home.config_path.write_text(home.config_path.read_text() + '\n[identity]\nmax_ttl = "12h"\n')
    assert max_ttl_from_config(home) == 12 * 3600
    assert AgentRegistry.for_home(home).max_ttl == 12 * 3600
    home.config_path.write_text(home.config_path.read_text().replace('"12h"', '"soon"'))
    with pytest.raises(ConfigError, match=r"\[identity\] max_ttl"):
        max_ttl_from_config(home)
