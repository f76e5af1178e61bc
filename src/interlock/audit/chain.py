"""Audit records and the hash chain that makes editing, deleting, inserting or reordering
any of them detectable.

Each record's hash covers its sequence number, time, type, body and the previous record's
hash. Periodic checkpoints sign (sequence, hash) of the head with an Ed25519 key, so even
someone who rewrites the whole chain consistently cannot forge the checkpoints without it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

GENESIS = "0" * 64


def canonical_json(value: object) -> str:
    """The one serialisation hashes are computed over: sorted keys, no spaces."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One appended fact: a decision, the outcome of a forwarded action, or an event."""

    seq: int
    ts: str
    type: str
    body: Mapping[str, Any]
    prev: str
    hash: str
    # The body's canonical JSON, when the writer already has it (stored as is, not hashed
    # separately); not part of the record's identity.
    body_json: str = field(default="", compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "ts": self.ts,
            "type": self.type,
            "body": dict(self.body),
            "prev": self.prev,
            "hash": self.hash,
        }


def record_hash(seq: int, ts: str, type_: str, body: Mapping[str, Any], prev: str) -> str:
    return _hash(seq, ts, type_, canonical_json(body), prev)


def _hash(seq: int, ts: str, type_: str, body_json: str, prev: str) -> str:
    # Exactly canonical_json({"body", "prev", "seq", "ts", "type"}) (keys sorted), built
    # around the body's JSON so that a record's body is serialised once.
    def text(value: str) -> str:
        return json.dumps(value, ensure_ascii=False)

    material = (
        f'{{"body":{body_json},"prev":{text(prev)},"seq":{int(seq)},'
        f'"ts":{text(ts)},"type":{text(type_)}}}'
    )
    return hashlib.sha256(material.encode()).hexdigest()


def make_record(
    seq: int,
    ts: str,
    type_: str,
    body: Mapping[str, Any],
    prev: str,
    body_json: str | None = None,
) -> AuditRecord:
    if body_json is None:
        body_json = canonical_json(body)
    digest = _hash(seq, ts, type_, body_json, prev)
    return AuditRecord(seq, ts, type_, body, prev, digest, body_json)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signature over the chain head at `seq`: proof of everything up to it."""

    seq: int
    hash: str
    ts: str
    key_id: str
    signature: str

    def message(self) -> bytes:
        return checkpoint_message(self.seq, self.hash)


def checkpoint_message(seq: int, head_hash: str) -> bytes:
    return f"interlock-audit-checkpoint\0{seq}\0{head_hash}".encode()


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem `audit verify` found, with the records it concerns (`first`..`last`)."""

    kind: str
    message: str
    first: int | None = None
    last: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "first": self.first, "last": self.last}


@dataclass(slots=True)
class VerifyReport:
    """What `audit verify` found: problems named by record, and how much is signed and
    witnessed."""

    records: int = 0
    head: int = 0  # the newest record's sequence number
    checkpoints: int = 0
    signed_through: int = 0
    witnessed_through: int = 0
    witnessed: bool = False  # a witness was read and compared with the log
    findings: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    witnesses: list[dict[str, Any]] = field(default_factory=list)
    hashes: dict[int, str] = field(default_factory=dict, repr=False)  # at checkpoint seqs

    def add(
        self, kind: str, message: str, first: int | None = None, last: int | None = None
    ) -> None:
        self.findings.append(Finding(kind, message, first, last if last is not None else first))

    @property
    def problems(self) -> list[str]:
        """The findings' messages, the earliest records first."""
        return [f.message for f in self.ordered()]

    def ordered(self) -> list[Finding]:
        return sorted(self.findings, key=lambda f: (f.first is None, f.first or 0))

    @property
    def first_bad(self) -> int | None:
        """The lowest record any finding names (None: none, or only whole-log findings)."""
        firsts = [f.first for f in self.findings if f.first is not None]
        return min(firsts) if firsts else None

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def unsigned_tail(self) -> int:
        return max(0, self.records - self.signed_through)

    @property
    def unwitnessed_tail(self) -> int:
        """Records after the newest checkpoint a witness holds (all of them: no witness)."""
        return max(0, self.head - self.witnessed_through)


def verify_chain(
    records: Iterable[AuditRecord],
    checkpoints: Iterable[Checkpoint],
    verify_signature: Any,
    *,
    keep: Collection[int] = (),
) -> VerifyReport:
    """Walk the chain in sequence order and check every link and every checkpoint.

    `verify_signature(checkpoint) -> bool` checks one checkpoint's signature (None when no
    public key is available, in which case checkpoints are reported as unverifiable). The
    report keeps the record hashes at the checkpoints' sequence numbers and at `keep`.
    """
    report = VerifyReport()
    checkpoints = list(checkpoints)
    wanted = {c.seq for c in checkpoints} | set(keep)
    expected_seq = 1
    prev_hash = GENESIS
    for record in records:
        report.records += 1
        report.head = max(report.head, record.seq)
        if record.seq != expected_seq:
            if record.seq > expected_seq:
                missing = (
                    f"record {expected_seq}"
                    if record.seq == expected_seq + 1
                    else f"records {expected_seq}–{record.seq - 1}"
                )
                report.add(
                    "missing",
                    f"{missing} missing: deleted from the log",
                    expected_seq,
                    record.seq - 1,
                )
            else:
                report.add(
                    "out_of_order",
                    f"record {record.seq} appears out of order after record {expected_seq - 1}",
                    record.seq,
                )
        recomputed = record_hash(record.seq, record.ts, record.type, record.body, record.prev)
        if recomputed != record.hash:
            report.add(
                "edited",
                f"record {record.seq} was edited: its content no longer matches its hash",
                record.seq,
            )
        elif record.prev != prev_hash and record.seq == expected_seq:
            report.add(
                "broken_link",
                f"record {record.seq} does not follow record {record.seq - 1}: "
                "the chain was broken (a record inserted, reordered or rewritten)",
                record.seq,
            )
        if record.seq in wanted:
            report.hashes[record.seq] = record.hash
        prev_hash = record.hash
        expected_seq = record.seq + 1
    for checkpoint in checkpoints:
        report.checkpoints += 1
        if verify_signature is None:
            report.add(
                "unverifiable",
                f"checkpoint at record {checkpoint.seq} cannot be verified: no public key",
                checkpoint.seq,
            )
            continue
        if not verify_signature(checkpoint):
            report.add(
                "bad_signature",
                f"checkpoint at record {checkpoint.seq} has an invalid signature (forged or "
                "signed with another key)",
                checkpoint.seq,
            )
            continue
        held = report.hashes.get(checkpoint.seq)
        if held is None:
            report.add(
                "truncated",
                f"checkpoint at record {checkpoint.seq} signs a record that is no longer in "
                "the log: records were deleted from the end",
                min(checkpoint.seq, report.head + 1),
                checkpoint.seq,
            )
        elif held != checkpoint.hash:
            report.add(
                "rewritten",
                f"records up to {checkpoint.seq} were rewritten: they no longer match the "
                "signed checkpoint",
                checkpoint.seq,
            )
        else:
            report.signed_through = max(report.signed_through, checkpoint.seq)
    return report
