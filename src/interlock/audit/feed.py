"""Sending checkpoints to the witnesses, off the writer's thread, so the unwitnessed tail
stays small.

Three things reach a witness: every checkpoint the log signs (every N records, or on
demand), a checkpoint of the newest record this process wrote once `interval` seconds have
passed since the first record no checkpoint covers ("timer"), and one at process exit
("exit"). The timer runs from the first uncovered record, not the last, so a steady trickle
of records cannot postpone it forever. A witness that cannot be reached is logged and
retried with the next checkpoint; the records themselves were already written, and
`audit verify` reports how many are not witnessed.

The feed never touches the audit store (whose connection may belong to another thread): it
signs the (seq, hash) it was told about.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Sequence

from interlock.audit.chain import Checkpoint
from interlock.audit.signing import CheckpointSigner
from interlock.audit.witness import Origin, Witness, WitnessedCheckpoint, WitnessError

log = logging.getLogger("interlock.audit")

_EXIT_TIMEOUT = 5.0


class WitnessFeed:
    """A queue of checkpoints for the witnesses and the timer that signs the newest head."""

    def __init__(
        self,
        signer: CheckpointSigner,
        witnesses: Sequence[Witness],
        *,
        interval: float,
        now_iso: Callable[[], str],
    ) -> None:
        self.signer = signer
        self.witnesses = list(witnesses)
        self.interval = interval
        self._now_iso = now_iso
        self._cond = threading.Condition()
        self._queue: deque[WitnessedCheckpoint] = deque()
        self._head: tuple[int, str] | None = None  # newest record written, not yet covered
        self._head_since = 0.0
        self._covered = 0  # newest seq signed for the witnesses
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.errors: dict[str, str] = {}  # witness name -> its last failure
        _FEEDS.add(self)

    def written(self, seq: int, head_hash: str) -> None:
        """The log wrote records up to `seq`: witness that head within `interval`."""
        with self._cond:
            if seq <= self._covered or (self._head is not None and seq <= self._head[0]):
                return
            if self._head is None:
                self._head_since = time.monotonic()
            self._head = (seq, head_hash)
            self._start()
            self._cond.notify()

    def signed(self, checkpoint: Checkpoint, origin: Origin) -> None:
        """The log signed `checkpoint` (and stored it): send it to every witness."""
        with self._cond:
            self._queue.append(WitnessedCheckpoint(checkpoint, origin))
            self._covered = max(self._covered, checkpoint.seq)
            if self._head is not None and self._head[0] <= checkpoint.seq:
                self._head = None
            self._start()
            self._cond.notify()

    def close(self, timeout: float = _EXIT_TIMEOUT) -> None:
        """Witness the newest head now and send what is queued (at exit; idempotent)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        with self._cond:
            items = list(self._queue)
            self._queue.clear()
            if self._head is not None:
                items.append(self._sign_head("exit"))
        for item in items:
            self._send(item)

    # --- the worker ---------------------------------------------------------------------

    def _start(self) -> None:
        """A worker while there is something to send (called with the lock held)."""
        if self._thread is None and not self._stopping:
            self._thread = threading.Thread(
                target=self._run, name="interlock-audit-witness", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._cond:
                item = None
                while item is None and not self._stopping:
                    if self._queue:
                        item = self._queue.popleft()
                    elif self._head is not None:
                        wait = self._head_since + self.interval - time.monotonic()
                        if wait <= 0:
                            item = self._sign_head("timer")
                        else:
                            self._cond.wait(wait)
                    else:
                        break  # all witnessed: the next record starts a new thread
                if item is None:
                    self._thread = None
                    return
            self._send(item)

    def _sign_head(self, origin: Origin) -> WitnessedCheckpoint:
        """A checkpoint of the pending head (called with the lock held)."""
        assert self._head is not None
        seq, head_hash = self._head
        self._head = None
        self._covered = max(self._covered, seq)
        checkpoint = Checkpoint(
            seq=seq,
            hash=head_hash,
            ts=self._now_iso(),
            key_id=self.signer.key_id,
            signature=self.signer.sign(seq, head_hash),
        )
        return WitnessedCheckpoint(checkpoint, origin)

    def _send(self, item: WitnessedCheckpoint) -> None:
        for witness in self.witnesses:
            try:
                witness.append(item)
            except WitnessError as exc:
                if self.errors.get(witness.name) is None:
                    log.warning("audit witness unreachable: %s", exc)
                self.errors[witness.name] = str(exc)
            else:
                self.errors.pop(witness.name, None)


_FEEDS: weakref.WeakSet[WitnessFeed] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for feed in list(_FEEDS):
        feed.close()
