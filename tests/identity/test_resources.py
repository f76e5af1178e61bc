"""Registered resources and the sealed credential store."""

from __future__ import annotations

import base64
import secrets
import sqlite3

import pytest

from interlock.errors import ConfigError, InputError
from interlock.home import Home
from interlock.identity import (
    MASTER_KEY_ENV,
    IdentityError,
    ResourceRegistry,
    Sealer,
    ensure_identity_keys,
    registered_resources,
    reveal_credential,
)
from interlock.model import Resource
from tests.identity.conftest import ALICE

PLANTED = "PLANTED-api-key-Zk39vQ"


def _add(resources: ResourceRegistry, name: str = "orders-db", **kw: object) -> None:
    kw.setdefault("kind", "postgres")
    kw.setdefault("environment", "production")
    kw.setdefault("upstream", "postgres://app@db.internal:5432/orders")
    kw.setdefault("credential", PLANTED)
    resources.add(ALICE, name, **kw)  # type: ignore[arg-type]


def test_add_and_reveal(resources: ResourceRegistry, home: Home) -> None:
    _add(resources, tags=["pii"], owner="data")
    record = resources.get("orders-db")
    assert record.resource == Resource(
        "orders-db", "production", "postgres", frozenset({"pii"}), "data"
    )
    assert record.credential_status().startswith("stored (encrypted, set ")
    assert PLANTED not in repr(record) and PLANTED not in str(record.to_json())
    assert resources.reveal_credential("orders-db") == PLANTED
    assert reveal_credential(home, Resource("orders-db")) == PLANTED
    assert registered_resources(home) == {"orders-db": record.resource}


def test_master_key_file_is_private(home: Home) -> None:
    path = home.master_key
    assert path.stat().st_mode & 0o777 == 0o600
    assert len(path.read_bytes()) == 32
    assert ensure_identity_keys(home) == []  # idempotent


def test_ciphertext_is_bound_to_its_row(resources: ResourceRegistry, home: Home) -> None:
    _add(resources, "a")
    _add(resources, "b", credential="other")
    # Someone with write access to the state file moves a's sealed credential onto b.
    with sqlite3.connect(home.database) as db:
        db.execute(
            "UPDATE identity_resources SET credential_sealed = "
            "(SELECT credential_sealed FROM identity_resources WHERE name = 'a') WHERE name = 'b'"
        )
    with pytest.raises(ConfigError, match="corrupted or was moved"):
        resources.reveal_credential("b")


def test_another_master_key_cannot_open_it(
    resources: ResourceRegistry, home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add(resources)
    monkeypatch.setenv(MASTER_KEY_ENV, base64.b64encode(secrets.token_bytes(32)).decode())
    with pytest.raises(ConfigError, match="another master key") as info:
        reveal_credential(home, "orders-db")
    assert PLANTED not in str(info.value)


def test_master_key_from_environment(home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    key = secrets.token_bytes(32)
    monkeypatch.setenv(MASTER_KEY_ENV, base64.b64encode(key).decode())
    registry = ResourceRegistry.for_home(home)
    _add(registry)
    assert reveal_credential(home, "orders-db") == PLANTED
    assert Sealer.for_home(home).key_id == Sealer(key).key_id
    monkeypatch.setenv(MASTER_KEY_ENV, "not base64!")
    with pytest.raises(ConfigError, match="base64 of exactly 32 bytes"):
        Sealer.for_home(home)


def test_missing_key_file_is_a_clear_error(home: Home) -> None:
    home.master_key.unlink()
    with pytest.raises(ConfigError, match="cannot read the identity master key"):
        Sealer.for_home(home)


@pytest.mark.parametrize(
    ("kind", "upstream", "words"),
    [
        ("postgres", f"postgresql://app:{PLANTED}@db/orders", "must not contain a password"),
        ("http", f"https://api.internal/v1?token={PLANTED}", "query string"),
        ("http", "ftp://files.internal", "http or https"),
        ("postgres", "db.internal:5432", "postgres or postgresql"),
        ("generic", "", "--upstream is required"),
    ],
)
def test_upstream_must_not_carry_a_secret(
    resources: ResourceRegistry, kind: str, upstream: str, words: str
) -> None:
    with pytest.raises(InputError, match=words) as info:
        _add(resources, kind=kind, upstream=upstream)
    assert PLANTED not in str(info.value)


def test_without_credential_and_remove(resources: ResourceRegistry) -> None:
    _add(resources, "mcp-files", kind="mcp", upstream="stdio:npx files-server", credential=None)
    assert resources.get("mcp-files").credential_status() == "none"
    with pytest.raises(IdentityError, match="no stored credential"):
        resources.reveal_credential("mcp-files")
    resources.remove(ALICE, "mcp-files")
    with pytest.raises(IdentityError, match="no registered resource"):
        resources.get("mcp-files")


def test_bad_kind_and_names(resources: ResourceRegistry) -> None:
    with pytest.raises(InputError, match="kind"):
        _add(resources, kind="s3")
    with pytest.raises(InputError, match="resource name"):
        _add(resources, "../etc")
    with pytest.raises(InputError, match="environment name"):
        _add(resources, environment="prod uction")
