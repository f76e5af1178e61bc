"""`audit verify` catches each kind of tampering, done to the real SQLite store."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from interlock.audit import AuditLog, CheckpointSigner, CheckpointVerifier, SQLiteAuditStore
from interlock.audit.chain import make_record, record_hash
from interlock.audit.signing import generate_signing_key


@pytest.fixture
def keys(tmp_path: Path) -> tuple[CheckpointSigner, CheckpointVerifier]:
    generate_signing_key(tmp_path / "k.key", tmp_path / "k.pub")
    return (
        CheckpointSigner.from_file(tmp_path / "k.key"),
        CheckpointVerifier.from_file(tmp_path / "k.pub"),
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "state" / "audit.db"


def write_log(db: Path, signer: CheckpointSigner, count: int = 10, every: int = 5) -> None:
    log = AuditLog(SQLiteAuditStore(db), signer=signer, hmac_key=b"k", checkpoint_every=every)
    for i in range(count):
        log.append("event", {"n": i, "what": f"action {i}"})
    log.store.close()


def verify(db: Path, verifier: CheckpointVerifier) -> list[str]:
    store = SQLiteAuditStore(db)
    try:
        return AuditLog(store).verify(verifier).problems
    finally:
        store.close()


def sql(db: Path, statement: str, params: tuple[object, ...] = ()) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(statement, params)


def test_untouched_log_verifies(
    db: Path, keys: tuple[CheckpointSigner, CheckpointVerifier]
) -> None:
    signer, verifier = keys
    write_log(db, signer, count=12)
    store = SQLiteAuditStore(db)
    report = AuditLog(store).verify(verifier)
    assert report.ok, report.problems
    assert report.records == 12
    assert report.checkpoints == 2
    assert report.signed_through == 10
    assert report.unsigned_tail == 2


def test_edited_record_is_named(
    db: Path, keys: tuple[CheckpointSigner, CheckpointVerifier]
) -> None:
    signer, verifier = keys
    write_log(db, signer)
    sql(db, "UPDATE audit_records SET body = ? WHERE seq = 4", (json.dumps({"n": 99}),))
    problems = verify(db, verifier)
    assert any("record 4 was edited" in p for p in problems), problems


def test_edited_and_rehashed_record_breaks_the_link(
    db: Path, keys: tuple[CheckpointSigner, CheckpointVerifier]
) -> None:
    signer, verifier = keys
    write_log(db, signer)
    with sqlite3.connect(db) as conn:
        seq, ts, type_, prev = conn.execute(
            "SELECT seq, ts, type, prev FROM audit_records WHERE seq = 3"
        ).fetchone()
        body = {"n": 2, "what": "nothing happened"}
        new_hash = record_hash(seq, ts, type_, body, prev)
        conn.execute(
            "UPDATE audit_records SET body = ?, hash = ? WHERE seq = 3",
            (json.dumps(body), new_hash),
        )
    problems = verify(db, verifier)
    assert any("record 4 does not follow record 3" in p for p in problems), problems


def test_whole_chain_rewritten_is_caught_by_the_signed_checkpoint(
    db: Path, keys: tuple[CheckpointSigner, CheckpointVerifier]
) -> None:
    signer, verifier = keys
    write_log(db, signer)
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT seq, ts, type, body FROM audit_records ORDER BY seq").fetchall()
        prev = "0" * 64
        for seq, ts, type_, body in rows:
            parsed = json.loads(body)
            if seq == 2:
                parsed["what"] = "forged"
            record = make_record(seq, ts, type_, parsed, prev)
            conn.execute(
                "UPDATE audit_records SET body = ?, prev = ?, hash = ? WHERE seq = ?",
                (json.dumps(parsed), record.prev, record.hash, seq),
            )
            prev = record.hash
    problems = verify(db, verifier)
    assert any("records up to 5 were rewritten" in p for p in problems), problems


def test_deleted_record_is_named(
    db: Path, keys: tuple[CheckpointSigner, CheckpointVerifier]
) -> None:
    signer, verifier = keys
    write_log(db, signer)
    sql(db, "DELETE FROM audit_records WHERE seq = 6")
    problems = verify(db, verifier)
    assert any("record 6 missing" in p for p in problems), problems


def test_deleted_tail_is_caught_by_the_checkpoint(
    db: Path, keys: tuple[CheckpointSigner, CheckpointVerifier]
) -> None:
    signer, verifier = keys
    write_log(db, signer)
    sql(db, "DELETE FROM audit_records WHERE seq >= 9")
    problems = verify(db, verifier)
    assert any("checkpoint at record 10 signs a record that is no longer" in p for p in problems)


def test_inserted_record_is_caught(
    db: Path, keys: tuple[CheckpointSigner, CheckpointVerifier]
) -> None:
    signer, verifier = keys
    write_log(db, signer)
    with sqlite3.connect(db) as conn:
        # Make room after record 3 and slip a forged record in, linked to record 3.
        conn.execute("UPDATE audit_records SET seq = seq + 1000 WHERE seq > 3")
        conn.execute("UPDATE audit_records SET seq = seq - 999 WHERE seq > 1000")
        prev = conn.execute("SELECT hash FROM audit_records WHERE seq = 3").fetchone()[0]
        forged = make_record(4, "2026-01-01T00:00:00+00:00", "event", {"forged": True}, prev)
        conn.execute(
            "INSERT INTO audit_records VALUES (?, ?, ?, ?, ?, ?)",
            (4, forged.ts, forged.type, json.dumps(dict(forged.body)), forged.prev, forged.hash),
        )
    problems = verify(db, verifier)
    assert problems
    assert any("record 5" in p for p in problems), problems


def test_reordered_records_are_caught(
    db: Path, keys: tuple[CheckpointSigner, CheckpointVerifier]
) -> None:
    signer, verifier = keys
    write_log(db, signer)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE audit_records SET seq = -1 WHERE seq = 7")
        conn.execute("UPDATE audit_records SET seq = 7 WHERE seq = 8")
        conn.execute("UPDATE audit_records SET seq = 8 WHERE seq = -1")
    problems = verify(db, verifier)
    assert any("record 7" in p for p in problems), problems
    assert any("record 8" in p for p in problems), problems


def test_forged_checkpoint_signature_is_caught(
    db: Path, keys: tuple[CheckpointSigner, CheckpointVerifier], tmp_path: Path
) -> None:
    signer, verifier = keys
    write_log(db, signer)
    generate_signing_key(tmp_path / "other.key", tmp_path / "other.pub")
    other = CheckpointSigner.from_file(tmp_path / "other.key")
    with sqlite3.connect(db) as conn:
        head = conn.execute("SELECT hash FROM audit_records WHERE seq = 10").fetchone()[0]
        conn.execute(
            "UPDATE audit_checkpoints SET signature = ? WHERE seq = 10", (other.sign(10, head),)
        )
    problems = verify(db, verifier)
    assert any("checkpoint at record 10 has an invalid signature" in p for p in problems)


def test_outcomes_complete_decisions_without_touching_them(
    db: Path, keys: tuple[CheckpointSigner, CheckpointVerifier]
) -> None:
    signer, verifier = keys
    log = AuditLog(SQLiteAuditStore(db), signer=signer, hmac_key=b"k")
    decision = log.append("decision", {"x": 1})
    outcome = log.record_outcome(decision.seq, "forwarded", {"rows": 3})
    assert outcome.body["decision_seq"] == decision.seq
    assert log.store.get(decision.seq) == decision
    assert log.verify(verifier).ok


def test_secrets_never_reach_the_store(
    db: Path, keys: tuple[CheckpointSigner, CheckpointVerifier]
) -> None:
    signer, _ = keys
    log = AuditLog(SQLiteAuditStore(db), signer=signer, hmac_key=b"k")
    secret = "s3cr3t-v4lue-0123456789"
    log.append(
        "event",
        {
            "password": secret,
            "headers": {"Authorization": f"Bearer {secret}"},
            "command": f"curl -H 'Authorization: Bearer {secret}' https://u:{secret}@example.com",
        },
    )
    log.fingerprint(f"DROP TABLE x -- {secret}")
    log.store.close()
    wal = db.with_name(db.name + "-wal")
    raw = db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    assert b'"command"' in raw  # the record was written (masked)
    assert secret.encode() not in raw


_APPENDER = """
import sys
from pathlib import Path
from interlock.audit import AuditLog, SQLiteAuditStore
log = AuditLog(SQLiteAuditStore(Path(sys.argv[1])))
for i in range(int(sys.argv[2])):
    log.append("event", {"writer": sys.argv[3], "i": i})
"""


def test_two_processes_appending_keep_one_chain(
    db: Path, keys: tuple[CheckpointSigner, CheckpointVerifier]
) -> None:
    _, verifier = keys
    SQLiteAuditStore(db).close()
    procs = [
        subprocess.Popen([sys.executable, "-c", _APPENDER, str(db), "150", name])
        for name in ("a", "b")
    ]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    store = SQLiteAuditStore(db)
    report = AuditLog(store).verify(verifier)
    assert report.ok, report.problems
    assert report.records == 300


def test_provider_tokens_in_free_text_are_masked(
    db: Path, keys: tuple[CheckpointSigner, CheckpointVerifier]
) -> None:
    from tests.secrets._fakes import plants

    signer, _ = keys
    log = AuditLog(SQLiteAuditStore(db), signer=signer, hmac_key=b"k")
    planted = plants()[:12]
    log.append("event", {"detail": "\n".join(p.line for p in planted)})
    log.store.close()
    wal = db.with_name(db.name + "-wal")
    raw = db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    assert b'"detail"' in raw  # the record was written (masked)
    for plant in planted:
        assert plant.value.encode() not in raw, plant.rule


def test_the_clean_string_memo_never_holds_a_credential() -> None:
    from interlock import redact
    from tests.secrets._fakes import plants

    plant = plants()[0]
    assert redact.redact_text(plant.line) != plant.line
    assert redact.redact_text(plant.line) != plant.line  # a second time: still masked
    assert plant.line not in redact._CLEAN
    assert redact.redact_text("sql:SELECT is read") == "sql:SELECT is read"
    assert "sql:SELECT is read" in redact._CLEAN


def test_deferred_records_ride_on_the_next_append(
    db: Path, keys: tuple[CheckpointSigner, CheckpointVerifier]
) -> None:
    signer, verifier = keys
    log = AuditLog(SQLiteAuditStore(db), signer=signer, hmac_key=b"k", checkpoint_every=3)
    first = log.append("decision", {"n": 1})
    log.defer_outcome(first.seq, "forwarded", {"status": 200})
    assert log.store.head() == first  # not written yet
    second = log.append("decision", {"n": 2})
    assert second.seq == 3
    outcome = log.store.get(2)
    assert outcome is not None and outcome.body["decision_seq"] == first.seq
    assert [c.seq for c in log.store.checkpoints()] == [3]  # a batch still signs on time
    log.defer("event", {"n": 3})
    log.flush()
    assert log.store.head() is not None and log.store.head().seq == 4  # type: ignore[union-attr]
    log.defer("event", {"n": 4})
    assert log.verify(verifier).records == 5  # reading flushes first


@pytest.mark.parametrize(
    "body",
    [{}, {"a": 'é"\\\n\t\u2028', "b": [1, 2.5, None, True, {"z": -0.0}]}, {"x": "\U0001f600"}],
)
def test_the_record_hash_is_the_hash_of_the_canonical_record(body: dict[str, object]) -> None:
    # The writer builds the hashed text around the body's JSON; it must equal the canonical
    # JSON of the whole record that `verify` recomputes.
    import hashlib

    from interlock.audit.chain import canonical_json

    record = make_record(7, "2026-01-01T00:00:00.000001+00:00", 't"ype', body, "f" * 64)
    whole = {"seq": 7, "ts": record.ts, "type": record.type, "body": body, "prev": record.prev}
    assert record.hash == hashlib.sha256(canonical_json(whole).encode()).hexdigest()
    assert record.hash == record_hash(7, record.ts, record.type, body, record.prev)


def test_append_all_is_one_ordered_group(
    db: Path, keys: tuple[CheckpointSigner, CheckpointVerifier]
) -> None:
    signer, verifier = keys
    log = AuditLog(SQLiteAuditStore(db), signer=signer, hmac_key=b"k", checkpoint_every=100)
    log.defer("outcome", {"n": 0})
    records = log.append_all([("decision", {"n": 1}), ("decision", {"n": 2})])
    assert [r.body["n"] for r in records] == [1, 2]  # the deferred record went first
    assert [r.seq for r in records] == [2, 3]
    assert log.append_all([]) == []
    assert log.verify(verifier).ok
