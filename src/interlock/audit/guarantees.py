"""What the audit log can prove in the configuration `audit verify` finds.

The answer depends on who can do what, so it is worked out for the OS user running the
command (run `audit verify` as the user your agents run as to see what they could hide):

- the hash chain always proves edits, insertions, reorders and deletions inside the log;
- a cut tail, deleted checkpoints and a rewritten chain are proven only against a witness
  this user cannot rewrite (a directory of another OS user, another machine);
- re-signing with the home's key is impossible when this user cannot read that key, and
  is caught up to the newest witnessed checkpoint when a witness is out of reach;
- records after the newest witnessed checkpoint are never proven (the unwitnessed tail).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interlock.audit.chain import VerifyReport
from interlock.audit.witness import Witness


@dataclass(frozen=True, slots=True)
class Guarantee:
    """One property of the log and whether it holds here (None: cannot be told from here)."""

    name: str
    holds: bool | None
    why: str

    def to_json(self) -> dict[str, Any]:
        return {"guarantee": self.name, "holds": self.holds, "why": self.why}


def assess_guarantees(
    report: VerifyReport,
    witnesses: Sequence[Witness],
    *,
    signing_key: Path,
    config_path: Path,
) -> list[Guarantee]:
    readable = {str(w["name"]) for w in report.witnesses if w.get("readable")}
    reaches = [(w.name, w.reach()) for w in witnesses]
    safe = [
        (name, reach) for name, reach in reaches if reach.rewritable is False and name in readable
    ]
    maybe = [
        (name, reach) for name, reach in reaches if reach.rewritable is None and name in readable
    ]
    exposed = [reach.why for _, reach in reaches if reach.rewritable]
    witnessed: tuple[bool | None, str]
    if safe:
        witnessed = (
            True,
            f"{safe[0][1].why}; checked through record {report.witnessed_through}",
        )
    elif maybe:
        witnessed = (None, maybe[0][1].why)
    elif exposed:
        witnessed = (False, exposed[0])
    elif witnesses:
        witnessed = (False, "no witness could be read back and compared with the log")
    else:
        witnessed = (False, "no witness is configured ([audit.witness] in interlock.toml)")
    out = [
        Guarantee(
            "edits, insertions, reorders and deletions inside the log are detected",
            True,
            "each record's hash covers the one before it",
        ),
        Guarantee("a cut tail and deleted checkpoints are detected", witnessed[0], witnessed[1]),
        _key_replacement(witnessed, config_path),
        _re_signing(witnessed, signing_key),
    ]
    tail = report.unwitnessed_tail
    out.append(
        Guarantee(
            "every record is covered by a witnessed checkpoint",
            tail == 0 and report.witnessed,
            f"{tail} record(s) after seq {report.witnessed_through} are not witnessed yet"
            if tail
            else "the newest record is witnessed"
            if report.witnessed
            else "no witness was compared with the log",
        )
    )
    return out


def _key_replacement(witnessed: tuple[bool | None, str], config_path: Path) -> Guarantee:
    name = "a replaced public key is detected"
    if witnessed[0]:
        return Guarantee(name, True, "the witness pins the key's fingerprint")
    if not _writable(config_path):
        return Guarantee(name, True, f"{config_path} pins the key and is not writable here")
    return Guarantee(
        name,
        witnessed[0],
        f"only {config_path} pins the key, and this OS user can rewrite it"
        if witnessed[0] is False
        else witnessed[1],
    )


def _re_signing(witnessed: tuple[bool | None, str], signing_key: Path) -> Guarantee:
    name = "a chain rewritten and re-signed with the home's key is detected"
    if not os.access(signing_key, os.R_OK):
        return Guarantee(
            name, True, f"{signing_key} is not readable by this OS user: it cannot sign"
        )
    if witnessed[0]:
        return Guarantee(
            name,
            True,
            f"{signing_key} is readable by this OS user, but the witness holds the "
            "checkpoints signed before: a re-signed chain no longer matches them",
        )
    return Guarantee(
        name,
        witnessed[0],
        f"{signing_key} is readable by this OS user and no witness is known to be out of its "
        "reach: run the guard as another OS user or add a remote witness (docs/audit.md)",
    )


def _writable(path: Path) -> bool:
    try:
        owner = path.stat().st_uid
    except OSError:
        return True
    return owner == os.geteuid() or os.access(path, os.W_OK) or os.access(path.parent, os.W_OK)
