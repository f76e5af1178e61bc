"""What judging Binds again costs the PostgreSQL proxy (issue 15), on the session alone.

pg_bind_unwatched_p50_us     a Bind of a statement whose values cannot change its verdict,
                             while the session watches another one (the relay reads the
                             Bind's statement name and forwards it)
pg_rebind_unchanged_p50_us   a Bind of a statement whose values can change its verdict,
                             with values that do not (`v = coalesce($1, v)` bound to a
                             value): judged again, the same verdict (the audit record,
                             written off the event loop, is not counted)
pg_parse_rebinds_p50_us      the check at Parse time of whether a statement's Binds must
                             be judged (cached per statement text)
"""

from __future__ import annotations

import struct
import tempfile
from pathlib import Path

from benchmarks._timing import percentiles_us
from interlock.approvals import ApprovalStore
from interlock.classify.sql import parameters
from interlock.enforce import EnforcementPoint
from interlock.gate import Gate
from interlock.home import init_home
from interlock.model import Agent, Resource, Verb
from interlock.proxy.pg import _messages as m
from interlock.proxy.pg._commands import Authenticate, Decide
from interlock.proxy.pg._enforce import WAIT_HINT, StatementGate
from interlock.proxy.pg._handshake import Login, Upstream
from interlock.proxy.pg._ruling import ALLOW, PendingRuling
from interlock.proxy.pg._session import Session

WATCHED = "DELETE FROM orders WHERE v = coalesce($1, v)"
PLAIN = "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2"


def _bind(statement: str, values: list[bytes]) -> bytes:
    body = m.cstring("") + m.cstring(statement) + struct.pack("!hh", 0, len(values))
    for value in values:
        body += struct.pack("!i", len(value)) + value
    return m.message(b"B", body + struct.pack("!h", 0))


class _Logins:
    def __init__(self, gate: StatementGate) -> None:
        self.gate = gate

    def login(self, user: str, database: str, password: str, *, tls: bool) -> Login:
        return Login(Upstream("127.0.0.1", 5432, "db", "postgres", None), self.gate)

    def refused(self, user: str, database: str, reason: str) -> None:
        return None


def _ready(gate: StatementGate) -> Session:
    session = Session(_Logins(gate), allow_cleartext=True)
    session.client_data(m.startup_message({"user": "a", "database": "r"}))
    (auth,) = session.client_data(m.message(b"p", m.cstring("x")))
    assert isinstance(auth, Authenticate)
    session.logged_in(auth.login())
    session.upstream_connected()
    session.server_data(m.auth_ok() + m.backend_key_data(1, 2) + m.ready_for_query())
    return session


def run() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        home, _ = init_home(Path(tmp) / ".interlock")
        audit = home.audit_log()
        point = EnforcementPoint(
            gate=Gate(home.load_policies()),
            audit=audit,
            approvals=ApprovalStore(home.database, audit=audit),
            hmac_key=home.hmac_key.read_bytes(),
            wait_hint=WAIT_HINT,
        )
        agent = Agent("bench", environments=frozenset({"staging"}), max_verb=Verb.DESTRUCTIVE)
        gate = StatementGate(point, agent, Resource("db", "staging"), "pgs_bench")
        session = _ready(gate)
        for text, name in ((WATCHED, "w"), (PLAIN, "p")):
            for command in session.client_data(m.parse(name, text)):
                if isinstance(command, Decide):
                    session.decided(command.finish())
        plain_bind = _bind("p", [b"5", b"42"])
        unwatched = percentiles_us(lambda: session.client_data(plain_bind), iterations=20_000)

        bound = m.parse_bind(_bind("w", [b"row 1"])[5:])

        def rejudge() -> object:
            _, ruling = gate.check_bound(WATCHED, (), bound)
            assert ruling is ALLOW or isinstance(ruling, PendingRuling)
            return ruling

        unchanged = percentiles_us(rejudge, iterations=20_000)
        rebinds = percentiles_us(lambda: parameters(WATCHED), iterations=20_000)
    return {
        "pg_bind_unwatched_p50_us": unwatched["p50"],
        "pg_rebind_unchanged_p50_us": unchanged["p50"],
        "pg_rebind_unchanged_p99_us": unchanged["p99"],
        "pg_parse_rebinds_p50_us": rebinds["p50"],
    }
