"""`interlock init`'s part of the audit log: pin the signing key and set up the witnesses.

The key's fingerprint goes into interlock.toml (`[audit] key_fingerprint`) and, as the
first entry, into every witness. Running init again changes nothing that is pinned; a new
key (`init --force`) is pinned in a witness only with the old key's endorsement, and a
config that pins another key than the one on disk is refused: that is a replaced key, for
`audit verify` to report, not for init to paper over.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from interlock.audit.settings import ConfigValue, set_config_keys
from interlock.audit.signing import CheckpointSigner, CheckpointVerifier
from interlock.audit.witness import Witness, pin_key
from interlock.audit.witness_file import FileWitness
from interlock.audit.witness_webhook import WebhookWitness
from interlock.config import AuditSettings, read_config
from interlock.errors import ConfigError

DEFAULT_WITNESS_DIR = "witness"


@dataclass(slots=True)
class AuditSetup:
    """What init asks for, and what it did (messages for the user)."""

    witness_dir: Path | None = None
    webhook: str = ""
    witness_owner: str = ""
    previous_key: CheckpointSigner | None = None  # the key `--force` replaced
    previous_settings: AuditSettings | None = None  # the [audit] `--force` overwrote
    done: list[str] = field(default_factory=list)


def set_up_audit(
    config_path: Path, signing_key: Path, public_key: Path, setup: AuditSetup
) -> AuditSetup:
    signer = CheckpointSigner.from_file(signing_key)
    if CheckpointVerifier.from_file(public_key).fingerprint != signer.fingerprint:
        raise ConfigError(
            f"{public_key} is not the public half of {signing_key}: the public key was "
            "replaced; run `interlock audit verify`"
        )
    settings = read_config(config_path).audit
    before = setup.previous_settings or AuditSettings()
    pinned = settings.key_fingerprint or before.key_fingerprint
    previous = setup.previous_key
    replaced = pinned and pinned != signer.fingerprint
    if replaced and (previous is None or previous.fingerprint != pinned):
        raise ConfigError(
            f"{config_path} pins the audit key {pinned}, but {signing_key} is "
            f"{signer.fingerprint}: the signing key was replaced; run "
            "`interlock audit verify` (or restore the pinned key)"
        )
    directory = (
        setup.witness_dir.resolve()
        if setup.witness_dir is not None
        else settings.witness_directory or before.witness_directory
    )
    webhook = setup.webhook or settings.webhook or before.webhook
    witnesses: list[Witness] = []
    file_witness = FileWitness(directory or config_path.parent / DEFAULT_WITNESS_DIR)
    file_witness.create(setup.witness_owner or None)
    witnesses.append(file_witness)
    if webhook:
        witnesses.append(WebhookWitness(webhook, readable=settings.webhook_read))
    ts = datetime.now(UTC).isoformat(timespec="microseconds")
    endorser = previous if previous and previous.fingerprint != signer.fingerprint else None
    for witness in witnesses:
        setup.done.append(pin_key(witness, signer, ts, previous=endorser))
    audit_keys: dict[str, ConfigValue] = {"key_fingerprint": signer.fingerprint}
    witness_keys: dict[str, ConfigValue] = {}
    if setup.witness_dir is not None or settings.witness_directory is None:
        witness_keys["directory"] = str(directory) if directory else DEFAULT_WITNESS_DIR
    if webhook and webhook != settings.webhook:
        witness_keys["webhook"] = webhook
    original = config_path.read_text()
    text = set_config_keys(original, "audit", audit_keys)
    if witness_keys:
        text = set_config_keys(text, "audit.witness", witness_keys)
    if text != original:
        config_path.write_text(text)
        try:
            read_config(config_path).check("audit")
        except ConfigError:
            config_path.write_text(original)
            raise
        setup.done.append(f"pinned {signer.fingerprint} in {config_path}")
    return setup
