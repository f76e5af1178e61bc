"""The tamper-evident audit log: hash-chained records, signed checkpoints, pluggable store."""

from interlock.audit.chain import (
    AuditRecord,
    Checkpoint,
    VerifyReport,
    canonical_json,
    verify_chain,
)
from interlock.audit.log import AuditLog
from interlock.audit.signing import CheckpointSigner, CheckpointVerifier, generate_signing_key
from interlock.audit.store import AuditStore, SQLiteAuditStore

__all__ = [
    "AuditLog",
    "AuditRecord",
    "AuditStore",
    "Checkpoint",
    "CheckpointSigner",
    "CheckpointVerifier",
    "SQLiteAuditStore",
    "VerifyReport",
    "canonical_json",
    "generate_signing_key",
    "verify_chain",
]
