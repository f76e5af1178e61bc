"""From `[audit]` (read by `interlock.config`) to witnesses, and back into the file.

`witnesses_for` builds the witnesses `[audit.witness]` names; `set_config_keys` is how
`interlock init` writes the pinned key and the witness into interlock.toml: it edits the
file's text in place (keeping the operator's comments), so no TOML writer is needed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from interlock.audit.witness import Witness
from interlock.audit.witness_file import FileWitness
from interlock.audit.witness_webhook import WebhookWitness
from interlock.config import AuditSettings

ConfigValue = str | bool | int | float


def witnesses_for(settings: AuditSettings) -> list[Witness]:
    """The witnesses `[audit.witness]` configures (constructing them does no I/O)."""
    found: list[Witness] = []
    if settings.witness_directory is not None:
        found.append(FileWitness(settings.witness_directory))
    if settings.webhook:
        found.append(WebhookWitness(settings.webhook, readable=settings.webhook_read))
    return found


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
