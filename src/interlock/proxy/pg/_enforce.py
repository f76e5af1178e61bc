"""The PostgreSQL proxy's enforcement point: where statements meet the pipeline.

`StatementGate` keeps what is particular to PostgreSQL and asks `interlock.enforce` for the
rest (judge, record, resolve an approval, poll a wait, settle an outcome). For each Query or
Parse, in order:

1. the read memo: a read this session already had allowed (the same text, or the same text
   with other numbers: `_shape`) is allowed again without a record (counted instead);
2. the vault fence: a statement naming `interlock_vault` or `interlock_trash` is refused
   (those schemas hold the safeguards; the agent acts as the resource's role upstream, so
   only this check keeps it out of them), by the names PostgreSQL parses, never by text;
   and a statement that loosens a limit the proxy relies on (`SET statement_timeout = 0`,
   `session_replication_role`, a search_path that shadows pg_catalog: `_limits`) is refused;
3. `classify("sql", …)` and the gate (`EnforcementPoint.judge`); a dangerous statement whose
   policy asks for a safeguard this proxy cannot take for it becomes a hold
   (`require_safeguards`): a human decides whether it runs without one;
4. off the event loop (`PendingRuling`): the decision record, written before the answer goes
   back; a hold claims a human's approval of exactly this statement or opens a request
   (`resolve`), which the session may wait on (`settle` polls it); a safeguard plan is
   attached to an allowed destructive statement.

Recording allowed reads: each distinct read statement is recorded the first time a session
sends it (up to `READS_RECORDED_PER_SESSION`); later repeats are counted in the session's
closing record. Writes, destructive statements, refusals and holds are all recorded, every
time, before anything is forwarded.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from interlock.classify import classify
from interlock.classify.sql import Setting, bind_text, mentions, parameters, setting_changes
from interlock.enforce import (
    ActionRequest,
    EnforcementPoint,
    Verdict,
    require_safeguards,
    safeguards_context,
)
from interlock.enforce import safeguard_name as _name
from interlock.errors import InterlockError
from interlock.model import (
    Action,
    ActionDecision,
    Agent,
    Decision,
    Outcome,
    Resource,
    Verb,
    most_severe,
    unknown_action,
)
from interlock.proxy.pg._blast import blast_targets
from interlock.proxy.pg._dump import Scope
from interlock.proxy.pg._limits import LIMITS_RULE, loosened_limit
from interlock.proxy.pg._messages import Bind
from interlock.proxy.pg._params import literal_readings
from interlock.proxy.pg._results import Plan
from interlock.proxy.pg._ruling import ALLOW, PendingRuling, Ruling, SafeguardPlan
from interlock.proxy.pg._safeguards import (
    NOTHING,
    PROTECTED_SCHEMAS,
    SNAPSHOT,
    SNAPSHOT_OPERATIONS,
    SOFT_DROP,
    SOFT_DROP_NAMES,
    Saved,
    nothing_to_resolve,
    snapshot_plan,
    soft_drop_plan,
)
from interlock.proxy.pg._shape import read_shape
from interlock.vault import Snapshot

SOURCE = "proxy:pg"
VAULT_FENCE = "pg-vault-fence"
WHERE = "the PostgreSQL proxy"
WAIT_HINT = "or connect with options=-c interlock.wait=SECONDS to wait on the connection"
READS_RECORDED_PER_SESSION = 256
_MEMO_LIMIT = 2048
_DELAY = "delay"


@dataclass(slots=True)
class SessionCounts:
    statements: int = 0
    reads_unrecorded: int = 0
    refused: int = 0
    held: int = 0
    safeguards: int = 0


REASON_SETTING = "interlock.reason"
_MENTIONS_REASON = re.compile(r"interlock\.reason", re.IGNORECASE)
MAX_REASON = 500


def _clean_reason(text: str) -> str:
    printable = "".join(c if c.isprintable() else " " for c in text)
    return " ".join(printable.split())[:MAX_REASON]


@dataclass(frozen=True, slots=True)
class SafeguardTaking:
    """A safeguard plan handed to the session: what its record will say once it ran."""

    decision_seq: int
    mode: str  # snapshot | soft_drop
    saved: list[Saved]  # filled by the plan as it goes (for a soft drop: what went to the trash)
    approval_id: str = ""  # the human approval this statement used, given back on failure
    reached: list[Saved] = field(default_factory=list)  # what the snapshot holds
    vault: list[str] = field(default_factory=list)  # the vault snapshot's id, once taken


Snapshotter = Callable[[Scope, dict[str, Any]], Snapshot]
"""Takes a snapshot of what a statement reaches into the vault (`_dump.take_snapshot` bound
to the resource's server, its credential and the home's vault); raises to refuse."""


@dataclass(frozen=True, slots=True)
class _Waiting:
    """A hold the session waits on: the verdict to poll, and since when."""

    verdict: Verdict
    extended: bool
    since: float


@dataclass(slots=True)
class StatementGate:
    """The enforcement point bound to one session's agent and resource."""

    point: EnforcementPoint
    agent: Agent
    resource: Resource
    session_id: str = ""
    statement_timeout_ms: int | None = None  # the limit the proxy gave this session
    snapshots: Snapshotter | None = None  # None: no vault, so no snapshot can be taken
    counts: SessionCounts = field(default_factory=SessionCounts)
    _reads_seen: set[str] = field(default_factory=set)
    _memo: dict[str, Decision] = field(default_factory=dict)
    _shapes: dict[str, Decision] = field(default_factory=dict)  # reads by shape (`_shape`)
    _holds: dict[str, _Waiting] = field(default_factory=dict)
    # What the human deciding a hold is shown besides the statement: the agent's stated
    # reason (`SET interlock.reason = '…'`, else the client's application_name), the
    # upstream, how long the client waits. Never part of what an approval covers.
    reason: str = ""
    reason_from: str = ""
    _blast: str = ""
    context: dict[str, object] = field(default_factory=dict)

    def describe(self, *, application_name: str = "", waits: float = 0.0) -> None:
        """What the handshake learnt about the client, once it is logged in."""
        name = _clean_reason(application_name)
        if name and self.reason_from != "set":
            self.reason, self.reason_from = name, "application_name"
        if waits > 0:
            self.context["agent_waits"] = waits

    def _note_reason(self, text: str) -> None:
        """`SET interlock.reason = '…'` (a custom setting PostgreSQL keeps per session): the
        agent's stated reason from then on; RESET clears it."""
        for change in setting_changes(text):
            if change.name == REASON_SETTING:
                value = "" if change.reset or not isinstance(change.value, str) else change.value
                self.reason = _clean_reason(value)
                self.reason_from = "set" if self.reason else ""

    # -- the one enforcement point

    def check(self, text: str, *, extended: bool) -> Ruling | PendingRuling:
        """Classify and decide on the event loop; what records or reads approvals (SQLite)
        comes back as a `PendingRuling` that the shell finishes off the loop."""
        self.counts.statements += 1
        if self.point.refusal(self.agent) is not None:  # its breaker tripped after login
            suspended = self.point.suspended(self._request(text, extended))
            if suspended is not None:
                return PendingRuling(partial(self._decide, suspended, extended))
        if _MENTIONS_REASON.search(text):
            self._note_reason(text)
        decision = self._memo.get(text)
        if decision is not None:  # an allowed read or write seen before in this session
            if decision.risk is Verb.READ:
                self.counts.reads_unrecorded += 1
                return ALLOW
            verdict = self.point.verdict(self._request(text, extended), decision)
            return PendingRuling(partial(self._allow_recorded, verdict))
        shape = read_shape(text)
        if shape is not None:
            # Shapes have their own memo: a Parse text with `$1` is not a shape (its
            # decision was made for unknown values and may be a write).
            decision = self._shapes.get(shape)
            if decision is not None:  # the same read with other numbers: see `_shape`
                self.counts.reads_unrecorded += 1
                return ALLOW
        actions = classify("sql", shape) if shape is not None else ()
        if not actions or not all(_plain_read(a) for a in actions):
            actions, shape = classify("sql", text), None
        return self._judged(text, extended, actions, shape)

    def rebinds(self, text: str) -> bool:
        """Whether the values bound to this Parse can change its verdict, so each Bind of it
        is judged again with them (`check_bound`)."""
        return parameters(text).sensitive

    def check_bound(
        self, text: str, types: Sequence[int], bind: Bind
    ) -> tuple[str, Ruling | PendingRuling]:
        """Judge a Bind of a statement whose verdict its values can change (`rebinds`): the
        statement with its values written in, as the text that is recorded and approved.
        Values that cannot be read (an undeclared binary type) leave it unknown."""
        use = parameters(text)
        readings = literal_readings(bind.values, bind.formats, types)
        texts = [] if readings is None else [bind_text(text, use, lits) for lits in readings]
        if not texts or any(t is None for t in texts):
            self.counts.statements += 1
            why = "the values bound to this statement cannot be read, and they decide its effect"
            return text, self._judged(text, True, (unknown_action("sql", why, text),), None)
        bound = [t for t in texts if t is not None]
        worst = max(bound, key=lambda t: most_severe(a.verb for a in classify("sql", t)).severity)
        return worst, self.check(worst, extended=True)

    def _judged(
        self, text: str, extended: bool, actions: Sequence[Action], shape: str | None
    ) -> Ruling | PendingRuling:
        request = self._request(text, extended)
        changes = setting_changes(shape if shape is not None else text)
        fenced = _fence(text, actions, changes)
        read_only = self.agent.max_verb is Verb.READ
        loosened = (
            loosened_limit(changes, self.statement_timeout_ms, read_only=read_only)
            if fenced is None
            else None
        )
        if fenced is not None:
            verdict = self.point.verdict(request, _refusal_decision(actions, fenced, VAULT_FENCE))
        elif loosened is not None:
            why = f"{loosened}; the PostgreSQL proxy relies on that limit for every session"
            verdict = self.point.verdict(request, _refusal_decision(actions, why, LIMITS_RULE))
        else:
            verdict = self.point.judge(request, actions)
            if verdict.decision.safeguards:
                can_take = _can_take(verdict.decision, extended, self.snapshots is not None)
                # The approval page shows only the safeguards that will really run (the
                # context below); the decision keeps the policy's, so an approved statement
                # that runs without one records that it did.
                decision = require_safeguards(verdict.decision, can_take, WHERE)
                noted = replace(
                    request,
                    context={
                        **request.context,
                        **safeguards_context(verdict.decision, can_take),
                    },
                )
                verdict = self.point.verdict(noted, decision)
        decision = verdict.decision
        if decision.outcome is Outcome.ALLOW and not _dangerous(decision):
            memo = self._shapes if shape is not None else self._memo
            if len(memo) >= _MEMO_LIMIT:
                memo.clear()
            key = shape if shape is not None else text
            if not decision.safeguards and (shape is None or decision.risk is Verb.READ):
                memo[key] = decision
            if decision.risk is Verb.READ:
                if key in self._reads_seen or len(self._reads_seen) >= READS_RECORDED_PER_SESSION:
                    self.counts.reads_unrecorded += 1
                    return ALLOW
                self._reads_seen.add(key)
            return PendingRuling(partial(self._allow_recorded, verdict))
        measure = blast_targets(actions) if decision.outcome is Outcome.HOLD else ()
        return PendingRuling(
            partial(self._decide, verdict, extended),
            measure=measure,
            measured=self._note_blast if measure else None,
        )

    def _note_blast(self, measured: str) -> None:
        """The measurements of the hold about to be recorded (`_blast.blast_plan`)."""
        self._blast = measured

    def _request(self, text: str, extended: bool) -> ActionRequest:
        context: dict[str, object] = {
            "protocol_message": "Parse" if extended else "Query",
            **self.context,
        }
        if self.reason_from:
            context["reason_from"] = self.reason_from
        return ActionRequest(
            SOURCE,
            self.agent,
            self.resource,
            "sql",
            text,
            session_id=self.session_id,
            stated_reason=self.reason,
            context=context,
        )

    def _allow_recorded(self, verdict: Verdict) -> Ruling:
        self.point.record(verdict)
        return ALLOW

    def _decide(self, verdict: Verdict, extended: bool) -> Ruling:
        """The rest of `check` for a refusal, a hold or a dangerous statement (blocking)."""
        if self._blast:
            with contextlib.suppress(ValueError):
                blast = json.loads(self._blast)
                context = {**verdict.request.context, "blast": blast}
                verdict = self.point.verdict(
                    replace(verdict.request, context=context), verdict.decision
                )
            self._blast = ""
        verdict = self.point.record(verdict)
        if verdict.outcome is Outcome.DENY:
            self.counts.refused += 1
            return Ruling(False, verdict.message, verdict.hint)
        verdict = self.point.resolve(verdict)
        if verdict.outcome is Outcome.HOLD:
            return self._hold(verdict, extended)
        return self._with_safeguard(verdict, extended)

    # -- holds and approvals

    def _hold(self, verdict: Verdict, extended: bool) -> Ruling:
        self.counts.held += 1
        if verdict.approval is None:  # no approval store: nothing a session could wait on
            return Ruling(False, verdict.message, verdict.hint)
        if len(self._holds) >= _MEMO_LIMIT:
            self._holds.clear()
        self._holds[verdict.approval_id] = _Waiting(verdict, extended, time.monotonic())
        return Ruling(False, verdict.message, verdict.hint, held=verdict.approval_id)

    def settle(self, request_id: str, text: str, *, extended: bool, final: bool) -> Ruling | None:
        """The ruling on a held statement the session waits on, once a human has decided."""
        waiting = self._holds.get(request_id)
        if waiting is None or waiting.verdict.request.payload != text:
            raise LookupError(f"no approval request {request_id!r} is held by this session")
        waited = time.monotonic() - waiting.since
        verdict = self.point.poll(waiting.verdict, final=final, waited=waited)
        if verdict is None:
            return None
        del self._holds[request_id]
        if verdict.outcome is Outcome.ALLOW:  # approved and claimed: "approved" is recorded
            return self._with_safeguard(verdict, extended)
        self.counts.refused += 1
        return Ruling(False, verdict.message, verdict.hint)

    def abandon(self, request_id: str, reason: str) -> None:
        waiting = self._holds.pop(request_id, None)
        if waiting is not None:
            waited = round(time.monotonic() - waiting.since, 1)
            self.point.settle(waiting.verdict, "abandoned", waited_seconds=waited, reason=reason)

    # -- safeguards

    def _with_safeguard(self, verdict: Verdict, extended: bool) -> Ruling:
        if verdict.shadow:  # shadow mode: recorded as it would have been, nothing taken
            return ALLOW
        decision, seq = verdict.decision, verdict.seq
        dangerous = [d.action for d in decision.actions if d.action.verb.is_dangerous]
        wanted = {_name(s) for s in decision.safeguards} - {_DELAY}
        if not wanted or not dangerous:
            return ALLOW
        operation = ", ".join(dict.fromkeys(a.operation for a in dangerous))
        approval = verdict.approval_id if verdict.approved else ""
        can_snapshot = self.snapshots is not None and _snapshot_covers(dangerous)
        if wanted & SOFT_DROP_NAMES and _soft_drop_target(decision, extended) and can_snapshot:
            targets = dangerous[0].targets
            taking = SafeguardTaking(seq, SOFT_DROP, [], approval)

            def resolve() -> Plan:
                return snapshot_plan(
                    [(t, a.operation) for a in dangerous for t in a.targets],
                    seq,
                    operation,
                    taking.reached,
                )

            def soft() -> Plan:
                return soft_drop_plan(targets, seq, taking.saved)

            return Ruling(
                True,
                safeguard=SafeguardPlan(
                    resolve,
                    True,
                    "DROP TABLE",
                    partial(self._safeguard_done, taking),
                    offload=partial(self._snapshot, taking, dangerous, operation),
                    after=soft,
                ),
            )
        if wanted & ({SNAPSHOT} | SOFT_DROP_NAMES) and can_snapshot:
            taking = SafeguardTaking(seq, SNAPSHOT, [], approval)
            whole = _whole(dangerous)
            reached = tuple((t, a.operation) for a in dangerous for t in a.targets)

            def snap() -> Plan:
                if whole is not None:
                    return nothing_to_resolve(whole.describe())
                return snapshot_plan(reached, seq, operation, taking.reached)

            return Ruling(
                True,
                safeguard=SafeguardPlan(
                    snap,
                    done=partial(self._safeguard_done, taking),
                    offload=partial(self._snapshot, taking, dangerous, operation),
                    statement_failed=partial(self._statement_failed, taking),
                ),
            )
        body: dict[str, Any] = {
            "decision_seq": seq,
            "status": "impossible",
            "operations": operation,
        }
        if verdict.approved:
            # A human said yes to exactly this statement, knowing the safeguard could not be
            # taken (`require_safeguards` made it a hold): irreversible is their call.
            self._event("safeguard", {**body, "approval": verdict.approval_id})
            return ALLOW
        # Unreachable while `require_safeguards` and the plans above agree; fail closed.
        self.counts.refused += 1
        self._event("safeguard", body)
        return Ruling(
            False,
            f"Interlock refused this statement: policy requires a safeguard "
            f"({', '.join(sorted(wanted))}) that it cannot take for {operation}",
            "ask a human to approve running it without one",
        )

    def _snapshot(
        self, taking: SafeguardTaking, dangerous: list[Action], operation: str, found: str
    ) -> str:
        """Off the loop, once the plan found what the statement reaches: the snapshot into
        the vault. Raises (the session then refuses the statement and records why)."""
        assert self.snapshots is not None
        whole = _whole(dangerous)
        if whole is None and not taking.reached:
            return NOTHING
        scope = whole or Scope(tables=tuple((s.schema, s.name) for s in taking.reached))
        labels = {
            "audit_seq": taking.decision_seq,
            "operation": operation,
            "agent": self.agent.name,
            "environment": self.resource.environment,
        }
        snapshot = self.snapshots(scope, labels)
        taking.vault.append(snapshot.id)
        if whole is not None:
            taking.reached.extend(
                Saved(SNAPSHOT, str(t["schema"]), str(t["name"]), "")
                for t in snapshot.manifest.labels.get("tables", [])
            )
        return (
            f"Interlock took a snapshot of {scope.describe()} into the vault "
            f"(snapshot {snapshot.id[:12]}) before running this statement "
            f"(restore: interlock undo {taking.decision_seq})"
        )

    def _safeguard_done(self, taking: SafeguardTaking, summary: str, ok: bool) -> None:
        if ok:
            self.counts.safeguards += 1
        body: dict[str, Any] = {
            "decision_seq": taking.decision_seq,
            "mode": taking.mode,
            "status": "taken" if ok else "failed",
            "summary": summary,
            "resource": {"name": self.resource.name, "environment": self.resource.environment},
            "tables": [
                s.to_json() for s in (taking.saved if taking.mode == SOFT_DROP else taking.reached)
            ],
        }
        if taking.vault:
            body["vault"] = taking.vault[-1]
            body["vault_tables"] = [s.to_json() for s in taking.reached]
        if not ok and taking.approval_id:
            # The statement did not run: the human's approval is not spent.
            body["approval"] = taking.approval_id
            body["approval_returned"] = self.point.release(taking.approval_id, summary)
        self._event("safeguard", body)

    def _statement_failed(self, taking: SafeguardTaking) -> None:
        """The statement failed on the server after its safeguard was taken: recorded, and
        the approval it used given back (it did nothing)."""
        body: dict[str, Any] = {
            "decision_seq": taking.decision_seq,
            "mode": taking.mode,
            "status": "statement_failed",
            "resource": {"name": self.resource.name, "environment": self.resource.environment},
        }
        if taking.vault:
            body["vault"] = taking.vault[-1]
        if taking.approval_id:
            body["approval"] = taking.approval_id
            body["approval_returned"] = self.point.release(
                taking.approval_id, "the statement failed on the server"
            )
        self._event("safeguard", body)

    # -- other records

    def _event(self, type_: str, body: dict[str, Any]) -> None:
        self.point.event(type_, {"source": SOURCE, "session_id": self.session_id, **body})

    def finish(self, reason: str) -> None:
        c = self.counts
        with contextlib.suppress(InterlockError):
            self._event(
                "session",
                {
                    "event": "pg_session_closed",
                    "agent": self.agent.name,
                    "resource": self.resource.name,
                    "reason": reason,
                    "statements": c.statements,
                    "reads_not_recorded_individually": c.reads_unrecorded,
                    "refused": c.refused,
                    "held": c.held,
                    "safeguards": c.safeguards,
                },
            )


def _fence(text: str, actions: Sequence[Action], changes: Sequence[Setting]) -> str | None:
    """Why the statement reaches the vault or the trash, or None.

    Names are read as PostgreSQL parses them (`U&"interlock\\005fvault"` and
    `"interlock_vault"` are `interlock_vault`), in every identifier and string constant of
    the statement, in the targets the classifier found in SQL it runs (EXECUTE, DO bodies)
    and in the values it gives settings (`search_path`); text that does not parse is
    matched as text."""
    found = mentions(text)
    names = set(found.identifiers)
    names.update(part for a in actions for t in a.targets for part in t.split("."))
    texts = [*found.strings, *(str(c.value) for c in changes if isinstance(c.value, str))]
    if not found.readable:
        texts.append(text)
    for schema in PROTECTED_SCHEMAS:
        if schema in names or any(schema in t.lower() for t in texts):
            return f"the statement names {schema}, where Interlock keeps safeguards"
    return None


def _plain_read(action: Action) -> bool:
    return action.verb is Verb.READ and action.operation == "sql:SELECT"


def _dangerous(decision: Decision) -> bool:
    return any(d.action.verb.is_dangerous for d in decision.actions)


def _soft_drop_target(decision: Decision, extended: bool) -> bool:
    """A soft drop replaces exactly one simple-protocol `DROP TABLE` of named tables."""
    only = decision.actions[0].action if len(decision.actions) == 1 else None
    return (
        not extended
        and only is not None
        and only.operation == "sql:DROP TABLE"
        and bool(only.targets)
    )


def _snapshot_covers(dangerous: list[Action]) -> bool:
    """Whether a vault snapshot can cover every dangerous action: tables (found on the
    connection), whole schemas, or one whole database."""
    if not dangerous or not all(a.targets for a in dangerous):
        return False
    if all(a.operation in SNAPSHOT_OPERATIONS for a in dangerous):
        return True
    return _whole(dangerous) is not None


def _whole(dangerous: list[Action]) -> Scope | None:
    """The schemas (`DROP SCHEMA`) or the database (`DROP DATABASE`) a statement drops."""
    operations = {a.operation for a in dangerous}
    if operations == {"sql:DROP SCHEMA"}:
        return Scope(schemas=tuple(dict.fromkeys(t for a in dangerous for t in a.targets)))
    if operations == {"sql:DROP DATABASE"} and len(dangerous) == 1 == len(dangerous[0].targets):
        return Scope(database=dangerous[0].targets[0])
    return None


def _can_take(decision: Decision, extended: bool, vault: bool) -> Callable[[str], bool]:
    """Which safeguards this proxy can take before this statement (see `_with_safeguard`):
    none without a vault, since the trash alone is not a backup."""
    dangerous = [d.action for d in decision.actions if d.action.verb.is_dangerous]
    snapshot = vault and _snapshot_covers(dangerous)

    def can_take(name: str) -> bool:
        # A statement does not wait out a cancel window on the connection: `delay` holds.
        if name in SOFT_DROP_NAMES or name == SNAPSHOT:
            return snapshot
        return False

    return can_take


def _refusal_decision(actions: Sequence[Action], reason: str, rule: str) -> Decision:
    decisions = tuple(ActionDecision(a, Outcome.DENY, (reason,), (rule,)) for a in actions)
    return Decision(
        Outcome.DENY,
        most_severe(a.verb for a in actions),
        decisions,
        (reason,),
        (rule,),
    )
