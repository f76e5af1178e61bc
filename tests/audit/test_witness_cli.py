"""`interlock audit verify`, run as its own process, against tampering done to the real
SQLite file and keys of a home made by `interlock init`.

Each attack here went unnoticed before witnesses existed (verify said "ok"): the log alone
cannot prove its own tail, nor that its checkpoints and key are the ones it started with.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from interlock.audit import CheckpointSigner
from interlock.audit.signing import generate_signing_key
from tests.audit.conftest import (
    db,
    holds_as_allows,
    interlock,
    record,
    resign_checkpoints,
    rewrite_chain,
    sql,
    witness_entries,
)

NOBODY = 65534
AS_NOBODY = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"]


def verify(home: Path, *, as_user: int | None = None) -> tuple[int, str, dict]:  # type: ignore[type-arg]
    text = interlock("audit", "verify", "--home", str(home), as_user=as_user)
    data = interlock("audit", "verify", "--home", str(home), "--json", as_user=as_user)
    assert text.code == data.code, (text, data)
    assert not text.err and not data.err, (text.err, data.err)
    return text.code, text.out, data.json()


def guarantee(report: dict, starts: str) -> dict:  # type: ignore[type-arg]
    found = [g for g in report["guarantees"] if g["guarantee"].startswith(starts)]
    assert len(found) == 1, report["guarantees"]
    return found[0]  # type: ignore[no-any-return]


def test_untouched_home_verifies_with_every_record_witnessed(home: Path) -> None:
    entries = witness_entries(home)
    assert entries[0]["kind"] == "pin"
    seen = [(e["seq"], e["origin"]) for e in entries if e["kind"] == "checkpoint"]
    assert seen == [(5, "every"), (7, "exit"), (10, "every"), (12, "exit")]
    code, out, report = verify(home)
    assert code == 0, out
    assert out.startswith("ok 12 records")
    assert report["ok"] and report["problems"] == [] and report["first_bad"] is None
    assert report["witnessed_through"] == 12 and report["unwitnessed_tail"] == 0
    config = (home / "interlock.toml").read_text()
    assert report["witnesses"][0]["pinned"] in config  # the same pin, in both places


def test_truncated_unsigned_tail_is_a_missing_range(home: Path) -> None:
    # Records 11-12 come after the last checkpoint in the log's own table (10): cutting
    # them left a log that verified "ok" with a signed head.
    sql(home, "DELETE FROM audit_records WHERE seq > 10")
    code, out, report = verify(home)
    assert code == 1
    assert "records 11–12 are missing: file:" in out
    assert "saw a checkpoint at seq 12 with head" in out
    assert report["first_bad"] == 11
    truncated = [p for p in report["problems"] if p["kind"] == "truncated"]
    assert truncated == [
        {"kind": "truncated", "first": 11, "last": 12, "message": truncated[0]["message"]}
    ]


def test_truncated_to_an_older_checkpoint_with_newer_ones_deleted(home: Path) -> None:
    sql(home, "DELETE FROM audit_records WHERE seq > 5")
    sql(home, "DELETE FROM audit_checkpoints WHERE seq > 5")
    code, out, report = verify(home)
    assert code == 1
    assert "records 6–12 are missing" in out
    kinds = {p["kind"]: p for p in report["problems"]}
    assert kinds["checkpoint_deleted"]["first"] == 10
    assert report["first_bad"] == 6


def test_all_checkpoints_deleted_and_holds_rewritten_as_allows(home: Path) -> None:
    rewrite_chain(home, holds_as_allows)
    sql(home, "DELETE FROM audit_checkpoints")
    code, out, report = verify(home)
    assert code == 1
    assert "2 checkpoint(s) were deleted from the log (seq 5, 10)" in out
    assert "records 1–5 were rewritten" in out  # record 1 was the first hold
    assert report["first_bad"] == 1
    assert report["problems"][0]["kind"] == "rewritten"


def test_resigned_with_a_new_key_and_pub_replaced(home: Path, tmp_path: Path) -> None:
    rewrite_chain(home, holds_as_allows)
    generate_signing_key(tmp_path / "new.key", tmp_path / "new.pub")
    resign_checkpoints(home, CheckpointSigner.from_file(tmp_path / "new.key"))
    (home / "keys" / "audit-signing.pub").write_bytes((tmp_path / "new.pub").read_bytes())
    code, out, report = verify(home)
    assert code == 1
    assert "is not the key pinned in interlock.toml" in out
    assert "is not the key file:" in out
    assert [p["kind"] for p in report["problems"]].count("key_replaced") == 2
    assert "records 1–5 were rewritten" in out
    assert "invalid signature" not in out  # the forged checkpoints are self-consistent


def test_resigned_with_a_new_key_and_both_pub_and_config_pin_replaced(
    home: Path, tmp_path: Path
) -> None:
    rewrite_chain(home, holds_as_allows)
    generate_signing_key(tmp_path / "new.key", tmp_path / "new.pub")
    new = CheckpointSigner.from_file(tmp_path / "new.key")
    resign_checkpoints(home, new)
    (home / "keys" / "audit-signing.pub").write_bytes((tmp_path / "new.pub").read_bytes())
    config = home / "interlock.toml"
    text = config.read_text()
    old_pin = json.loads(text.split("key_fingerprint = ")[1].splitlines()[0])
    config.write_text(text.replace(old_pin, new.fingerprint))
    code, out, report = verify(home)
    assert code == 1
    assert f"is not the key file:{home / 'witness'} pinned" in out
    assert any(p["kind"] == "rewritten" for p in report["problems"])


def test_resigned_with_the_homes_own_key(home: Path) -> None:
    # The home's private key is readable by the user the agent runs as (single-user mode):
    # the rewritten chain and its checkpoints are perfectly signed, and only the witness,
    # which holds the heads signed before, tells.
    rewrite_chain(home, holds_as_allows)
    resign_checkpoints(home, CheckpointSigner.from_file(home / "keys" / "audit-signing.key"))
    code, out, report = verify(home)
    assert code == 1
    assert "records 1–5 were rewritten" in out
    assert "the log's record 5 has" in out
    # ...and verify says this configuration does not guarantee it (root can rewrite all).
    resigning = guarantee(report, "a chain rewritten and re-signed")
    assert resigning["holds"] is False and "readable by this OS user" in resigning["why"]
    assert guarantee(report, "a cut tail")["holds"] is False


def test_a_rewrite_after_the_last_witnessed_checkpoint_is_a_named_range(home: Path) -> None:
    # Only records 8-12 changed: the witness's checkpoint at 7 still matches.
    rewrite_chain(home, lambda seq, body: holds_as_allows(seq, body) if seq > 7 else body)
    resign_checkpoints(home, CheckpointSigner.from_file(home / "keys" / "audit-signing.key"))
    code, out, report = verify(home)
    assert code == 1
    assert "records 8–10 were rewritten" in out
    assert "the checkpoint at seq 7 still matches" in out
    assert report["first_bad"] == 8


def test_deleted_witness_file_is_a_problem(home: Path) -> None:
    (home / "witness" / "checkpoints.jsonl").unlink()
    code, out, _ = verify(home)
    assert code == 1 and "checkpoints.jsonl is gone" in out


def test_witness_entries_not_signed_by_the_pinned_key_are_named(home: Path, tmp_path: Path) -> None:
    generate_signing_key(tmp_path / "x.key", tmp_path / "x.pub")
    other = CheckpointSigner.from_file(tmp_path / "x.key")
    forged = {
        "v": 1,
        "kind": "checkpoint",
        "ts": "2026-01-01T00:00:00+00:00",
        "seq": 3,
        "hash": "f" * 64,
        "key_id": other.key_id,
        "signature": other.sign(3, "f" * 64),
        "origin": "timer",
    }
    unendorsed_pin = {"v": 1, "kind": "pin", "ts": "2026-01-01T00:00:00+00:00"}
    unendorsed_pin["key"] = other.public_hex
    with (home / "witness" / "checkpoints.jsonl").open("a") as witness:
        witness.write(json.dumps(unendorsed_pin) + "\n" + json.dumps(forged) + "\n")
        witness.write("{not json\n")
    code, out, report = verify(home)
    assert code == 1
    kinds = {p["kind"] for p in report["problems"]}
    assert {"witness_forged", "witness_pin_refused", "witness_damaged"} <= kinds
    assert "the pinned key did not sign (seq 3)" in out


def test_replaced_key_is_refused_by_init_again(home: Path, tmp_path: Path) -> None:
    generate_signing_key(home / "keys" / "audit-signing.key", home / "keys" / "audit-signing.pub")
    again = interlock("init", "--home", str(home))
    assert again.code == 1
    assert "the signing key was replaced" in again.err
    assert "Traceback" not in again.err


def test_init_force_rotates_the_key_with_the_old_keys_endorsement(home: Path) -> None:
    before = witness_entries(home)
    interlock("init", "--home", str(home), "--force", check=True)
    pins = [e for e in witness_entries(home) if e["kind"] == "pin"]
    assert len(pins) == 2 and pins[1]["endorsement"] and not pins[0].get("endorsement")
    assert witness_entries(home)[: len(before)] == before  # appended, never rewritten
    record(home, 3)  # new records, signed with the new key
    code, out, report = verify(home)
    # The old checkpoints still verify, with the key the witness pinned when they were made.
    assert code == 0, out
    assert report["witnessed_through"] == 15 and report["signed_through"] == 10


def test_unwitnessed_tail_is_a_warning(home: Path) -> None:
    # A process killed before its exit checkpoint and before the timer fired.
    (home / "interlock.toml").write_text(
        (home / "interlock.toml")
        .read_text()
        .replace("checkpoint_every = 5", "checkpoint_every = 50")
    )
    script = (
        "import os, sys; from interlock.home import Home; "
        "log = Home(__import__('pathlib').Path(sys.argv[1])).audit_log(); "
        "[log.append('event', {'n': i}) for i in range(3)]; os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", script, str(home)], check=True, timeout=60)
    code, out, report = verify(home)
    assert code == 0, out
    assert report["unwitnessed_tail"] == 3
    assert "3 record(s) after the last witnessed checkpoint (seq 12) are not witnessed yet" in out


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as a second OS user")
def test_agent_user_can_tamper_with_the_state_but_not_hide_it(home: Path) -> None:
    """Service-mode shape: the key and the witness belong to root (the guard's user); the
    agent (nobody) can write the state database. It cuts the tail; verify, run as the agent,
    names the range and says every guarantee holds."""
    state = home / "state"
    state.chmod(0o777)
    for path in state.iterdir():
        path.chmod(0o666)
    (home / "interlock.toml").chmod(0o644)
    assert stat.S_IMODE((home / "keys" / "audit-signing.key").stat().st_mode) == 0o600
    probe = (
        "import sys\n"
        "for path, mode in ((sys.argv[1], 'a'), (sys.argv[2], 'rb')):\n"
        "    try:\n"
        "        open(path, mode).close()\n"
        "        print('opened', path)\n"
        "    except PermissionError:\n"
        "        print('refused', path)\n"
    )
    witness, key = home / "witness" / "checkpoints.jsonl", home / "keys" / "audit-signing.key"
    refused = subprocess.run(
        [*AS_NOBODY, sys.executable, "-c", probe, str(witness), str(key)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.stdout.split() == ["refused", str(witness), "refused", str(key)], refused
    attack = "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
    attack += "c.execute('DELETE FROM audit_records WHERE seq > 8'); "
    attack += "c.execute('DELETE FROM audit_checkpoints WHERE seq > 8'); c.commit()"
    subprocess.run(
        [*AS_NOBODY, sys.executable, "-c", attack, str(db(home))], check=True, timeout=60
    )
    code, out, report = verify(home, as_user=NOBODY)
    assert code == 1, out
    assert "records 9–12 are missing" in out
    for name in ("a cut tail", "a replaced public key", "a chain rewritten and re-signed"):
        assert guarantee(report, name)["holds"] is True, report["guarantees"]


def test_removed_public_key_and_lines_cut_from_the_witness(home: Path) -> None:
    (home / "keys" / "audit-signing.pub").unlink()
    witness = home / "witness" / "checkpoints.jsonl"
    lines = witness.read_text().splitlines()
    witness.write_text("\n".join(line for line in lines if '"seq":10,' not in line) + "\n")
    code, out, report = verify(home)
    assert code == 1
    assert "cannot load the audit public key" in out
    assert any(p["kind"] == "key_missing" for p in report["problems"])
    assert any(
        "no witness holds the log's checkpoint(s) at seq 10" in w for w in report["warnings"]
    )
