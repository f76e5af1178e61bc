"""Witnesses: places outside the agent's reach that keep a copy of every signed checkpoint.

A hash chain and signed checkpoints prove that the records *up to* a checkpoint are intact,
but whoever can write the log can also cut its tail, delete checkpoints, or (holding the
signing key) re-sign a rewritten chain. A witness holds what it was sent, append-only, where
the log's writer cannot rewrite it, so `audit verify` can compare the log with the newest
head the witness saw.

A witness keeps two kinds of entry, one JSON object a line:

    {"v": 1, "kind": "pin", "ts": …, "key": "<raw Ed25519 public key, hex>",
     "fingerprint": "sha256:…", "endorsement": "<signature by the previous key>"?}
    {"v": 1, "kind": "checkpoint", "ts": …, "seq": 57, "hash": "…", "key_id": "…",
     "signature": "…", "origin": "every" | "demand" | "timer" | "exit"}

The first pin is written by `interlock init`; a later pin for another key counts only when
the key it replaces signed it (`endorsement`), so a replaced key is seen. Implementations:
`FileWitness` (a JSONL file in a directory another OS user owns), `WebhookWitness` (POST to
a URL); the vault implements the same `Witness` protocol.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from interlock.audit.chain import Checkpoint
from interlock.audit.signing import CheckpointSigner, CheckpointVerifier, fingerprint_of_hex
from interlock.errors import AuditError

Origin = Literal["every", "demand", "timer", "exit"]
ORIGINS: tuple[Origin, ...] = ("every", "demand", "timer", "exit")
LOCAL_ORIGINS = frozenset({"every", "demand"})
"""Checkpoints that are also written to the log's own checkpoint table."""

_VERSION = 1


class WitnessError(AuditError):
    """A witness cannot be written or read."""


@dataclass(frozen=True, slots=True)
class KeyPin:
    """The public key the log's checkpoints must be signed with, from now on."""

    key: str  # raw public key, hex
    ts: str
    endorsement: str = ""

    @property
    def fingerprint(self) -> str:
        return fingerprint_of_hex(self.key)

    def to_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "v": _VERSION,
            "kind": "pin",
            "ts": self.ts,
            "key": self.key,
            "fingerprint": self.fingerprint,
        }
        if self.endorsement:
            entry["endorsement"] = self.endorsement
        return entry


@dataclass(frozen=True, slots=True)
class WitnessedCheckpoint:
    """A signed checkpoint as a witness received it, with why it was made."""

    checkpoint: Checkpoint
    origin: Origin

    def to_json(self) -> dict[str, Any]:
        c = self.checkpoint
        return {
            "v": _VERSION,
            "kind": "checkpoint",
            "ts": c.ts,
            "seq": c.seq,
            "hash": c.hash,
            "key_id": c.key_id,
            "signature": c.signature,
            "origin": self.origin,
        }


Entry = KeyPin | WitnessedCheckpoint


def entry_from_json(value: object) -> Entry:
    """One witness entry; `ValueError` naming what is wrong with it."""
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    kind = value.get("kind")
    if kind == "pin":
        key = _text(value, "key")
        try:
            bytes.fromhex(key)
        except ValueError:
            raise ValueError("key is not hex") from None
        return KeyPin(key, _text(value, "ts"), str(value.get("endorsement") or ""))
    if kind == "checkpoint":
        seq = value.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            raise ValueError("seq is not a positive integer")
        origin = value.get("origin")
        if origin not in ORIGINS:
            raise ValueError(f"unknown origin {origin!r}")
        checkpoint = Checkpoint(
            seq,
            _text(value, "hash"),
            _text(value, "ts"),
            _text(value, "key_id"),
            _text(value, "signature"),
        )
        return WitnessedCheckpoint(checkpoint, origin)
    raise ValueError(f"unknown kind {kind!r}")


def _text(value: dict[str, Any], key: str) -> str:
    found = value.get(key)
    if not isinstance(found, str):
        raise ValueError(f"{key} is missing or not a string")
    return found


def entry_line(entry: Entry) -> str:
    return json.dumps(entry.to_json(), sort_keys=True, separators=(",", ":")) + "\n"


@dataclass(slots=True)
class WitnessView:
    """What a witness holds, as read back for `audit verify`."""

    name: str
    entries: list[Entry] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)  # entries that could not be read


@dataclass(frozen=True, slots=True)
class Reach:
    """Whether the OS user running this process could rewrite a witness.

    `rewritable` is None when it cannot be known from here (a remote receiver)."""

    rewritable: bool | None
    why: str


class Witness(Protocol):
    """Append-only storage for key pins and checkpoints, out of the log writer's reach."""

    @property
    def name(self) -> str:
        """How the witness is named in messages (never with a credential in it)."""
        ...

    def append(self, entry: Entry) -> None:
        """Keep one entry for good; `WitnessError` when it could not be written."""
        ...

    def read(self) -> WitnessView | None:
        """Everything held, in the order received; None for a write-only witness;
        `WitnessError` when it should be readable and is not."""
        ...

    def reach(self) -> Reach:
        """Whether the current OS user could rewrite what this witness holds."""
        ...


# --- key pins -----------------------------------------------------------------------------


@dataclass(slots=True)
class PinChain:
    """The key in force after reading a witness's pins in order, and the pins refused."""

    verifier: CheckpointVerifier | None = None
    refused: list[str] = field(default_factory=list)
    accepted: list[CheckpointVerifier] = field(default_factory=list)  # in force, in turn

    @property
    def fingerprint(self) -> str:
        return self.verifier.fingerprint if self.verifier is not None else ""

    def accept(self, pin: KeyPin) -> bool:
        """Take `pin` if it is the first, the same key, or endorsed by the key in force."""
        candidate = CheckpointVerifier.from_hex(pin.key)
        if candidate is None:
            self.refused.append(f"a pin holds no valid Ed25519 public key ({pin.ts})")
            return False
        if self.verifier is None or self.verifier.public_hex == candidate.public_hex:
            if self.verifier is None:
                self.verifier = candidate
                self.accepted.append(candidate)
            return True
        if pin.endorsement and self.verifier.endorsed(candidate.public_hex, pin.endorsement):
            self.verifier = candidate
            self.accepted.append(candidate)
            return True
        self.refused.append(
            f"a pin of another key ({candidate.fingerprint}, {pin.ts}) was not signed by the "
            f"pinned key ({self.verifier.fingerprint}): it is ignored"
        )
        return False


def pinned_key(view: WitnessView) -> PinChain:
    chain = PinChain()
    for entry in view.entries:
        if isinstance(entry, KeyPin):
            chain.accept(entry)
    return chain


def pin_key(
    witness: Witness,
    signer: CheckpointSigner,
    ts: str,
    *,
    previous: CheckpointSigner | None = None,
) -> str:
    """Pin `signer`'s key in `witness` (at init). Returns what was done, for the user.

    Refuses (`WitnessError`) to pin a key other than the one the witness already pins unless
    `previous`, the pinned key, vouches for it: that is exactly the replacement to catch.
    """
    pin = KeyPin(signer.public_hex, ts)
    view = witness.read()
    if view is None:  # write-only: it keeps whatever arrives; pin (again) to be sure
        witness.append(pin if previous is None else KeyPin(pin.key, ts, previous.endorse(pin.key)))
        return f"pinned {pin.fingerprint} in {witness.name}"
    chain = pinned_key(view)
    if chain.verifier is None:
        witness.append(pin)
        return f"pinned {pin.fingerprint} in {witness.name}"
    if chain.verifier.public_hex == pin.key:
        return f"{witness.name} already pins {pin.fingerprint}"
    if previous is not None and previous.public_hex == chain.verifier.public_hex:
        witness.append(KeyPin(pin.key, ts, previous.endorse(pin.key)))
        return f"pinned {pin.fingerprint} in {witness.name} (endorsed by {previous.fingerprint})"
    raise WitnessError(
        f"{witness.name} pins another audit key ({chain.fingerprint}), not "
        f"{pin.fingerprint}: the signing key was replaced without the pinned key's "
        "endorsement; run `interlock audit verify`"
    )
