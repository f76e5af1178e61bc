"""The witness feed: the newest head is witnessed on a timer while the process lives, and at
exit; a witness that is down never stops records from being written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from interlock.audit import AuditLog, CheckpointSigner, FileWitness, SQLiteAuditStore
from interlock.audit.signing import generate_signing_key
from tests._wait import wait_until
from tests.audit.conftest import interlock, set_audit, witness_entries


@pytest.fixture
def signer(tmp_path: Path) -> CheckpointSigner:
    generate_signing_key(tmp_path / "k.key", tmp_path / "k.pub")
    return CheckpointSigner.from_file(tmp_path / "k.key")


def checkpoints(witness: FileWitness) -> list[tuple[int, str]]:
    view = witness.read()
    return [(e.checkpoint.seq, e.origin) for e in view.entries if hasattr(e, "checkpoint")]


def test_a_living_process_witnesses_its_head_on_the_timer(tmp_path: Path) -> None:
    home = tmp_path / "h"
    interlock("init", "--home", str(home), check=True)
    set_audit(home, checkpoint_interval=0.2)
    script = (
        "import sys; from pathlib import Path; from interlock.home import Home\n"
        "log = Home(Path(sys.argv[1])).audit_log()\n"
        "for i in range(3): log.append('event', {'n': i})\n"
        "print('written', flush=True); sys.stdin.readline()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(home)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "written"

        def timer_fired() -> bool:
            return any(e.get("origin") == "timer" and e["seq"] == 3 for e in witness_entries(home))

        wait_until(timer_fired, 30, what="the timer to witness record 3")
    finally:
        proc.kill()  # no exit checkpoint: the timer's must be enough
        proc.wait(timeout=30)
    report = interlock("audit", "verify", "--home", str(home), "--json").json()
    assert report["ok"] and report["unwitnessed_tail"] == 0


def test_exit_and_every_n_reach_the_witness_in_process(
    tmp_path: Path, signer: CheckpointSigner
) -> None:
    witness = FileWitness(tmp_path / "w")
    witness.create()
    log = AuditLog(
        SQLiteAuditStore(tmp_path / "a.db"),
        signer=signer,
        checkpoint_every=4,
        witnesses=[witness],
        checkpoint_interval=3600,
    )
    for i in range(6):
        log.append("event", {"n": i})
    wait_until(lambda: checkpoints(witness) == [(4, "every")], 30, what="the checkpoint at 4")
    log.close()
    assert checkpoints(witness) == [(4, "every"), (6, "exit")]
    log.close()  # idempotent: nothing new
    assert len(checkpoints(witness)) == 2


def test_a_witness_that_is_down_never_stops_records(
    tmp_path: Path, signer: CheckpointSigner, caplog: pytest.LogCaptureFixture
) -> None:
    gone = FileWitness(tmp_path / "never-created")
    log = AuditLog(
        SQLiteAuditStore(tmp_path / "a.db"),
        signer=signer,
        checkpoint_every=2,
        witnesses=[gone],
        checkpoint_interval=3600,
    )
    for i in range(5):
        log.append("event", {"n": i})
    assert log.feed is not None
    log.close()
    assert "cannot append" in log.feed.errors[gone.name]
    assert "audit witness unreachable" in caplog.text
    store = SQLiteAuditStore(tmp_path / "a.db")
    assert [r.seq for r in store.records()] == [1, 2, 3, 4, 5]
    store.close()


def test_witness_lines_are_whole_under_concurrent_writers(
    tmp_path: Path, signer: CheckpointSigner
) -> None:
    witness = FileWitness(tmp_path / "w")
    witness.create()
    code = (
        "import sys; from pathlib import Path\n"
        "from interlock.audit import AuditLog, CheckpointSigner, FileWitness, SQLiteAuditStore\n"
        "log = AuditLog(SQLiteAuditStore(Path(sys.argv[1])), checkpoint_every=1,\n"
        "    witnesses=[FileWitness(Path(sys.argv[2]))],\n"
        "    signer=CheckpointSigner.from_file(Path(sys.argv[3])))\n"
        "for i in range(40): log.append('event', {'i': i})\n"
    )
    args = [str(tmp_path / "a.db"), str(witness.directory), str(tmp_path / "k.key")]
    SQLiteAuditStore(tmp_path / "a.db").close()
    procs = [subprocess.Popen([sys.executable, "-c", code, *args]) for _ in range(3)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    lines = witness.path.read_text().splitlines()
    assert all(json.loads(line)["kind"] == "checkpoint" for line in lines)
    assert sorted({json.loads(line)["seq"] for line in lines}) == list(range(1, 121))
    assert witness.read().damaged == []
