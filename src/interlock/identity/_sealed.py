"""What the user and resource registries share: the identity state, the master-key sealer
for the secrets they keep (absent where no key exists yet), the audit log and a clock."""

from __future__ import annotations

import time
from typing import Generic, TypeVar

from interlock.audit import AuditLog
from interlock.errors import InterlockError
from interlock.identity._keys import Sealer
from interlock.identity._tokens import Clock

S = TypeVar("S")


class SealedRegistry(Generic[S]):
    """A registry over storage `S` whose secrets are sealed with the master key."""

    def __init__(
        self,
        state: S,
        sealer: Sealer | None = None,
        *,
        audit: AuditLog | None = None,
        clock: Clock = time.time,
    ) -> None:
        self.state = state
        self._sealer = sealer
        self.audit = audit
        self.clock = clock

    def _no_key(self) -> InterlockError:
        """The error for a call that needs the master key where there is none."""
        raise NotImplementedError

    @property
    def sealer(self) -> Sealer:
        if self._sealer is None:
            raise self._no_key()
        return self._sealer
