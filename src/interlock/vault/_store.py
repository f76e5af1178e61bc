"""The vault: snapshots in, snapshots out, each proven by its signature and its hashes.

    vault.writer(kind, resource, labels) → SnapshotWriter   add(name, chunks, meta); commit()
    vault.list(resource=None)            → [Snapshot]      newest first
    vault.get(id_or_prefix)              → Snapshot        signature checked
    vault.stream(snapshot, entry)        → Iterator[bytes] each chunk opened and checked
    vault.verify(ids=None)               → [Finding]       hashes, signatures, retention
    vault.purge(id, humans)              → None            after expiry, two humans

Content is cut into chunks of `CHUNK` bytes, so a 100 MB table streams through in bounded
memory and equal chunks are stored once. Each chunk is sealed (`_seal`) and stored before
the manifest that names it; the manifest is signed (Ed25519) and stored last, so a snapshot
either is complete or does not exist.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from interlock.vault._backend import Backend
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

CHUNK = 4 * 1024 * 1024
ID_CHARS = 24
DAY = 86400
PURGE_HUMANS = 2


@dataclass(frozen=True, slots=True)
class Retention:
    """How long snapshots are kept: `days` by default, `per_resource` overrides by name."""

    days: int = 30
    per_resource: dict[str, int] = field(default_factory=dict)

    def days_for(self, resource: str) -> int:
        return self.per_resource.get(resource, self.days)


def _manifest_key(snapshot_id: str) -> str:
    return f"manifests/{snapshot_id}"


def _object_key(object_id: str) -> str:
    return f"objects/{object_id[:2]}/{object_id}"


class SnapshotWriter:
    """Streams entries into the vault; `commit` signs and stores the manifest."""

    def __init__(self, vault: Vault, kind: str, resource: str, labels: dict[str, Any]) -> None:
        self._vault = vault
        self.kind = kind
        self.resource = resource
        self.labels = dict(labels)
        self.created_at = int(vault.clock())
        self.retain_until = self.created_at + vault.retention.days_for(resource) * DAY
        self._entries: list[Entry] = []
        self.size = 0

    def add(
        self,
        name: str,
        data: Iterable[bytes] | bytes,
        meta: dict[str, Any] | None = None,
        *,
        limit: int | None = None,
    ) -> Entry:
        """Store one entry from bytes or an iterable of byte blocks (any sizes); `limit`
        bounds the whole snapshot's plain size (VaultError past it)."""
        if any(e.name == name for e in self._entries):
            raise VaultError(f"entry {name!r} is already in this snapshot")
        blocks = [data] if isinstance(data, bytes) else data
        whole = hashlib.sha256()
        chunks: list[Chunk] = []
        pending = bytearray()
        size = 0
        for block in blocks:
            size += len(block)
            if limit is not None and self.size + size > limit:
                raise VaultError(f"the snapshot is larger than its limit of {limit} bytes")
            whole.update(block)
            pending += block
            while len(pending) >= CHUNK:
                chunks.append(self._vault._put_chunk(bytes(pending[:CHUNK]), self.retain_until))
                del pending[:CHUNK]
        if pending or not chunks:
            chunks.append(self._vault._put_chunk(bytes(pending), self.retain_until))
        entry = Entry(name, size, whole.hexdigest(), tuple(chunks), dict(meta or {}))
        self._entries.append(entry)
        self.size += size
        return entry

    def commit(self) -> Snapshot:
        manifest = Manifest(
            kind=self.kind,
            resource=self.resource,
            created_at=self.created_at,
            retain_until=self.retain_until,
            entries=tuple(self._entries),
            labels=self.labels,
            key=self._vault.key_fingerprint,
        )
        return self._vault._put_manifest(manifest)


class Vault:
    """One vault: a backend, the key that seals its objects, the key that signs manifests."""

    def __init__(
        self,
        backend: Backend,
        sealer: Sealer,
        verify_key: Ed25519PublicKey,
        sign_key: Ed25519PrivateKey | None = None,
        retention: Retention | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.backend = backend
        self._sealer = sealer
        self._verify_key = verify_key
        self._sign_key = sign_key
        self.retention = retention if retention is not None else Retention()
        self.clock = clock
        from interlock.vault._keys import fingerprint

        self.key_fingerprint = fingerprint(verify_key)

    # -- writing

    def writer(
        self, kind: str, resource: str, labels: dict[str, Any] | None = None
    ) -> SnapshotWriter:
        if self._sign_key is None:
            raise VaultError("this vault was opened without its signing key: read only")
        return SnapshotWriter(self, kind, resource, labels or {})

    def _put_chunk(self, plain: bytes, retain_until: int) -> Chunk:
        object_id = self._sealer.object_id(plain)
        key = _object_key(object_id)
        if self.backend.exists(key):
            sealed = self.backend.get(key)
        else:
            sealed = self._sealer.seal(object_id, plain)
        self.backend.put(key, sealed, retain_until)  # extends an existing object's retention
        return Chunk(object_id, len(plain), hashlib.sha256(sealed).hexdigest())

    def _put_manifest(self, manifest: Manifest) -> Snapshot:
        assert self._sign_key is not None
        body = manifest.canonical()
        snapshot_id = _snapshot_id(manifest)
        signed = {"manifest": manifest.to_json(), "signature": self._sign_key.sign(body).hex()}
        self.backend.put(
            _manifest_key(snapshot_id),
            json.dumps(signed, sort_keys=True).encode(),
            manifest.retain_until,
        )
        return Snapshot(snapshot_id, manifest)

    # -- reading

    def ids(self) -> builtins.list[str]:
        return sorted(k.rsplit("/", 1)[-1] for k in self.backend.keys("manifests"))

    def list(self, resource: str | None = None) -> list[Snapshot]:
        """Every snapshot whose manifest is intact, newest first (`verify` reports the rest)."""
        found = []
        for snapshot_id in self.ids():
            try:
                snapshot = self._load(snapshot_id)
            except VaultError:
                continue
            if resource is None or snapshot.manifest.resource == resource:
                found.append(snapshot)
        found.sort(key=lambda s: (s.manifest.created_at, s.id), reverse=True)
        return found

    def get(self, id_or_prefix: str) -> Snapshot:
        """The snapshot with this id or unique id prefix, its manifest's signature checked."""
        wanted = id_or_prefix.strip().lower()
        if not wanted or not all(c in "0123456789abcdef" for c in wanted):
            raise VaultError(f"not a snapshot id: {id_or_prefix!r}")
        matches = [i for i in self.ids() if i.startswith(wanted)]
        if not matches:
            raise VaultError(f"no snapshot {id_or_prefix!r} in the vault")
        if len(matches) > 1:
            raise VaultError(f"{id_or_prefix!r} names {len(matches)} snapshots; give more of it")
        return self._load(matches[0])

    def _load(self, snapshot_id: str) -> Snapshot:
        try:
            raw = self.backend.get(_manifest_key(snapshot_id))
        except KeyError:
            raise VaultError(f"snapshot {snapshot_id}: its manifest is missing") from None
        try:
            signed = json.loads(raw)
            manifest = Manifest.from_json(signed["manifest"])
            signature = bytes.fromhex(str(signed["signature"]))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise VaultError(f"snapshot {snapshot_id}: its manifest is unreadable") from None
        try:
            self._verify_key.verify(signature, manifest.canonical())
        except InvalidSignature:
            raise VaultError(f"snapshot {snapshot_id}: its manifest's signature is bad") from None
        if not hmac.compare_digest(_snapshot_id(manifest), snapshot_id):
            raise VaultError(f"snapshot {snapshot_id}: its manifest does not match its id")
        return Snapshot(snapshot_id, manifest)

    def stream(self, snapshot: Snapshot, entry_name: str) -> Iterator[bytes]:
        """The plain bytes of one entry, chunk by chunk, each checked on the way."""
        entry = snapshot.manifest.entry(entry_name)
        whole = hashlib.sha256()
        for chunk in entry.chunks:
            plain = self._open_chunk(snapshot.id, chunk)
            whole.update(plain)
            yield plain
        if not hmac.compare_digest(whole.hexdigest(), entry.sha256):
            raise VaultError(f"snapshot {snapshot.id}: entry {entry_name} does not match")

    def read(self, snapshot: Snapshot, entry_name: str) -> bytes:
        return b"".join(self.stream(snapshot, entry_name))

    def _open_chunk(self, snapshot_id: str, chunk: Chunk) -> bytes:
        try:
            sealed = self.backend.get(_object_key(chunk.id))
        except KeyError:
            raise VaultError(f"snapshot {snapshot_id}: object {chunk.id[:16]} is missing") from None
        if not hmac.compare_digest(hashlib.sha256(sealed).hexdigest(), chunk.sealed_sha256):
            raise VaultError(f"snapshot {snapshot_id}: object {chunk.id[:16]} was altered")
        return self._sealer.open(chunk.id, sealed)

    # -- proof

    def verify(
        self, ids: Sequence[str] | None = None, *, deep: bool = True
    ) -> builtins.list[Finding]:
        """Every problem with the named snapshots (default: all): a manifest that is
        unreadable or badly signed, an object missing, altered or failing to open, an
        object or manifest the store keeps for less time than the manifest says. `deep`
        also decrypts each object and checks its content against its id."""
        findings: builtins.list[Finding] = []
        for snapshot_id in ids if ids is not None else self.ids():
            try:
                snapshot = self._load(snapshot_id)
            except VaultError as exc:
                problem = "missing" if "missing" in str(exc) else "bad-manifest"
                findings.append(Finding(snapshot_id, problem, str(exc)))
                continue
            findings += self._verify_one(snapshot, deep)
        return findings

    def _verify_one(self, snapshot: Snapshot, deep: bool) -> builtins.list[Finding]:
        out: builtins.list[Finding] = []
        until = snapshot.manifest.retain_until
        if self.backend.retained_until(_manifest_key(snapshot.id)) < until:
            out.append(
                Finding(snapshot.id, "retention", "the store keeps the manifest for less time")
            )
        seen: set[str] = set()
        for entry in snapshot.manifest.entries:
            for chunk in entry.chunks:
                if chunk.id in seen:
                    continue
                seen.add(chunk.id)
                key = _object_key(chunk.id)
                try:
                    sealed = self.backend.get(key)
                except KeyError:
                    out.append(Finding(snapshot.id, "missing", f"{entry.name}: gone", chunk.id))
                    continue
                if not hmac.compare_digest(hashlib.sha256(sealed).hexdigest(), chunk.sealed_sha256):
                    out.append(Finding(snapshot.id, "tampered", f"{entry.name}: altered", chunk.id))
                    continue
                if deep:
                    try:
                        self._sealer.open(chunk.id, sealed)
                    except VaultError as exc:
                        out.append(Finding(snapshot.id, "tampered", str(exc), chunk.id))
                        continue
                if self.backend.retained_until(key) < until:
                    out.append(
                        Finding(
                            snapshot.id,
                            "retention",
                            f"{entry.name}: the store keeps it for less time",
                            chunk.id,
                        )
                    )
        return out

    # -- retention

    def purge(self, snapshot_id: str, humans: Sequence[str]) -> builtins.list[str]:
        """Remove a snapshot past its retention date, on the word of two distinct humans
        (names already proven by the caller). Objects another live snapshot still names are
        kept. Returns the keys removed."""
        if len({h for h in humans if h}) < PURGE_HUMANS:
            raise VaultError(f"purging a snapshot takes {PURGE_HUMANS} different humans")
        snapshot = self.get(snapshot_id)
        now = self.clock()
        if snapshot.manifest.retain_until > now:
            raise RetentionError(
                f"snapshot {snapshot.id} is retained until {snapshot.manifest.retain_until}; "
                "nothing removes it before then"
            )
        live: set[str] = set()
        for other in self.list():
            if other.id != snapshot.id:
                live.update(c.id for e in other.manifest.entries for c in e.chunks)
        removed = []
        key = _manifest_key(snapshot.id)
        self.backend.delete(key)  # first: a half-purged snapshot is simply gone
        removed.append(key)
        for entry in snapshot.manifest.entries:
            for chunk in entry.chunks:
                object_key = _object_key(chunk.id)
                if chunk.id in live or not self.backend.exists(object_key):
                    continue
                self.backend.delete(object_key)
                removed.append(object_key)
        return removed


def _snapshot_id(manifest: Manifest) -> str:
    return hashlib.sha256(manifest.canonical()).hexdigest()[:ID_CHARS]
