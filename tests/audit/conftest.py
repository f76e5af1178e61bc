"""A home made by the real `interlock init`, with records written by the real `interlock check
--record`, and helpers that tamper with its SQLite file the way an attacker would."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from interlock.audit import CheckpointSigner
from interlock.audit.chain import GENESIS, make_record
from interlock.audit.settings import set_config_keys

INTERLOCK = Path(sys.executable).with_name("interlock")
BATCH = [
    {"kind": "sql", "payload": "DROP TABLE orders"},  # hold
    {"kind": "sql", "payload": "SELECT 1"},  # allow
    {"kind": "shell", "payload": "rm -rf /srv/data"},  # hold
]


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def interlock(*args: str, as_user: int | None = None, check: bool = False) -> Run:
    """The real CLI in its own process (as another OS user with `as_user`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTERLOCK_")}
    env["COLUMNS"] = "400"
    command = [str(INTERLOCK), *args]
    if as_user is not None:
        command = [
            "setpriv",
            f"--reuid={as_user}",
            f"--regid={as_user}",
            "--clear-groups",
            "--",
            *command,
        ]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    run = Run(done.returncode, done.stdout, done.stderr)
    if check:
        assert run.code == 0, run
    return run


def record(home: Path, lines: int) -> None:
    """Write `lines` decisions through `interlock check --record --batch` (one process)."""
    batch = home.parent / "batch.jsonl"
    batch.write_text("".join(json.dumps(BATCH[i % 3]) + "\n" for i in range(lines)))
    interlock("check", "--home", str(home), "--record", "--batch", str(batch), check=True)


def set_audit(home: Path, table: str = "audit", **values: str | bool | int | float) -> None:
    """Set keys of `[audit]` in the home's interlock.toml (as the operator would)."""
    config = home / "interlock.toml"
    config.write_text(set_config_keys(config.read_text(), table, values))


@pytest.fixture(scope="session")
def pristine() -> Iterator[Path]:
    """A home with 12 decision records, written by two processes; checkpoints every 5
    records. The witness holds the pin, checkpoints 5 and 10 (also in the log's table) and
    the exit checkpoints 7 and 12."""
    base = Path(tempfile.mkdtemp(prefix="interlock-audit-"))
    home = base / "h"
    interlock("init", "--home", str(home), check=True)
    set_audit(home, checkpoint_every=5)
    record(home, 7)
    record(home, 5)
    yield home
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def home(pristine: Path) -> Iterator[Path]:
    """A copy of the pristine home, in a directory every OS user may enter."""
    base = Path(tempfile.mkdtemp(prefix="interlock-audit-"))
    base.chmod(0o755)
    copy = base / "h"
    shutil.copytree(pristine, copy)
    yield copy
    shutil.rmtree(base, ignore_errors=True)


def db(home: Path) -> Path:
    return home / "state" / "interlock.db"


def sql(home: Path, statement: str, params: tuple[object, ...] = ()) -> None:
    with sqlite3.connect(db(home)) as conn:
        conn.execute(statement, params)


def rewrite_chain(home: Path, edit: Callable[[int, dict[str, Any]], dict[str, Any]]) -> None:
    """Edit record bodies and recompute every hash and link, as a careful attacker would."""
    with sqlite3.connect(db(home)) as conn:
        rows = conn.execute("SELECT seq, ts, type, body FROM audit_records ORDER BY seq").fetchall()
        prev = GENESIS
        for seq, ts, type_, body in rows:
            new = edit(seq, json.loads(body))
            made = make_record(seq, ts, type_, new, prev)
            conn.execute(
                "UPDATE audit_records SET body = ?, prev = ?, hash = ? WHERE seq = ?",
                (json.dumps(new), made.prev, made.hash, seq),
            )
            prev = made.hash


def holds_as_allows(seq: int, body: dict[str, Any]) -> dict[str, Any]:
    decision = body.get("decision")
    if isinstance(decision, dict) and decision.get("decision") == "hold":
        decision["decision"] = "allow"
        for action in decision.get("actions", []):
            action["decision"] = "allow"
    return body


def resign_checkpoints(home: Path, signer: CheckpointSigner) -> None:
    """Sign every checkpoint in the log's table again over the (rewritten) heads."""
    with sqlite3.connect(db(home)) as conn:
        seqs = [row[0] for row in conn.execute("SELECT seq FROM audit_checkpoints")]
        for seq in seqs:
            (head,) = conn.execute(
                "SELECT hash FROM audit_records WHERE seq = ?", (seq,)
            ).fetchone()
            conn.execute(
                "UPDATE audit_checkpoints SET hash = ?, key_id = ?, signature = ? WHERE seq = ?",
                (head, signer.key_id, signer.sign(seq, head), seq),
            )


def witness_entries(home: Path) -> list[dict[str, Any]]:
    path = home / "witness" / "checkpoints.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
