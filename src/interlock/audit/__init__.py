"""The tamper-evident audit log: hash-chained records, signed checkpoints, a pluggable store,
and witnesses that keep the checkpoints where the log's writer cannot rewrite them."""

from interlock.audit.chain import (
    AuditRecord,
    Checkpoint,
    Finding,
    VerifyReport,
    canonical_json,
    verify_chain,
)
from interlock.audit.feed import WitnessFeed
from interlock.audit.guarantees import Guarantee, assess_guarantees
from interlock.audit.log import AuditLog
from interlock.audit.settings import witnesses_for
from interlock.audit.setup import AuditSetup, set_up_audit
from interlock.audit.signing import (
    CheckpointSigner,
    CheckpointVerifier,
    generate_signing_key,
    key_fingerprint,
)
from interlock.audit.store import AuditStore, SQLiteAuditStore
from interlock.audit.witness import (
    Entry,
    KeyPin,
    Reach,
    Witness,
    WitnessedCheckpoint,
    WitnessError,
    WitnessView,
    entry_from_json,
)
from interlock.audit.witness_file import FileWitness
from interlock.audit.witness_webhook import WebhookWitness

__all__ = [
    "AuditLog",
    "AuditRecord",
    "AuditSetup",
    "AuditStore",
    "Checkpoint",
    "CheckpointSigner",
    "CheckpointVerifier",
    "Entry",
    "FileWitness",
    "Finding",
    "Guarantee",
    "KeyPin",
    "Reach",
    "SQLiteAuditStore",
    "VerifyReport",
    "WebhookWitness",
    "Witness",
    "WitnessError",
    "WitnessFeed",
    "WitnessView",
    "WitnessedCheckpoint",
    "assess_guarantees",
    "canonical_json",
    "entry_from_json",
    "generate_signing_key",
    "key_fingerprint",
    "set_up_audit",
    "verify_chain",
    "witnesses_for",
]
