"""The vault store on the directory backend: round trips, proof of tampering, retention."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interlock.config import VaultSettings
from interlock.home import init_home
from interlock.protect import installation_places, scan_shell
from interlock.vault import (
    DirectoryBackend,
    Retention,
    RetentionError,
    Sealer,
    Vault,
    VaultError,
    ensure_keys,
    open_vault,
)
from interlock.vault._keys import load_secret, load_signing, load_verifying
from interlock.vault._store import CHUNK, DAY


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def make_vault(root: Path, clock: Clock | None = None, days: int = 7) -> Vault:
    keys = root / "keys"
    ensure_keys(keys)
    clock = clock or Clock()
    return Vault(
        DirectoryBackend(root / "vault", clock=clock),
        Sealer(load_secret(keys)),
        load_verifying(keys),
        load_signing(keys),
        Retention(days, {"long-db": 90}),
        clock=clock,
    )


def object_files(root: Path) -> list[Path]:
    return sorted(
        p for p in (root / "vault" / "objects").rglob("*") if p.is_file() and p.suffix != ".until"
    )


def test_a_snapshot_round_trips_across_chunks(tmp_path: Path) -> None:
    vault = make_vault(tmp_path)
    big = os.urandom(CHUNK + 1234)
    writer = vault.writer("pg", "orders-db", {"audit_seq": 7})
    writer.add("dump", [big[:1000], big[1000:]], {"rows": 3})
    writer.add("empty", b"")
    snapshot = writer.commit()
    again = vault.get(snapshot.id[:8])
    assert again.manifest.labels == {"audit_seq": 7}
    assert again.manifest.entry("dump").meta == {"rows": 3}
    assert len(again.manifest.entry("dump").chunks) == 2
    assert vault.read(again, "dump") == big
    assert vault.read(again, "empty") == b""
    assert [s.id for s in vault.list()] == [snapshot.id]
    assert vault.verify() == []


def test_objects_are_encrypted_and_compressed_on_disk(tmp_path: Path) -> None:
    vault = make_vault(tmp_path)
    plain = b"customer alice@example.com paid 100\n" * 10_000
    writer = vault.writer("pg", "db")
    writer.add("rows", plain)
    writer.commit()
    (stored,) = object_files(tmp_path)
    data = stored.read_bytes()
    assert b"alice@example.com" not in data
    assert len(data) < len(plain) // 10
    assert stored.stat().st_mode & 0o777 == 0o400


def test_equal_content_is_stored_once(tmp_path: Path) -> None:
    vault = make_vault(tmp_path)
    for _ in range(2):
        writer = vault.writer("pg", "db")
        writer.add("rows", b"same rows" * 100)
        writer.commit()
    assert len(object_files(tmp_path)) == 1


@pytest.mark.parametrize("damage", ["flip", "delete", "truncate"])
def test_a_damaged_object_is_reported(tmp_path: Path, damage: str) -> None:
    vault = make_vault(tmp_path)
    writer = vault.writer("pg", "db")
    writer.add("rows", os.urandom(5000))
    snapshot = writer.commit()
    (stored,) = object_files(tmp_path)
    stored.chmod(0o600)
    if damage == "delete":
        stored.unlink()
    elif damage == "truncate":
        stored.write_bytes(stored.read_bytes()[:40])
    else:
        data = bytearray(stored.read_bytes())
        data[-5] ^= 1
        stored.write_bytes(bytes(data))
    (finding,) = vault.verify()
    assert finding.snapshot == snapshot.id
    assert finding.problem == ("missing" if damage == "delete" else "tampered")
    with pytest.raises(VaultError):
        vault.read(snapshot, "rows")


def test_a_forged_manifest_is_reported_and_not_listed(tmp_path: Path) -> None:
    vault = make_vault(tmp_path)
    writer = vault.writer("pg", "db", {"audit_seq": 1})
    writer.add("rows", b"x")
    snapshot = writer.commit()
    path = tmp_path / "vault" / "manifests" / snapshot.id
    path.chmod(0o600)
    path.write_text(path.read_text().replace('"audit_seq": 1', '"audit_seq": 2'))
    (finding,) = vault.verify()
    assert finding.problem == "bad-manifest" and "signature" in finding.detail
    assert vault.list() == []


def test_an_object_moved_under_another_id_does_not_open(tmp_path: Path) -> None:
    vault = make_vault(tmp_path)
    writer = vault.writer("pg", "db")
    writer.add("a", b"first" * 100)
    writer.add("b", b"second" * 100)
    snapshot = writer.commit()
    first, second = object_files(tmp_path)
    first.chmod(0o600)
    second.chmod(0o600)
    first.write_bytes(second.read_bytes())
    assert {f.problem for f in vault.verify()} == {"tampered"}
    with pytest.raises(VaultError):
        vault.read(snapshot, "a") if first.name.startswith(
            snapshot.manifest.entry("a").chunks[0].id
        ) else vault.read(snapshot, "b")


def test_another_key_opens_nothing(tmp_path: Path) -> None:
    vault = make_vault(tmp_path)
    writer = vault.writer("pg", "db")
    writer.add("rows", b"secret rows")
    snapshot = writer.commit()
    other = Vault(vault.backend, Sealer(secrets.token_bytes(32)), load_verifying(tmp_path / "keys"))
    with pytest.raises(VaultError, match="authentication failed"):
        other.read(snapshot, "rows")


def test_the_size_limit_refuses_a_snapshot(tmp_path: Path) -> None:
    vault = make_vault(tmp_path)
    writer = vault.writer("pg", "db")
    with pytest.raises(VaultError, match="larger than its limit"):
        writer.add("rows", [b"x" * 600, b"y" * 600], limit=1000)


def test_retention_is_per_resource_and_purge_needs_expiry_and_two_humans(
    tmp_path: Path,
) -> None:
    clock = Clock()
    vault = make_vault(tmp_path, clock)
    writer = vault.writer("pg", "long-db")
    writer.add("rows", b"kept long")
    long_lived = writer.commit()
    assert long_lived.manifest.retain_until == clock.now + 90 * DAY
    writer = vault.writer("pg", "db")
    writer.add("rows", b"kept a week")
    writer.add("shared", b"kept long")  # the same object as the long-lived snapshot's
    short = writer.commit()
    assert short.manifest.retain_until == clock.now + 7 * DAY
    with pytest.raises(RetentionError):
        vault.purge(short.id, ["alice", "bob"])
    clock.now += 8 * DAY
    with pytest.raises(VaultError, match="2 different humans"):
        vault.purge(short.id, ["alice", "alice"])
    removed = vault.purge(short.id, ["alice", "bob"])
    assert len(removed) == 2  # the manifest and its own object, not the shared one
    assert [s.id for s in vault.list()] == [long_lived.id]
    assert vault.verify() == []
    with pytest.raises(RetentionError):
        vault.purge(long_lived.id, ["alice", "bob"])


def test_the_backend_never_shortens_retention(tmp_path: Path) -> None:
    clock = Clock()
    backend = DirectoryBackend(tmp_path, clock=clock)
    backend.put("objects/aa/x", b"1", int(clock.now) + 100)
    backend.put("objects/aa/x", b"1", int(clock.now) + 10)
    assert backend.retained_until("objects/aa/x") == int(clock.now) + 100
    with pytest.raises(RetentionError):
        backend.delete("objects/aa/x")
    with pytest.raises(VaultError):
        backend.put("../escape", b"1", 0)


@settings(max_examples=25, deadline=None)
@given(blocks=st.lists(st.binary(max_size=2000), max_size=6))
def test_any_stream_round_trips(
    tmp_path_factory: pytest.TempPathFactory, blocks: list[bytes]
) -> None:
    vault = make_vault(tmp_path_factory.mktemp("v"))
    writer = vault.writer("files", "ws")
    writer.add("data", blocks)
    snapshot = writer.commit()
    assert vault.read(vault.get(snapshot.id), "data") == b"".join(blocks)


def test_the_home_vault_and_its_keys_are_out_of_every_agents_reach(tmp_path: Path) -> None:
    home, _ = init_home(tmp_path / ".interlock")
    vault = open_vault(home, VaultSettings())
    assert vault.backend.location == str(home.root / "state" / "vault")
    places = installation_places(home.root)
    for command in (
        f"rm -rf {home.root}/state/vault",
        f"cat {home.root}/keys/vault.key",
        f"cp {home.root}/keys/vault-signing.key /tmp/k",
        "find .interlock/state/vault -delete",
    ):
        found = scan_shell(command, places, cwd=str(tmp_path))
        assert {f.kind for f in found} == {"state"}, command


def test_a_vault_configured_outside_the_home_is_protected_too(tmp_path: Path) -> None:
    from interlock.hooks._decide import _outside_state

    home, _ = init_home(tmp_path / "home")
    elsewhere = tmp_path / "srv-vault"
    with home.config_path.open("a") as handle:
        handle.write(f'\n[vault]\npath = "{elsewhere}"\nretention_days = 14\n')
    assert home.vault_dir == elsewhere
    places = installation_places(home.root, _outside_state(home))
    found = scan_shell(f"rm -rf {elsewhere}/objects", places, cwd=str(tmp_path))
    assert {f.kind for f in found} == {"state"}
    assert open_vault(home).retention.days == 14


@pytest.mark.parametrize(
    "command",
    [
        "interlock vault purge 3f2a --user a --second-user b",
        "interlock vault restore 3f2a --into postgresql://db/x",
        "interlock vault list",
        "interlock vault drill --every 1m",
        "python -m interlock vault verify",
    ],
)
def test_an_agent_runs_no_vault_command(tmp_path: Path, command: str) -> None:
    # Every vault command is a human's: none is in the CLI's read-only list.
    places = installation_places(None)
    assert "cli" in {f.kind for f in scan_shell(command, places, cwd=str(tmp_path))}
