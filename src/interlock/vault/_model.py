"""What the vault stores, as plain data: manifests, their entries and chunks, and findings.

A snapshot is one signed manifest naming its content: entries (a table's dump, a patch, a
file), each a list of chunks; a chunk is one content-addressed, compressed and encrypted
object. The manifest is the unit of retention: its objects live at least as long as it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

FORMAT = 1


class VaultError(Exception):
    """A vault operation failed; the message names what and why, never a secret."""


class RetentionError(VaultError):
    """Something would end a snapshot's retention early (never done)."""


@dataclass(frozen=True, slots=True)
class Chunk:
    """One stored object: `id` (keyed hash of the plain bytes), their size, and the SHA-256
    of the sealed bytes as stored (so a verifier sees tampering before decrypting)."""

    id: str
    size: int
    sealed_sha256: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "size": self.size, "sealed_sha256": self.sealed_sha256}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Chunk:
        return cls(str(data["id"]), int(data["size"]), str(data["sealed_sha256"]))


@dataclass(frozen=True, slots=True)
class Entry:
    """One named stream of a snapshot, with what its producer knows about it (`meta`: for a
    table, its row count and checksum, which a drill compares after restoring)."""

    name: str
    size: int
    sha256: str  # of the whole plain stream
    chunks: tuple[Chunk, ...]
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "size": self.size,
            "sha256": self.sha256,
            "chunks": [c.to_json() for c in self.chunks],
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Entry:
        return cls(
            str(data["name"]),
            int(data["size"]),
            str(data["sha256"]),
            tuple(Chunk.from_json(c) for c in data["chunks"]),
            dict(data.get("meta") or {}),
        )


@dataclass(frozen=True, slots=True)
class Manifest:
    """What one snapshot holds, where it came from, and until when it must be kept."""

    kind: str  # pg | files | audit | …: which restorer understands it
    resource: str
    created_at: int
    retain_until: int
    entries: tuple[Entry, ...]
    labels: dict[str, Any] = field(default_factory=dict)  # audit_seq, operation, tables, …
    key: str = ""  # fingerprint of the signing key
    format: int = FORMAT

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "kind": self.kind,
            "resource": self.resource,
            "created_at": self.created_at,
            "retain_until": self.retain_until,
            "labels": self.labels,
            "key": self.key,
            "entries": [e.to_json() for e in self.entries],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        return cls(
            kind=str(data["kind"]),
            resource=str(data["resource"]),
            created_at=int(data["created_at"]),
            retain_until=int(data["retain_until"]),
            entries=tuple(Entry.from_json(e) for e in data["entries"]),
            labels=dict(data.get("labels") or {}),
            key=str(data.get("key", "")),
            format=int(data.get("format", FORMAT)),
        )

    def canonical(self) -> bytes:
        """The bytes that are signed and hashed into the snapshot's id."""
        return json.dumps(self.to_json(), sort_keys=True, separators=(",", ":")).encode()

    @property
    def size(self) -> int:
        return sum(e.size for e in self.entries)

    def entry(self, name: str) -> Entry:
        for entry in self.entries:
            if entry.name == name:
                return entry
        raise VaultError(f"the snapshot has no entry {name!r}")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A manifest under its id, as `list` and `get` return it."""

    id: str
    manifest: Manifest

    def summary(self) -> dict[str, Any]:
        m = self.manifest
        return {
            "id": self.id,
            "kind": m.kind,
            "resource": m.resource,
            "created_at": m.created_at,
            "retain_until": m.retain_until,
            "bytes": m.size,
            "entries": len(m.entries),
            "labels": m.labels,
        }


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem `verify` found: which snapshot, which object, what is wrong."""

    snapshot: str
    problem: str  # missing | tampered | bad-signature | unreadable | retention
    detail: str
    object: str = ""

    def to_json(self) -> dict[str, str]:
        return {
            "snapshot": self.snapshot,
            "object": self.object,
            "problem": self.problem,
            "detail": self.detail,
        }
