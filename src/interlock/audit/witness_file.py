"""A witness that is a JSONL file in a directory the log's writer should not be able to write.

In service mode the directory belongs to the `interlock` user (mode 0755: everyone may read
and verify, only the service appends); in single-user mode it is `<home>/witness`, which an
agent running as the same user could rewrite, and `audit verify` says so. Entries are
appended with O_APPEND under an exclusive lock, one line each, and synced to disk, so several
processes appending at once never interleave.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

from interlock.audit.witness import (
    Entry,
    Reach,
    WitnessError,
    WitnessView,
    entry_from_json,
    entry_line,
)

FILE_NAME = "checkpoints.jsonl"


class FileWitness:
    """Append-only JSONL of pins and checkpoints: `<directory>/checkpoints.jsonl`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / FILE_NAME

    @property
    def name(self) -> str:
        return f"file:{self.directory}"

    def create(self, owner: str | None = None) -> None:
        """Make the directory and the (empty) file, readable by everyone (init)."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o755)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            os.close(fd)
            if owner:
                import shutil

                for path in (self.directory, self.path):
                    shutil.chown(path, user=owner, group=None)
        except (OSError, LookupError) as exc:
            raise WitnessError(f"{self.name}: cannot create the witness ({exc})") from None

    def append(self, entry: Entry) -> None:
        line = entry_line(entry).encode()
        try:
            # No O_CREAT: a witness that vanished is a finding, not something to recreate.
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        except OSError as exc:
            raise WitnessError(f"{self.name}: cannot append ({exc.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            written = os.write(fd, line)
            if written != len(line):
                raise WitnessError(f"{self.name}: short write ({written} of {len(line)} bytes)")
            os.fsync(fd)
        except OSError as exc:
            raise WitnessError(f"{self.name}: cannot append ({exc.strerror})") from None
        finally:
            os.close(fd)

    def read(self) -> WitnessView:
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            raise WitnessError(
                f"{self.name}: {FILE_NAME} is gone (it was created by `interlock init`)"
            ) from None
        except OSError as exc:
            raise WitnessError(f"{self.name}: cannot read ({exc.strerror})") from None
        view = WitnessView(self.name)
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                view.entries.append(entry_from_json(json.loads(line)))
            except ValueError as exc:
                view.damaged.append(f"line {number}: {exc}")
        if text and not text.endswith("\n"):
            view.damaged.append("the last line is cut short")
        return view

    def reach(self) -> Reach:
        uid = os.geteuid()
        for path in (self.directory, self.path):
            try:
                owner = path.stat().st_uid
            except OSError:
                continue
            if owner == uid or os.access(path, os.W_OK):
                who = "root" if uid == 0 else f"uid {uid}"
                return Reach(
                    True,
                    f"{path} can be rewritten by the OS user running this command ({who}): "
                    "an agent running as this user could rewrite the witness",
                )
        return Reach(False, f"{self.directory} is owned by another OS user and not writable here")
