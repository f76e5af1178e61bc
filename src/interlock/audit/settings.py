"""`[audit]` in interlock.toml: checkpoints, the pinned key and the witnesses.

    [audit]
    checkpoint_every = 100         # sign the head every N records ...
    checkpoint_interval = 5        # ... and N seconds after a record no checkpoint covers
    key_fingerprint = "sha256:…"   # the signing key, pinned by `interlock init`

    [audit.witness]
    directory = "witness"          # a file witness (relative to this file, or absolute)
    webhook = "https://…"          # a webhook witness
    webhook_read = true            # `audit verify` reads the webhook back with GET

`interlock init` writes the pin and the witness; `set_config_keys` edits the file's text in
place (keeping the operator's comments), so no TOML writer is needed.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interlock.audit.witness import Witness
from interlock.audit.witness_file import FileWitness
from interlock.audit.witness_webhook import WebhookWitness
from interlock.errors import ConfigError

ConfigValue = str | bool | int | float
_FINGERPRINT = re.compile(r"sha256:[0-9a-f]{64}")
_AUDIT_KEYS = {"checkpoint_every", "checkpoint_interval", "key_fingerprint", "witness"}
_WITNESS_KEYS = {"directory", "webhook", "webhook_read"}


@dataclass(frozen=True, slots=True)
class AuditSettings:
    checkpoint_every: int = 100
    checkpoint_interval: float = 5.0
    key_fingerprint: str = ""
    witness_directory: Path | None = None
    webhook: str = ""
    webhook_read: bool = True

    def witnesses(self) -> list[Witness]:
        found: list[Witness] = []
        if self.witness_directory is not None:
            found.append(FileWitness(self.witness_directory))
        if self.webhook:
            found.append(WebhookWitness(self.webhook, readable=self.webhook_read))
        return found


def load_audit_settings(config_path: Path) -> AuditSettings:
    """Read `[audit]`; `ConfigError` naming the file and key that is wrong."""
    try:
        raw = tomllib.loads(config_path.read_text())
    except OSError as exc:
        raise ConfigError(f"{config_path}: cannot read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_path}: not valid TOML ({exc})") from None
    return audit_settings(raw.get("audit", {}), config_path)


def audit_settings(table: object, config_path: Path) -> AuditSettings:
    where = f"{config_path}: [audit]"
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    _no_unknown(table, _AUDIT_KEYS, where)
    every = table.get("checkpoint_every", 100)
    if not isinstance(every, int) or isinstance(every, bool) or every < 1:
        raise ConfigError(f"{where} checkpoint_every must be a positive integer")
    interval = table.get("checkpoint_interval", 5.0)
    if (
        not isinstance(interval, int | float)
        or isinstance(interval, bool)
        or not 0 < interval <= 3600
    ):
        raise ConfigError(f"{where} checkpoint_interval must be seconds, above 0 and at most 3600")
    pin = table.get("key_fingerprint", "")
    if not isinstance(pin, str) or (pin and not _FINGERPRINT.fullmatch(pin)):
        raise ConfigError(f"{where} key_fingerprint must be 'sha256:' and 64 lowercase hex digits")
    witness = table.get("witness", {})
    wwhere = f"{config_path}: [audit.witness]"
    if not isinstance(witness, dict):
        raise ConfigError(f"{wwhere} must be a table")
    _no_unknown(witness, _WITNESS_KEYS, wwhere)
    directory = witness.get("directory")
    if directory is not None and (not isinstance(directory, str) or not directory):
        raise ConfigError(f"{wwhere} directory must be a non-empty string")
    webhook = witness.get("webhook", "")
    if not isinstance(webhook, str) or (
        webhook and not webhook.startswith(("http://", "https://"))
    ):
        raise ConfigError(f"{wwhere} webhook must be an http:// or https:// URL")
    read = witness.get("webhook_read", True)
    if not isinstance(read, bool):
        raise ConfigError(f"{wwhere} webhook_read must be true or false")
    return AuditSettings(
        checkpoint_every=every,
        checkpoint_interval=float(interval),
        key_fingerprint=pin,
        witness_directory=None if directory is None else config_path.parent / directory,
        webhook=webhook,
        webhook_read=read,
    )


def _no_unknown(table: Mapping[str, Any], known: set[str], where: str) -> None:
    unknown = set(table) - known
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")


# --- editing the file ---------------------------------------------------------------------


def set_config_keys(text: str, table: str, values: Mapping[str, ConfigValue]) -> str:
    """`text` with `key = value` set in `[table]` (replaced where present, else added at the
    end of the table; the table is appended when missing). Comments and order are kept."""
    lines = text.splitlines()
    header = re.compile(rf"^\s*\[\s*{re.escape(table)}\s*\]\s*(#.*)?$")
    start = next((i for i, line in enumerate(lines) if header.match(line)), None)
    if start is None:
        if lines and lines[-1].strip():
            lines.append("")
        lines.append(f"[{table}]")
        start = len(lines) - 1
    end = start + 1
    while end < len(lines) and not lines[end].lstrip().startswith("["):
        end += 1
    last = start  # the table's last non-blank, non-comment line: where new keys go
    for index in range(start + 1, end):
        stripped = lines[index].strip()
        if stripped and not stripped.startswith("#"):
            last = index
    for key, value in values.items():
        rendered = f"{key} = {_toml_value(value)}"
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        found = next((i for i in range(start + 1, end) if pattern.match(lines[i])), None)
        if found is not None:
            lines[found] = rendered
        else:
            last += 1
            end += 1
            lines.insert(last, rendered)
    return "\n".join(lines) + "\n"


def _toml_value(value: ConfigValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    # A TOML basic string: JSON's escapes, plus DEL, which TOML also forbids raw.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
