"""Where sealed objects and signed manifests live: the `Backend` interface and the embedded
directory backend.

A backend stores opaque bytes under keys (`objects/<id>`, `manifests/<id>`), each with a
retention date. It never needs the vault key and never interprets what it stores. The one
rule every backend keeps: **no call shortens a retention date or removes a key before it**.
`put` of a key that exists keeps the later of the two dates; `delete` refuses a key still
under retention. An object store with a compliance lock (S3 Object Lock) enforces the same
rule on its side, so a backend there is just the mapping of these calls.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

from interlock.vault._model import RetentionError, VaultError

DIR_MODE = 0o700
FILE_MODE = 0o400  # written once, then read-only: the store is append-only by convention


class Backend(Protocol):
    """The storage a `Vault` writes to. Keys are `/`-separated ASCII paths."""

    name: str
    location: str  # where it is, for people (a directory, s3://bucket/prefix)

    def put(self, key: str, data: bytes, retain_until: int) -> None:
        """Store `data` under `key` (idempotent for equal content), kept until at least
        `retain_until` (Unix seconds); an existing later date is kept."""
        ...

    def get(self, key: str) -> bytes:
        """The bytes under `key`; `KeyError` when there are none."""
        ...

    def exists(self, key: str) -> bool: ...

    def keys(self, prefix: str) -> Iterator[str]:
        """Every key under `prefix`, in no particular order."""
        ...

    def retained_until(self, key: str) -> int:
        """The retention date the store holds for `key` (0 when it keeps none)."""
        ...

    def delete(self, key: str) -> None:
        """Remove `key` once its retention date has passed; `RetentionError` before."""
        ...


class DirectoryBackend:
    """The embedded default: a directory outside every workspace and database.

    Files are written to a temporary name and renamed (a reader never sees half an object),
    created 0400 in 0700 directories. Retention dates live beside each key in `<key>.until`.
    What keeps agents out is the directory's place: under the Interlock home's state (or
    the service user's home), which self-protection refuses to let any agent command name.
    """

    name = "directory"

    def __init__(self, root: Path, clock: Callable[[], float] = time.time) -> None:
        self.root = root
        self.location = str(root)
        self.clock = clock

    def _path(self, key: str) -> Path:
        parts = key.split("/")
        if not key or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
            raise VaultError(f"not a vault key: {key!r}")
        return self.root.joinpath(*parts)

    def put(self, key: str, data: bytes, retain_until: int) -> None:
        path = self._path(key)
        path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        self._extend(path, retain_until)
        if path.exists():
            return  # content-addressed: the same key holds the same bytes
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)

    def _until_path(self, path: Path) -> Path:
        return path.with_name(path.name + ".until")

    def _extend(self, path: Path, retain_until: int) -> None:
        until = self._until_path(path)
        current = _read_until(until)
        if retain_until <= current:
            return
        tmp = until.with_name(f".{until.name}.{secrets.token_hex(6)}.tmp")
        tmp.write_text(json.dumps({"retain_until": retain_until}))
        os.replace(tmp, until)

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def keys(self, prefix: str) -> Iterator[str]:
        base = self._path(prefix.rstrip("/"))
        if not base.is_dir():
            return
        for path in base.rglob("*"):
            if path.is_file() and not path.name.startswith(".") and path.suffix != ".until":
                yield path.relative_to(self.root).as_posix()

    def retained_until(self, key: str) -> int:
        return _read_until(self._until_path(self._path(key)))

    def delete(self, key: str) -> None:
        path = self._path(key)
        until = self.retained_until(key)
        if until > self.clock():
            raise RetentionError(f"{key} is retained until {until}; it cannot be removed")
        path.unlink(missing_ok=True)
        self._until_path(path).unlink(missing_ok=True)


def _read_until(path: Path) -> int:
    try:
        value = json.loads(path.read_text()).get("retain_until", 0)
    except (OSError, ValueError, AttributeError):
        return 0
    return int(value) if isinstance(value, int) else 0
