"""What a storage refuses in terms every implementation can raise (SQLite or PostgreSQL)."""

from __future__ import annotations

from interlock.errors import InterlockError


class AlreadyStored(InterlockError):
    """A write would store a second record under a name or id that must be unique.

    Callers turn it into their own message ("an agent named … already exists"); the text
    here is the storage's own and is not meant for people.
    """
