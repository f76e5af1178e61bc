"""The audit log: decisions recorded before anything is forwarded, outcomes after.

Records are never updated in place; an outcome is a new record that points at its decision
(`decision_seq`), so the chain stays append-only. Checkpoints go to the log's own table
and, through a `WitnessFeed`, to witnesses the log's writer cannot rewrite (witness.py).

Payloads are not stored: a keyed HMAC of the payload lets an operator see that two records
concern the same input without the log ever holding its text, and action details come from
classifiers, which keep credentials out.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from threading import Lock
from typing import Any

from interlock.audit.chain import (
    AuditRecord,
    Checkpoint,
    VerifyReport,
    canonical_json,
    make_record,
    verify_chain,
)
from interlock.audit.feed import WitnessFeed
from interlock.audit.signing import CheckpointSigner, CheckpointVerifier
from interlock.audit.store import AuditStore, MakeRecord
from interlock.audit.witness import Origin, Witness, WitnessError, pinned_key
from interlock.audit.witnessed import WitnessReading, compare_with_witnesses, wanted_seqs
from interlock.model import Agent, Decision, Principal, Resource
from interlock.redact import redact_value

Clock = Callable[[], datetime]

_DEFER_LIMIT = 256  # deferred records written at once at the latest


def _utc_now() -> datetime:
    return datetime.now(UTC)


class AuditLog:
    """Appends hash-chained records to a store, signs checkpoints every N records, and has
    the witnesses keep every checkpoint (and the newest head within `checkpoint_interval`
    seconds, and at exit)."""

    def __init__(
        self,
        store: AuditStore,
        *,
        signer: CheckpointSigner | None = None,
        hmac_key: bytes = b"",
        checkpoint_every: int = 100,
        clock: Clock = _utc_now,
        witnesses: Sequence[Witness] = (),
        checkpoint_interval: float = 5.0,
        key_pin: str = "",
    ) -> None:
        self.store = store
        self.signer = signer
        self._hmac_key = hmac_key
        self.checkpoint_every = checkpoint_every
        self._clock = clock
        self.witnesses = list(witnesses)
        self.key_pin = key_pin
        self._deferred: list[MakeRecord] = []
        self._deferred_lock = Lock()
        self.feed = (
            WitnessFeed(
                signer,
                self.witnesses,
                interval=checkpoint_interval,
                now_iso=lambda: self._clock().isoformat(timespec="microseconds"),
            )
            if signer is not None and self.witnesses
            else None
        )

    def append(self, type_: str, body: Mapping[str, Any]) -> AuditRecord:
        """Write a record now (with any deferred ones before it, in the same transaction)."""
        return self._write([self._maker(type_, body)])[-1]

    def append_all(self, items: list[tuple[str, Mapping[str, Any]]]) -> list[AuditRecord]:
        """Write several records now, in order, in one transaction (group commit)."""
        if not items:
            return []
        return self._write([self._maker(t, b) for t, b in items])[-len(items) :]

    def defer(self, type_: str, body: Mapping[str, Any]) -> None:
        """Queue a record that need not be durable before anything else happens (an outcome
        after the response went out): it is written with the next `append` or `flush`,
        sharing that transaction, so a proxy pays one commit per request, not two."""
        maker = self._maker(type_, body)
        with self._deferred_lock:
            self._deferred.append(maker)
            full = len(self._deferred) >= _DEFER_LIMIT
        if full:
            self.flush()

    def flush(self) -> None:
        """Write the deferred records now (idle timers, shutdown)."""
        self._write([])

    def _maker(self, type_: str, body: Mapping[str, Any]) -> MakeRecord:
        clean = redact_value(dict(body))
        ts = self._clock().isoformat(timespec="microseconds")
        body_json = canonical_json(clean)  # outside the store's write lock
        return lambda seq, prev: make_record(seq, ts, type_, clean, prev, body_json)

    def _write(self, makers: list[MakeRecord]) -> list[AuditRecord]:
        with self._deferred_lock:
            pending, self._deferred = self._deferred, []
        if not pending and not makers:
            return []
        try:
            records = self.store.append_many(pending + makers)
        except BaseException:
            with self._deferred_lock:  # keep them for the next attempt
                self._deferred[:0] = pending
            raise
        if self.signer is not None:
            for record in records:
                if record.seq % self.checkpoint_every == 0:
                    self._sign(record, "every")
        if self.feed is not None and records:
            self.feed.written(records[-1].seq, records[-1].hash)
        return records

    def record_decision(
        self,
        *,
        principal: Principal,
        resource: Resource,
        kind: str,
        payload: object,
        decision: Decision,
        source: str = "",
    ) -> AuditRecord:
        """Write a decision before the action it concerns is forwarded (or refused)."""
        return self.append(
            "decision",
            self.decision_body(
                principal=principal,
                resource=resource,
                kind=kind,
                payload=payload,
                decision=decision,
                source=source,
            ),
        )

    def decision_body(
        self,
        *,
        principal: Principal,
        resource: Resource,
        kind: str,
        payload: object,
        decision: Decision,
        source: str = "",
    ) -> dict[str, Any]:
        """The body of a decision record (for writers that batch their appends)."""
        body: dict[str, Any] = {
            "principal": _principal_json(principal),
            "resource": {"name": resource.name, "environment": resource.environment},
            "kind": kind,
            "payload_hmac": self.fingerprint(payload),
            "decision": decision.to_json(),
        }
        if source:
            body["source"] = source
        return body

    def record_outcome(
        self, decision_seq: int, outcome: str, detail: Mapping[str, Any] | None = None
    ) -> AuditRecord:
        """Complete a decision with what happened: forwarded, failed, cancelled, …"""
        body = {"decision_seq": decision_seq, "outcome": outcome, **(detail or {})}
        return self.append("outcome", body)

    def defer_outcome(
        self, decision_seq: int, outcome: str, detail: Mapping[str, Any] | None = None
    ) -> None:
        """`record_outcome`, written with the next record or flush (see `defer`)."""
        self.defer("outcome", {"decision_seq": decision_seq, "outcome": outcome, **(detail or {})})

    def fingerprint(self, payload: object) -> str:
        """A keyed digest of a payload: equal payloads match, the text is not recoverable."""
        text = payload if isinstance(payload, str) else canonical_json(payload)
        return hmac.new(self._hmac_key, text.encode(), hashlib.sha256).hexdigest()

    def checkpoint(self) -> Checkpoint | None:
        """Sign the current head now (at exit, before a verify, on demand)."""
        self.flush()
        head = self.store.head()
        if head is None or self.signer is None:
            return None
        existing = self.store.checkpoints()
        if existing and existing[-1].seq == head.seq and existing[-1].hash == head.hash:
            return existing[-1]
        return self._sign(head, "demand")

    def close(self) -> None:
        """Write what is deferred, have the witnesses keep the newest head, close the store."""
        self.flush()
        if self.feed is not None:
            self.feed.close()
        self.store.close()

    def _sign(self, record: AuditRecord, origin: Origin) -> Checkpoint:
        assert self.signer is not None
        checkpoint = Checkpoint(
            seq=record.seq,
            hash=record.hash,
            ts=self._clock().isoformat(timespec="microseconds"),
            key_id=self.signer.key_id,
            signature=self.signer.sign(record.seq, record.hash),
        )
        self.store.add_checkpoint(checkpoint)
        if self.feed is not None:
            self.feed.signed(checkpoint, origin)
        return checkpoint

    def records(self, after_seq: int = 0) -> Iterator[AuditRecord]:
        self.flush()
        return self.store.records(after_seq)

    def verify(self, verifier: CheckpointVerifier | None) -> VerifyReport:
        """Check the chain, the signed checkpoints, the pinned key and, against every
        witness, the tail (see witnessed.py)."""
        self.flush()
        readings = [_reading(w) for w in self.witnesses]
        local = self.store.checkpoints()
        report = verify_chain(
            self.store.records(),
            local,
            _by_key_id(verifier, readings),
            keep=wanted_seqs(readings),
        )
        compare_with_witnesses(
            report, readings, local, public_key=verifier, config_pin=self.key_pin
        )
        return report


def _by_key_id(
    verifier: CheckpointVerifier | None, readings: list[WitnessReading]
) -> Callable[[Checkpoint], bool] | None:
    """Checks a checkpoint of the log's table with the key it names: `.pub`, or a key a
    witness pinned before a rotation (`init --force`), so older checkpoints still verify.
    A key nobody pinned signs nothing."""
    if verifier is None:
        return None
    keys = {verifier.key_id: verifier}
    for reading in readings:
        if reading.view is not None:
            for key in pinned_key(reading.view).accepted:
                keys.setdefault(key.key_id, key)

    def check(checkpoint: Checkpoint) -> bool:
        found = keys.get(checkpoint.key_id)
        return found is not None and found(checkpoint)

    return check


def _reading(witness: Witness) -> WitnessReading:
    try:
        return WitnessReading(witness.name, witness.read())
    except WitnessError as exc:
        return WitnessReading(witness.name, None, str(exc))


def _principal_json(principal: Principal) -> dict[str, str]:
    if isinstance(principal, Agent):
        return {"type": "agent", "name": principal.name, "id": principal.id}
    return {"type": "human", "name": principal.name}
