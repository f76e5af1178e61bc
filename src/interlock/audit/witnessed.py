"""Comparing the log with what its witnesses hold: the part of `audit verify` that proves
the tail.

Pure: it gets the chain walk's report (with the record hashes at the sequence numbers it was
asked to keep), the log's own checkpoints, what each witness returned, the public key file's
verifier and the fingerprint interlock.toml pins, and adds findings and warnings:

- the key: `.pub`, the config's pin and each witness's pin must name the same key;
- every checkpoint a witness holds must be signed by the key that witness pins and must match
  the log's record at its sequence number: a mismatch is a rewritten range, a checkpoint
  past the log's end a missing range (truncation);
- a checkpoint the log wrote to its own table and to the witness must still be in the table;
- records after the newest witnessed checkpoint are reported (a warning: the unwitnessed
  tail is what no one can vouch for yet).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from interlock.audit.chain import Checkpoint, VerifyReport
from interlock.audit.signing import CheckpointVerifier
from interlock.audit.witness import (
    LOCAL_ORIGINS,
    KeyPin,
    PinChain,
    WitnessedCheckpoint,
    WitnessView,
)


@dataclass(frozen=True, slots=True)
class WitnessReading:
    """One witness as `verify` found it: what it holds, or why it could not be read."""

    name: str
    view: WitnessView | None  # None: write-only, or unreadable (then `error` says why)
    error: str = ""


@dataclass(frozen=True, slots=True)
class _Seen:
    seq: int
    hash: str
    origin: str
    witness: str


def wanted_seqs(readings: Sequence[WitnessReading]) -> set[int]:
    """The record hashes the chain walk must keep for `compare_with_witnesses`."""
    return {
        entry.checkpoint.seq
        for reading in readings
        if reading.view is not None
        for entry in reading.view.entries
        if isinstance(entry, WitnessedCheckpoint)
    }


def compare_with_witnesses(
    report: VerifyReport,
    readings: Sequence[WitnessReading],
    local: Sequence[Checkpoint],
    *,
    public_key: CheckpointVerifier | None,
    config_pin: str,
) -> None:
    if public_key is not None and config_pin and public_key.fingerprint != config_pin:
        report.add(
            "key_replaced",
            f"keys/audit-signing.pub ({_short(public_key.fingerprint)}) is not the key pinned "
            f"in interlock.toml ({_short(config_pin)}): the public key was replaced",
        )
    if not config_pin:
        report.warnings.append(
            "interlock.toml pins no audit key ([audit] key_fingerprint): a replaced "
            "keys/audit-signing.pub is caught only by a witness; `interlock init` pins it"
        )
    if not readings:
        report.warnings.append(
            "no witness is configured ([audit.witness]): cutting the tail, deleting "
            "checkpoints or re-signing with the home's key cannot be detected"
        )
    seen: list[_Seen] = []
    for reading in readings:
        seen += _read_one(report, reading, public_key, config_pin)
    if not seen:
        if not report.witnessed and readings:
            report.warnings.append("no witness could be compared with the log")
        elif report.head:
            report.warnings.append(
                f"none of the {report.head} records is witnessed yet: they could be removed "
                "without trace"
            )
        return
    _compare_heads(report, seen)
    _find_deleted_checkpoints(report, seen, local)
    _find_unwitnessed_checkpoints(report, seen, local)
    if report.unwitnessed_tail:
        report.warnings.append(
            f"{report.unwitnessed_tail} record(s) after the last witnessed checkpoint "
            f"(seq {report.witnessed_through}) are not witnessed yet: they could be removed "
            "without trace"
        )


def _read_one(
    report: VerifyReport,
    reading: WitnessReading,
    public_key: CheckpointVerifier | None,
    config_pin: str,
) -> list[_Seen]:
    name = reading.name
    summary: dict[str, object] = {"name": name, "readable": reading.view is not None}
    report.witnesses.append(summary)
    if reading.error:
        report.add("witness_unreadable", f"{reading.error}: the tail cannot be proven")
        summary["error"] = reading.error
        return []
    if reading.view is None:
        report.warnings.append(
            f"{name} is write-only (webhook_read = false): its copy must be compared by hand "
            "(`interlock audit export`)"
        )
        return []
    report.witnessed = True
    for damage in reading.view.damaged:
        report.add("witness_damaged", f"{name}: an entry cannot be read ({damage})")
    chain = PinChain()
    found: list[_Seen] = []
    forged: list[int] = []
    for entry in reading.view.entries:
        if isinstance(entry, KeyPin):
            chain.accept(entry)
            continue
        verifier = chain.verifier or public_key
        checkpoint = entry.checkpoint
        if verifier is None or not verifier(checkpoint):
            forged.append(checkpoint.seq)
            continue
        found.append(_Seen(checkpoint.seq, checkpoint.hash, entry.origin, name))
    for refused in chain.refused:
        report.add("witness_pin_refused", f"{name}: {refused}")
    if chain.verifier is None:
        report.add(
            "witness_unpinned",
            f"{name} pins no audit key: it was not set up by `interlock init`, or emptied",
        )
    else:
        summary["pinned"] = chain.fingerprint
        if public_key is not None and public_key.fingerprint != chain.fingerprint:
            report.add(
                "key_replaced",
                f"keys/audit-signing.pub ({_short(public_key.fingerprint)}) is not the key "
                f"{name} pinned ({_short(chain.fingerprint)}): the public key was replaced",
            )
        elif config_pin and config_pin != chain.fingerprint:
            report.add(
                "key_replaced",
                f"interlock.toml pins {_short(config_pin)} but {name} pinned "
                f"{_short(chain.fingerprint)}: the pin in interlock.toml was changed",
            )
    if forged:
        shown = ", ".join(str(s) for s in forged[:5]) + (" …" if len(forged) > 5 else "")
        report.add(
            "witness_forged",
            f"{name} holds {len(forged)} checkpoint(s) the pinned key did not sign "
            f"(seq {shown}): something other than this log wrote to the witness",
            min(forged),
        )
    summary["checkpoints"] = len(found)
    summary["newest"] = max((s.seq for s in found), default=0)
    return found


def _compare_heads(report: VerifyReport, seen: list[_Seen]) -> None:
    seen.sort(key=lambda s: s.seq)
    newest = seen[-1]
    report.witnessed_through = newest.seq
    matched = 0
    mismatched: list[_Seen] = []
    for item in seen:
        if item.seq > report.head:
            continue
        held = report.hashes.get(item.seq)
        if held is None:
            continue  # a record deleted from the middle: the chain walk names it
        if held == item.hash:
            if not mismatched:
                matched = item.seq
        else:
            mismatched.append(item)
    if mismatched:
        first = mismatched[0]
        held = report.hashes[first.seq]
        start = matched + 1
        span = f"record {start} was" if start == first.seq else f"records {start}–{first.seq} were"
        still = f"; the checkpoint at seq {matched} still matches" if matched else ""
        later = len({m.seq for m in mismatched}) - 1
        more = f"; {later} later witnessed checkpoint(s) differ too" if later else ""
        report.add(
            "rewritten",
            f"{span} rewritten: {first.witness} saw a checkpoint at seq {first.seq} "
            f"with head {first.hash[:16]}…, the log's record {first.seq} has "
            f"{held[:16]}…{still}{more}",
            start,
            first.seq,
        )
    if newest.seq > report.head:
        start = report.head + 1
        span = (
            f"record {newest.seq} is"
            if start == newest.seq
            else f"records {start}–{newest.seq} are"
        )
        report.add(
            "truncated",
            f"{span} missing: {newest.witness} saw a checkpoint at seq {newest.seq} with head "
            f"{newest.hash[:16]}…; the log ends at record {report.head}",
            start,
            newest.seq,
        )


def _find_deleted_checkpoints(
    report: VerifyReport, seen: list[_Seen], local: Sequence[Checkpoint]
) -> None:
    kept = {c.seq for c in local}
    gone = sorted({s.seq for s in seen if s.origin in LOCAL_ORIGINS and s.seq not in kept})
    if gone:
        shown = ", ".join(str(s) for s in gone[:8]) + (" …" if len(gone) > 8 else "")
        report.add(
            "checkpoint_deleted",
            f"{len(gone)} checkpoint(s) were deleted from the log (seq {shown}): the witness "
            "holds them",
            gone[0],
            gone[-1],
        )


def _find_unwitnessed_checkpoints(
    report: VerifyReport, seen: list[_Seen], local: Sequence[Checkpoint]
) -> None:
    """Checkpoints of the log's table after the first witnessed one that no witness holds:
    the witness was down then, or lines were removed from it (a warning: either way those
    heads are not proven)."""
    witnessed = {s.seq for s in seen}
    since = min(witnessed)
    missing = sorted(c.seq for c in local if c.seq > since and c.seq not in witnessed)
    if missing:
        shown = ", ".join(str(s) for s in missing[:8]) + (" …" if len(missing) > 8 else "")
        report.warnings.append(
            f"no witness holds the log's checkpoint(s) at seq {shown}: a witness was "
            "unreachable then, or entries were removed from it"
        )


def _short(fingerprint: str) -> str:
    return fingerprint[:23] + "…" if len(fingerprint) > 24 else fingerprint
