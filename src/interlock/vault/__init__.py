"""The vault: one store for every safeguard's snapshots, outside the blast radius.

A snapshot is whatever a safeguard must be able to put back (a PostgreSQL table's
definition and rows, a workspace's uncommitted work, an audit checkpoint), written as named
entries under one signed manifest. The interface, for every producer and backend:

    vault = open_vault(home)                     # or Vault(backend, sealer, keys, retention)
    w = vault.writer("pg", "orders-db", {"audit_seq": 42, "operation": "sql:DROP TABLE"})
    w.add("dump", chunks_of_bytes, {"tables": [...]}, limit=max_bytes)
    snapshot = w.commit()                        # Snapshot(id, manifest), signed and stored
    vault.list(resource=None)                    # newest first
    vault.get(id_or_unique_prefix)               # signature and id checked
    vault.stream(snapshot, "dump")               # plain bytes, each chunk checked
    vault.verify(ids=None)                       # [Finding]: missing, tampered, retention
    vault.purge(id, humans=[a, b])               # after expiry, two proven humans only

Guarantees: objects are content-addressed (keyed hash), compressed (zlib) and encrypted
(AES-256-GCM under `keys/vault.key`); every manifest is signed (Ed25519,
`keys/vault-signing.key`); nothing shortens a retention date, and purge needs the date
passed and two humans. A backend (`Backend`) stores bytes under keys with retention dates
and never sees a key: `DirectoryBackend` is the embedded default (`<home>/state/vault`,
Interlock's state, which self-protection keeps every agent command away from); an object
store with a compliance lock implements the same calls (`S3Backend`: S3 Object Lock in
compliance mode, `[vault] backend = "s3"`).

    _model    Manifest, Entry, Chunk, Snapshot, Finding, errors
    _seal     compress + AES-GCM, object ids
    _keys     the vault's keys in the home
    _backend  the Backend interface and the directory backend
    _store    Vault, SnapshotWriter, Retention
    _s3       the S3 Object Lock backend (boto3, optional)
"""

from __future__ import annotations

from interlock.config import VaultSettings, read_config
from interlock.home import Home
from interlock.vault._backend import Backend, DirectoryBackend
from interlock.vault._keys import (
    ensure_keys,
    load_secret,
    load_signing,
    load_verifying,
)
from interlock.vault._model import (
    Chunk,
    Entry,
    Finding,
    Manifest,
    RetentionError,
    Snapshot,
    VaultError,
)
from interlock.vault._seal import Sealer
from interlock.vault._store import PURGE_HUMANS, Retention, SnapshotWriter, Vault

__all__ = [
    "PURGE_HUMANS",
    "Backend",
    "Chunk",
    "DirectoryBackend",
    "Entry",
    "Finding",
    "Manifest",
    "Retention",
    "RetentionError",
    "Sealer",
    "Snapshot",
    "SnapshotWriter",
    "Vault",
    "VaultError",
    "ensure_keys",
    "open_vault",
]


def open_vault(home: Home, settings: VaultSettings | None = None) -> Vault:
    """The home's vault (keys made on first use), with its retention from `[vault]`."""
    if settings is None:
        settings = read_config(home.config_path).vault
    keys = home.root / "keys"
    ensure_keys(keys)
    backend: Backend
    if settings.backend == "s3":
        from interlock.vault._s3 import S3Backend

        backend = S3Backend.connect(
            settings.s3_bucket, settings.s3_prefix, settings.s3_endpoint, settings.s3_region
        )
    else:
        root = home.vault_dir
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        backend = DirectoryBackend(root)
    return Vault(
        backend,
        Sealer(load_secret(keys)),
        load_verifying(keys),
        load_signing(keys),
        Retention(settings.retention_days, dict(settings.retention)),
    )
