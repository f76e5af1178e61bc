"""Before hooks that export to Interlock's vault, through the real proxy and a real loopback
upstream: a provider's backup download is stored before the deletion runs; a download over
its limit refuses the deletion; a `pg:` export dumps a registered PostgreSQL database from
the real server; and a route that cannot take a snapshot never promises one to the human."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from interlock.approvals import ApprovalStore
from interlock.proxy.pg import restore
from interlock.vault import open_vault
from tests.proxy_pg.conftest import ensure_postgres, psql

from .conftest import REAL_CREDENTIAL, Env, graphql

DELETE_STAGING = graphql('mutation { volumeDelete(volumeId: "vol-stg-1a2b") }')
DELETE_PROD = graphql('mutation { volumeDelete(volumeId: "vol-prod-7f3a") }')


def _export(**hook: Any) -> dict[str, Any]:
    before = {"operation": "graphql:volumeDelete", **hook}
    return {"routes": {"railway-staging": {"before": [before]}}}


def _safeguards(env: Env) -> list[dict[str, Any]]:
    return [dict(r.body) for r in env.home.audit_log().records() if r.type == "safeguard"]


def test_a_backup_download_is_stored_in_the_vault_before_the_deletion(make_env: Any) -> None:
    env: Env = make_env(_export(method="GET", path="/backups/{target}/download", export="vault"))
    status, _, _ = env.request("POST", "/railway-staging/graphql/v2", DELETE_STAGING)
    assert status == 200
    download, deletion = env.upstream.seen
    assert download.method == "GET" and download.path == "/backups/vol-stg-1a2b/download"
    assert download.headers["authorization"] == f"Bearer {REAL_CREDENTIAL}"
    assert b"volumeDelete" in deletion.body
    (record,) = _safeguards(env)
    assert record["ok"] is True and record["export"] == "vault" and record["vault"]
    vault = open_vault(env.home)
    snapshot = vault.get(record["vault"])
    assert snapshot.manifest.kind == "http" and snapshot.manifest.resource == "railway-staging"
    assert snapshot.manifest.labels["target"] == "vol-stg-1a2b"
    stored = json.loads(vault.read(snapshot, "body"))
    assert stored["path"] == "/backups/vol-stg-1a2b/download"  # what the upstream answered
    assert REAL_CREDENTIAL not in json.dumps(snapshot.manifest.to_json())


def test_a_download_over_its_limit_refuses_the_deletion(make_env: Any) -> None:
    env: Env = make_env(_export(method="GET", path="/stream", export="vault", export_limit=4096))
    status, _, body = env.request("POST", "/railway-staging/graphql/v2", DELETE_STAGING)
    assert status == 409, body
    assert b"limit of 4096 bytes" in body
    assert not any(b"volumeDelete" in s.body for s in env.upstream.seen)
    (record,) = _safeguards(env)
    assert record["ok"] is False and record["vault"] == ""


def test_the_stored_copy_is_sealed_on_disk(make_env: Any) -> None:
    """/echo-auth answers with the injected credential in its body: the vault stores it
    sealed (AES-GCM), so nothing on disk reads as the credential."""
    env: Env = make_env(_export(method="GET", path="/echo-auth", export="vault"))
    status, _, _ = env.request("POST", "/railway-staging/graphql/v2", DELETE_STAGING)
    assert status == 200
    on_disk = b"".join(p.read_bytes() for p in env.home.vault_dir.rglob("*") if p.is_file())
    assert on_disk and REAL_CREDENTIAL.encode() not in on_disk


def test_a_download_the_upstream_refuses_refuses_the_deletion(
    make_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    env: Env = make_env(_export(method="GET", path="/backups/{target}", export="vault"))
    monkeypatch.setattr(env.upstream.server.RequestHandlerClass, "do_GET", _not_found)
    status, _, body = env.request("POST", "/railway-staging/graphql/v2", DELETE_STAGING)
    assert status == 409, body
    assert env.upstream.seen == []  # the 404 handler records nothing; nothing was deleted
    (record,) = _safeguards(env)
    assert record["ok"] is False and record["status"] == 404 and "error" not in record


def _not_found(self: Any) -> None:
    self.send_response(404)
    self.send_header("Content-Length", "0")
    self.end_headers()


def test_a_pg_export_dumps_the_registered_database_first(make_env: Any) -> None:
    ensure_postgres()
    database = f"export_{uuid.uuid4().hex[:8]}"
    psql(f"CREATE DATABASE {database}", "postgres")
    try:
        psql("CREATE TABLE orders (id serial PRIMARY KEY, cents int)", database)
        psql("INSERT INTO orders (cents) SELECT g FROM generate_series(1, 250) g", database)
        env: Env = make_env(_export(export="pg:shop-db"), register=("shop-db", database))
        status, _, body = env.request("POST", "/railway-staging/graphql/v2", DELETE_STAGING)
        assert status == 200, body
        assert [b"volumeDelete" in s.body for s in env.upstream.seen] == [True]  # no HTTP hook
        (record,) = _safeguards(env)
        assert record["ok"] is True and record["export"] == "pg:shop-db"
        vault = open_vault(env.home)
        snapshot = vault.get(record["vault"])
        assert snapshot.manifest.kind == "pg" and snapshot.manifest.resource == "shop-db"
        # the copy is a real one: it restores into a new database, every row
        psql(f"CREATE DATABASE {database}_back", "postgres")
        url = f"postgresql://postgres@127.0.0.1:5432/{database}_back"
        restore(vault, snapshot, url, None, workdir=env.home.root / "state")
        assert psql("SELECT count(*) FROM orders", f"{database}_back") == "250"
    finally:
        for name in (database, f"{database}_back"):
            psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", "postgres")


def test_a_route_without_a_hook_promises_no_snapshot(env: Env) -> None:
    """The production route has no before hook: the hold a human reads names no snapshot,
    and says approving runs it without one."""
    status, _, _ = env.request("POST", "/railway/graphql/v2", DELETE_PROD)
    assert status == 403
    (request,) = ApprovalStore.for_home(env.home).requests()
    assert "snapshot" not in request.detail["safeguards"]
    assert any("cannot take snapshot" in r for r in request.detail["reasons"])


def test_a_route_with_a_hook_promises_the_snapshot_it_takes(make_env: Any) -> None:
    env: Env = make_env(
        {
            "routes": {
                "railway": {
                    "before": [
                        {"operation": "graphql:volumeDelete", "path": "/graphql/v2", "body": "{}"}
                    ]
                }
            }
        }
    )
    status, _, _ = env.request("POST", "/railway/graphql/v2", DELETE_PROD)
    assert status == 403
    (request,) = ApprovalStore.for_home(env.home).requests()
    assert "snapshot" in request.detail["safeguards"]
