"""The S3 Object Lock backend against an S3-compatible server on loopback (moto in server
mode, its own process): compliance retention keeps objects from Interlock's own credential,
no code path shortens or bypasses it, and a PostgreSQL snapshot stored there restores."""

from __future__ import annotations

import inspect
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

boto3 = pytest.importorskip("boto3")
from botocore.exceptions import ClientError  # noqa: E402

from interlock.vault import RetentionError, Sealer, Vault, ensure_keys  # noqa: E402
from interlock.vault import _s3 as s3_module  # noqa: E402
from interlock.vault._keys import load_secret, load_signing, load_verifying  # noqa: E402
from interlock.vault._s3 import S3Backend  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    port = _free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture
def client(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "interlock"),
        ("AWS_SECRET_ACCESS_KEY", "interlock-secret"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ):
        monkeypatch.setenv(name, value)
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")


@pytest.fixture
def bucket(client: Any) -> str:
    name = "interlock-vault-" + secrets.token_hex(4)
    client.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    return name


def vault_on(client: Any, bucket: str, keys: Path) -> Vault:
    ensure_keys(keys)
    return Vault(
        S3Backend(client, bucket, "vault"),
        Sealer(load_secret(keys)),
        load_verifying(keys),
        load_signing(keys),
    )


def test_a_snapshot_round_trips_and_verifies(client: Any, bucket: str, tmp_path: Path) -> None:
    vault = vault_on(client, bucket, tmp_path / "keys")
    writer = vault.writer("files", "ws", {"operation": "git reset --hard"})
    writer.add("patch", b"uncommitted work\n" * 1000)
    snapshot = writer.commit()
    assert vault.read(vault.get(snapshot.id[:8]), "patch") == b"uncommitted work\n" * 1000
    assert [s.id for s in vault.list()] == [snapshot.id]
    assert vault.verify() == []
    (key,) = [
        k["Key"] for k in client.list_objects_v2(Bucket=bucket, Prefix="vault/objects/")["Contents"]
    ]
    head = client.head_object(Bucket=bucket, Key=key)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"] > datetime.now(UTC) + timedelta(days=29)


@pytest.mark.parametrize("bypass", [False, True])
def test_interlocks_own_credential_cannot_delete_a_locked_version(
    client: Any, bucket: str, tmp_path: Path, bypass: bool
) -> None:
    vault = vault_on(client, bucket, tmp_path / "keys")
    writer = vault.writer("files", "ws")
    writer.add("patch", b"keep me")
    snapshot = writer.commit()
    key = f"vault/manifests/{snapshot.id}"
    version = client.head_object(Bucket=bucket, Key=key)["VersionId"]
    extra = {"BypassGovernanceRetention": True} if bypass else {}
    with pytest.raises(ClientError) as refused:
        client.delete_object(Bucket=bucket, Key=key, VersionId=version, **extra)
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert vault.get(snapshot.id).id == snapshot.id  # still there
    # Interlock's own purge refuses before the store has to
    with pytest.raises(RetentionError):
        vault.purge(snapshot.id, ["alice", "bob"])
    with pytest.raises(RetentionError):
        vault.backend.delete(key.removeprefix("vault/"))


def test_storing_again_never_shortens_retention(client: Any, bucket: str) -> None:
    backend = S3Backend(client, bucket)
    later = int(time.time()) + 90 * 86400
    backend.put("objects/aa/x", b"1", later)
    backend.put("objects/aa/x", b"1", int(time.time()) + 86400)  # an earlier date: ignored
    assert backend.retained_until("objects/aa/x") == later
    backend.put("objects/aa/x", b"1", later + 86400)  # a later one: extended
    assert backend.retained_until("objects/aa/x") == later + 86400


def test_no_code_path_shortens_or_bypasses_retention() -> None:
    # moto lets retention be shortened (real S3 refuses it): what matters is that Interlock
    # never asks. The module's only retention write is guarded by `retain_until > current`,
    # it never uses governance mode, and it never sends a bypass.
    source = inspect.getsource(s3_module)
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("#"))
    body = code.split('"""', 2)[2]  # past the module docstring
    assert "Bypass" not in body and "GOVERNANCE" not in body
    assert body.count("put_object_retention(") == 1
    guarded = body[: body.index("put_object_retention(")].rsplit("\n", 3)[-2]
    assert "retain_until > current" in guarded
    assert "delete_object(" in body and "VersionId" not in body


def test_a_postgres_snapshot_in_s3_restores_into_a_new_database(
    client: Any, bucket: str, tmp_path: Path
) -> None:
    from interlock.proxy.pg import Scope, Source, restore, take_snapshot

    from ..proxy_pg.conftest import ensure_postgres, psql

    ensure_postgres()
    suffix = secrets.token_hex(3)
    source_db, target_db = f"interlock_s3src_{suffix}", f"interlock_s3dst_{suffix}"
    psql(f"CREATE DATABASE {source_db}")
    psql(f"CREATE DATABASE {target_db}")
    try:
        psql(
            "CREATE TABLE items (id serial PRIMARY KEY, name text UNIQUE); "
            "INSERT INTO items (name) SELECT 'item ' || g FROM generate_series(1, 40) g",
            source_db,
        )
        vault = vault_on(client, bucket, tmp_path / "keys")
        snapshot = take_snapshot(
            vault,
            Source(f"postgresql://postgres@127.0.0.1:5432/{source_db}"),
            "items-db",
            Scope(tables=(("public", "items"),)),
            {"operation": "sql:DROP TABLE"},
        )
        psql(f"DROP DATABASE {source_db} WITH (FORCE)")
        summary = restore(
            vault,
            vault.get(snapshot.id),
            f"postgresql://postgres@127.0.0.1:5432/{target_db}",
            None,
        )
        assert "public.items" in summary
        assert psql("SELECT count(*), max(name) FROM items", target_db) == "40|item 9"
        assert psql("SELECT nextval('items_id_seq')", target_db) == "41"
    finally:
        psql(f"DROP DATABASE IF EXISTS {source_db} WITH (FORCE)")
        psql(f"DROP DATABASE IF EXISTS {target_db} WITH (FORCE)")
