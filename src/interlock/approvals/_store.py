"""The approval store: held actions waiting for humans, in the home's SQLite state.

    approval_requests   one row per request: the action's fingerprint (never its payload),
                        who asked, on what, what the gate said, how many distinct humans
                        must approve, its state and its clock (expiry, run time)
    approval_votes      one row per human per request: approve or deny, with a comment

A request's life:

    pending  --approve (enough distinct humans)-->  approved  --claim-->  used
    approved --claim with a delay-->  scheduled  --start-->  used
    pending | approved  --deny-->  denied;   --(past its expiry)-->  expired
    pending | approved | scheduled  --cancel-->  cancelled

An allowed action with a `delay` safeguard enters directly as `scheduled`. A request is
bound to one fingerprint and one agent, can be claimed once, and expires. Every change is
appended to the audit log. Writes take SQLite's write lock first (`BEGIN IMMEDIATE`), so a
proxy and the CLI in different processes cannot both claim or both decide one request.
"""

from __future__ import annotations

import enum
import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from interlock._sqlite import immediate_transaction
from interlock.audit import AuditLog
from interlock.errors import ConfigError, InterlockError
from interlock.home import Home
from interlock.model import Agent, Decision, Human, Resource

Clock = Callable[[], float]
ID_PREFIX = "apr_"
DEFAULT_TTL = 3600.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS approval_requests (
    id               TEXT PRIMARY KEY,
    fingerprint      TEXT NOT NULL,
    status           TEXT NOT NULL,
    agent            TEXT NOT NULL,
    agent_id         TEXT NOT NULL,
    resource         TEXT NOT NULL,
    environment      TEXT NOT NULL,
    summary          TEXT NOT NULL,
    detail           TEXT NOT NULL,
    approvers_needed INTEGER NOT NULL,
    source           TEXT NOT NULL,
    decision_seq     INTEGER,
    created_at       REAL NOT NULL,
    expires_at       REAL NOT NULL,
    decided_at       REAL,
    run_at           REAL,
    used_at          REAL
);
CREATE INDEX IF NOT EXISTS approval_requests_fingerprint
    ON approval_requests (fingerprint, agent_id, status);
CREATE INDEX IF NOT EXISTS approval_requests_status ON approval_requests (status, expires_at);
CREATE TABLE IF NOT EXISTS approval_votes (
    request_id TEXT NOT NULL,
    human      TEXT NOT NULL,
    vote       TEXT NOT NULL,
    comment    TEXT NOT NULL,
    at         REAL NOT NULL,
    PRIMARY KEY (request_id, human)
);
"""


class Status(enum.StrEnum):
    """Where a request is in its life (see the module docstring)."""

    PENDING = "pending"
    APPROVED = "approved"
    SCHEDULED = "scheduled"
    USED = "used"
    DENIED = "denied"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def final(self) -> bool:
        return self in (Status.USED, Status.DENIED, Status.CANCELLED, Status.EXPIRED)


class ApprovalError(InterlockError):
    """An approval operation cannot be done; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Vote:
    human: str
    vote: str  # "approve" | "deny" | "cancel"
    comment: str
    at: float


@dataclass(frozen=True, slots=True)
class ApprovalRequest:
    """One request as stored. `detail` is the gate's decision as JSON (no payload)."""

    id: str
    fingerprint: str
    status: Status
    agent: str
    agent_id: str
    resource: str
    environment: str
    summary: str
    detail: dict[str, Any]
    approvers_needed: int
    source: str
    decision_seq: int | None
    created_at: float
    expires_at: float
    decided_at: float | None
    run_at: float | None
    used_at: float | None
    votes: tuple[Vote, ...] = ()

    @property
    def approvals(self) -> tuple[str, ...]:
        return tuple(v.human for v in self.votes if v.vote == "approve")

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status.value,
            "agent": self.agent,
            "agent_id": self.agent_id,
            "resource": self.resource,
            "environment": self.environment,
            "summary": self.summary,
            "decision": self.detail,
            "approvers_needed": self.approvers_needed,
            "approved_by": list(self.approvals),
            "votes": [
                {"human": v.human, "vote": v.vote, "comment": v.comment, "at": iso(v.at)}
                for v in self.votes
            ],
            "source": self.source,
            "decision_seq": self.decision_seq,
            "fingerprint": self.fingerprint,
            "created_at": iso(self.created_at),
            "expires_at": iso(self.expires_at),
            "decided_at": iso(self.decided_at) if self.decided_at else None,
            "run_at": iso(self.run_at) if self.run_at else None,
            "used_at": iso(self.used_at) if self.used_at else None,
        }


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def new_request_id() -> str:
    """`apr_` and 16 hex digits: the form hooks and proxies show agents."""
    return ID_PREFIX + secrets.token_hex(8)


class ApprovalStore:
    """Approval requests in SQLite; every change is also an audit record."""

    def __init__(self, path: Path, *, audit: AuditLog | None = None, clock: Clock = time.time):
        self.path = path
        self.audit = audit
        self.clock = clock
        self._lock = threading.RLock()
        self._deferred: list[tuple[str, dict[str, Any]]] = []
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                path, timeout=30, isolation_level=None, check_same_thread=False
            )
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise ConfigError(f"{path}: cannot open the approval store ({exc})") from None

    @classmethod
    def for_home(cls, home: Home, *, clock: Clock = time.time) -> ApprovalStore:
        return cls(home.database, audit=home.audit_log(), clock=clock)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- creating

    def open_request(
        self,
        *,
        fingerprint: str,
        agent: Agent,
        resource: Resource,
        decision: Decision,
        summary: str,
        source: str,
        ttl: float = DEFAULT_TTL,
        decision_seq: int | None = None,
    ) -> ApprovalRequest:
        """A pending request for this exact action, or the live one that already exists.

        An agent that retries a held action gets the same request back (pending, or approved
        and ready to be claimed), so retries never pile up new requests for humans to read.
        """
        now = self.clock()
        with self._write() as db:
            self._expire(db, now)
            row = db.execute(
                "SELECT id FROM approval_requests WHERE fingerprint = ? AND agent_id = ?"
                " AND status IN ('pending', 'approved') ORDER BY created_at DESC LIMIT 1",
                (fingerprint, agent.id or agent.name),
            ).fetchone()
            if row is not None:
                existing = str(row["id"])
            else:
                existing = ""
                request_id = new_request_id()
                self._insert(
                    db,
                    request_id,
                    Status.PENDING,
                    fingerprint=fingerprint,
                    agent=agent,
                    resource=resource,
                    decision=decision,
                    summary=summary,
                    source=source,
                    decision_seq=decision_seq,
                    now=now,
                    expires_at=now + ttl,
                    run_at=None,
                )
        if existing:
            return self.get(existing)
        request = self.get(request_id)
        self._log(
            "approval_request",
            {
                **_audit_view(request),
                "status": Status.PENDING.value,
                "approvers": request.approvers_needed,
                "expires_at": iso(request.expires_at),
            },
        )
        return request

    def schedule(
        self,
        *,
        fingerprint: str,
        agent: Agent,
        resource: Resource,
        decision: Decision,
        summary: str,
        source: str,
        delay: float,
        decision_seq: int | None = None,
    ) -> ApprovalRequest:
        """An allowed action with a `delay` safeguard: scheduled at once, cancellable until
        it starts."""
        now = self.clock()
        request_id = new_request_id()
        with self._write() as db:
            self._insert(
                db,
                request_id,
                Status.SCHEDULED,
                fingerprint=fingerprint,
                agent=agent,
                resource=resource,
                decision=decision,
                summary=summary,
                source=source,
                decision_seq=decision_seq,
                now=now,
                expires_at=now + delay + DEFAULT_TTL,
                run_at=now + delay,
            )
        request = self.get(request_id)
        self._log(
            "approval",
            {**_audit_view(request), "event": "scheduled", "run_at": iso(now + delay)},
        )
        return request

    def _insert(
        self,
        db: sqlite3.Connection,
        request_id: str,
        status: Status,
        *,
        fingerprint: str,
        agent: Agent,
        resource: Resource,
        decision: Decision,
        summary: str,
        source: str,
        decision_seq: int | None,
        now: float,
        expires_at: float,
        run_at: float | None,
    ) -> None:
        db.execute(
            "INSERT INTO approval_requests (id, fingerprint, status, agent, agent_id, resource,"
            " environment, summary, detail, approvers_needed, source, decision_seq,"
            " created_at, expires_at, run_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                request_id,
                fingerprint,
                status.value,
                agent.name,
                agent.id or agent.name,
                resource.name,
                resource.environment,
                summary[:500],
                json.dumps(decision.to_json()),
                max(1, decision.approvers),
                source,
                decision_seq,
                now,
                expires_at,
                run_at,
            ),
        )

    # -- reading

    def get(self, request_id: str) -> ApprovalRequest:
        self.expire_due()
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM approval_requests WHERE id = ?", (request_id.strip(),)
            ).fetchone()
            if row is None:
                raise ApprovalError(
                    f"no approval request {request_id!r} (see `interlock approvals list --all`)"
                )
            votes = self._db.execute(
                "SELECT * FROM approval_votes WHERE request_id = ? ORDER BY at", (row["id"],)
            ).fetchall()
        return _request(row, votes)

    def requests(
        self, statuses: Iterable[Status] | None = None, *, limit: int = 200
    ) -> list[ApprovalRequest]:
        """Requests newest first, optionally only in `statuses`."""
        self.expire_due()
        wanted = [s.value for s in statuses] if statuses is not None else None
        with self._lock:
            if wanted is None:
                rows = self._db.execute(
                    "SELECT id FROM approval_requests ORDER BY created_at DESC LIMIT ?", (limit,)
                ).fetchall()
            else:
                marks = ",".join("?" * len(wanted))
                rows = self._db.execute(
                    f"SELECT id FROM approval_requests WHERE status IN ({marks})"  # noqa: S608
                    " ORDER BY created_at DESC LIMIT ?",
                    (*wanted, limit),
                ).fetchall()
        return [self.get(str(r["id"])) for r in rows]

    def status(self, request_id: str) -> Status:
        """The current state only: what a waiting proxy polls (one indexed read)."""
        now = self.clock()
        with self._lock:
            row = self._db.execute(
                "SELECT status, expires_at FROM approval_requests WHERE id = ?", (request_id,)
            ).fetchone()
        if row is None:
            raise ApprovalError(f"no approval request {request_id!r}")
        status = Status(row["status"])
        if status in (Status.PENDING, Status.APPROVED) and row["expires_at"] <= now:
            self.expire_due()
            return Status.EXPIRED
        return status

    # -- humans deciding

    def approve(self, request_id: str, by: Human, comment: str = "") -> ApprovalRequest:
        """One human's approval; the request is approved once enough distinct humans agree."""
        human = _human(by)
        now = self.clock()
        with self._write() as db:
            self._expire(db, now)
            row = self._row(db, request_id)
            status = Status(row["status"])
            if status is not Status.PENDING:
                raise ApprovalError(
                    f"{row['id']} is {status.value}: only a pending request can be approved"
                )
            voted = db.execute(
                "SELECT vote FROM approval_votes WHERE request_id = ? AND human = ?",
                (row["id"], human.name),
            ).fetchone()
            if voted is not None:
                raise ApprovalError(
                    f"{human.name} has already approved {row['id']}: it needs "
                    f"{row['approvers_needed']} distinct approvers"
                )
            db.execute(
                "INSERT INTO approval_votes (request_id, human, vote, comment, at)"
                " VALUES (?, ?, 'approve', ?, ?)",
                (row["id"], human.name, comment[:1000], now),
            )
            count = db.execute(
                "SELECT COUNT(*) FROM approval_votes WHERE request_id = ? AND vote = 'approve'",
                (row["id"],),
            ).fetchone()[0]
            done = count >= row["approvers_needed"]
            if done:
                db.execute(
                    "UPDATE approval_requests SET status = 'approved', decided_at = ? WHERE id = ?",
                    (now, row["id"]),
                )
        request = self.get(str(row["id"]))
        self._log(
            "approval",
            {
                **_audit_view(request),
                "event": "approved" if done else "approval_vote",
                "by": human.name,
                "comment": comment[:1000],
                "approvals": count,
                "approvers_needed": request.approvers_needed,
            },
        )
        return request

    def deny(self, request_id: str, by: Human, comment: str = "") -> ApprovalRequest:
        """Refuse a pending or approved (not yet used) request."""
        return self._close(
            request_id, by, comment, Status.DENIED, (Status.PENDING, Status.APPROVED)
        )

    def cancel(self, request_id: str, by: Human, comment: str = "") -> ApprovalRequest:
        """Stop a scheduled action during its cancel window (or any request not yet used)."""
        return self._close(
            request_id,
            by,
            comment,
            Status.CANCELLED,
            (Status.SCHEDULED, Status.PENDING, Status.APPROVED),
        )

    def _close(
        self,
        request_id: str,
        by: Human,
        comment: str,
        to: Status,
        allowed: tuple[Status, ...],
    ) -> ApprovalRequest:
        human = _human(by)
        now = self.clock()
        vote = "deny" if to is Status.DENIED else "cancel"
        with self._write() as db:
            self._expire(db, now)
            row = self._row(db, request_id)
            status = Status(row["status"])
            if status not in allowed:
                verb = "denied" if to is Status.DENIED else "cancelled"
                raise ApprovalError(
                    f"{row['id']} is {status.value}: it can no longer be {verb}"
                    + (" (it has already run)" if status is Status.USED else "")
                )
            db.execute(
                "INSERT OR REPLACE INTO approval_votes (request_id, human, vote, comment, at)"
                " VALUES (?, ?, ?, ?, ?)",
                (row["id"], human.name, vote, comment[:1000], now),
            )
            db.execute(
                "UPDATE approval_requests SET status = ?, decided_at = ? WHERE id = ?",
                (to.value, now, row["id"]),
            )
        request = self.get(str(row["id"]))
        self._log(
            "approval",
            {
                **_audit_view(request),
                "event": to.value,
                "by": human.name,
                "comment": comment[:1000],
            },
        )
        return request

    # -- enforcement points using an approval

    def find_approved(self, fingerprint: str, agent_id: str) -> ApprovalRequest | None:
        """The approved, unused, unexpired request for exactly this action and agent."""
        self.expire_due()
        with self._lock:
            row = self._db.execute(
                "SELECT id FROM approval_requests WHERE fingerprint = ? AND agent_id = ?"
                " AND status = 'approved' ORDER BY created_at LIMIT 1",
                (fingerprint, agent_id),
            ).fetchone()
        return self.get(str(row["id"])) if row is not None else None

    def claim(
        self, request_id: str, fingerprint: str, *, delay: float = 0.0
    ) -> ApprovalRequest | None:
        """Use an approved request for the action it was granted for, once.

        With `delay` it becomes `scheduled` (cancellable until `start`); otherwise `used`.
        Returns None when it is not approved any more, expired, or bound to another action.
        """
        now = self.clock()
        with self._write() as db:
            self._expire(db, now)
            row = db.execute(
                "SELECT * FROM approval_requests WHERE id = ?", (request_id,)
            ).fetchone()
            if row is None or row["status"] != "approved" or row["fingerprint"] != fingerprint:
                return None
            if delay > 0:
                db.execute(
                    "UPDATE approval_requests SET status = 'scheduled', run_at = ? WHERE id = ?",
                    (now + delay, request_id),
                )
            else:
                db.execute(
                    "UPDATE approval_requests SET status = 'used', used_at = ? WHERE id = ?",
                    (now, request_id),
                )
        request = self.get(request_id)
        event = (
            {"event": "scheduled", "run_at": iso(now + delay)} if delay > 0 else {"event": "used"}
        )
        self._log("approval", {**_audit_view(request), **event})
        return request

    def start(self, request_id: str) -> bool:
        """A scheduled action's window is over: mark it used, unless a human cancelled it."""
        now = self.clock()
        with self._write() as db:
            moved = db.execute(
                "UPDATE approval_requests SET status = 'used', used_at = ?"
                " WHERE id = ? AND status = 'scheduled'",
                (now, request_id),
            ).rowcount
        if moved:
            self._log("approval", {**_audit_view(self.get(request_id)), "event": "used"})
        return bool(moved)

    # -- expiry

    def expire_due(self) -> int:
        """Mark pending and approved requests past their expiry as expired (audited)."""
        now = self.clock()
        with self._lock:
            due = self._db.execute(
                "SELECT 1 FROM approval_requests WHERE status IN ('pending', 'approved')"
                " AND expires_at <= ? LIMIT 1",
                (now,),
            ).fetchone()
        if due is None:
            return 0
        with self._write() as db:
            return self._expire(db, now)

    def _expire(self, db: sqlite3.Connection, now: float) -> int:
        rows = db.execute(
            "SELECT id, agent, resource, environment, summary FROM approval_requests"
            " WHERE status IN ('pending', 'approved') AND expires_at <= ?",
            (now,),
        ).fetchall()
        for row in rows:
            db.execute(
                "UPDATE approval_requests SET status = 'expired', decided_at = ? WHERE id = ?",
                (now, row["id"]),
            )
            self._deferred.append(
                (
                    "approval",
                    {
                        "event": "expired",
                        "id": row["id"],
                        "agent": row["agent"],
                        "resource": row["resource"],
                        "environment": row["environment"],
                    },
                )
            )
        return len(rows)

    # -- plumbing

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        def refused(exc: sqlite3.Error) -> Exception:
            return ConfigError(f"{self.path}: cannot write the approval store ({exc})")

        with self._lock:
            with immediate_transaction(self._db, refused) as db:
                yield db
            # Audit records go to the same SQLite file through another connection: written
            # after our write lock is released, never inside it (that would wait on itself).
            deferred, self._deferred = self._deferred, []
            for type_, body in deferred:
                self._log(type_, body)

    def _row(self, db: sqlite3.Connection, request_id: str) -> sqlite3.Row:
        row: sqlite3.Row | None = db.execute(
            "SELECT * FROM approval_requests WHERE id = ?", (request_id.strip(),)
        ).fetchone()
        if row is None:
            raise ApprovalError(
                f"no approval request {request_id!r} (see `interlock approvals list --all`)"
            )
        return row

    def _log(self, type_: str, body: dict[str, Any]) -> None:
        if self.audit is not None:
            self.audit.append(type_, body)


def _human(by: object) -> Human:
    if not isinstance(by, Human):
        # Imported here: identity pulls in argon2 and pyotp, which only this path needs.
        from interlock.identity import require_human

        return require_human(by, action="approvals")
    return by


def _audit_view(request: ApprovalRequest) -> dict[str, Any]:
    return {
        "id": request.id,
        "agent": request.agent,
        "agent_id": request.agent_id,
        "resource": request.resource,
        "environment": request.environment,
        "summary": request.summary,
        "fingerprint": request.fingerprint,
        "source": request.source,
        **({"decision_seq": request.decision_seq} if request.decision_seq else {}),
    }


def _request(row: sqlite3.Row, votes: list[sqlite3.Row]) -> ApprovalRequest:
    return ApprovalRequest(
        id=row["id"],
        fingerprint=row["fingerprint"],
        status=Status(row["status"]),
        agent=row["agent"],
        agent_id=row["agent_id"],
        resource=row["resource"],
        environment=row["environment"],
        summary=row["summary"],
        detail=json.loads(row["detail"]),
        approvers_needed=row["approvers_needed"],
        source=row["source"],
        decision_seq=row["decision_seq"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        decided_at=row["decided_at"],
        run_at=row["run_at"],
        used_at=row["used_at"],
        votes=tuple(Vote(v["human"], v["vote"], v["comment"], v["at"]) for v in votes),
    )
