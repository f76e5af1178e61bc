"""`interlock vault` run as a process: listing, showing, verifying, and purging only after
expiry and only on two humans' proof."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pyotp
import pytest

from interlock.home import Home, init_home
from interlock.identity import HumanRegistry, local_operator
from interlock.vault import open_vault

CLI = str(Path(sys.executable).with_name("interlock"))
PASSWORD = "correct horse battery staple"


def run(home: Home, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTERLOCK_")}
    return subprocess.run(
        [CLI, "vault", *args, "--home", str(home.root)],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Home, dict[str, str], str, str]:
    monkeypatch.delenv("INTERLOCK_MASTER_KEY", raising=False)
    home, _ = init_home(tmp_path / ".interlock")
    humans = HumanRegistry.for_home(home)
    secrets = {
        name: humans.add(local_operator(home), name, role="approver", password=PASSWORD).totp_secret
        for name in ("alice", "bob", "carol")
    }
    vault = open_vault(home)
    vault.clock = lambda: time.time() - 40 * 86400  # written 40 days ago: past its 30 days
    writer = vault.writer("files", "workspace", {"operation": "rm -rf build"})
    writer.add("patch", b"old work")
    old = writer.commit()
    vault.clock = time.time
    writer = vault.writer("files", "workspace", {"operation": "git reset --hard"})
    writer.add("patch", b"new work")
    new = writer.commit()
    return home, secrets, old.id, new.id


def proofs(secrets: dict[str, str], first: str, second: str) -> list[str]:
    return [
        "--user", first, "--code", pyotp.TOTP(secrets[first]).now(),
        "--second-user", second, "--second-code",
        pyotp.TOTP(secrets[second]).now(), "--password-stdin",
    ]  # fmt: skip


def test_list_show_and_verify(setup: tuple[Home, dict[str, str], str, str]) -> None:
    home, _, old, new = setup
    listed = run(home, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [s["id"] for s in json.loads(listed.stdout)] == [new, old]
    shown = run(home, "show", new[:8])
    assert shown.returncode == 0 and "git reset --hard" in shown.stdout
    verified = run(home, "verify", "--json")
    assert verified.returncode == 0 and json.loads(verified.stdout) == {
        "snapshots": 2,
        "ok": True,
        "findings": [],
    }


@pytest.mark.parametrize("bad", ["ffff", "not-hex", ""])
def test_a_bad_snapshot_id_is_one_clear_line(
    setup: tuple[Home, dict[str, str], str, str], bad: str
) -> None:
    home = setup[0]
    shown = run(home, "show", bad)
    assert shown.returncode == 1
    assert shown.stderr.startswith("error:") and "Traceback" not in shown.stderr
    assert len(shown.stderr.strip().splitlines()) == 1


def test_purge_needs_expiry_and_two_different_humans(
    setup: tuple[Home, dict[str, str], str, str],
) -> None:
    home, secrets, old, new = setup
    early = run(home, "purge", new, *proofs(secrets, "alice", "bob"), stdin=f"{PASSWORD}\n" * 2)
    assert early.returncode == 1 and "nothing removes it before then" in early.stderr
    # (carol's code is used once here: a TOTP code is not accepted twice)
    alone = run(home, "purge", old, *proofs(secrets, "carol", "carol"), stdin=f"{PASSWORD}\n" * 2)
    assert alone.returncode == 1
    assert "different humans" in alone.stderr or "code" in alone.stderr
    nobody = run(home, "purge", old)
    assert nobody.returncode == 1 and "--user NAME" in nobody.stderr
    done = run(
        home, "purge", old, *proofs(secrets, "alice", "bob"), "--json", stdin=f"{PASSWORD}\n" * 2
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["by"] == ["alice", "bob"]
    listed = json.loads(run(home, "list", "--json").stdout)
    assert [s["id"] for s in listed] == [new]
    purges = [dict(r.body) for r in home.audit_log().records() if r.type == "vault_purge"]
    assert purges == [{"snapshot": old, "by": ["alice", "bob"], "removed": 2}]


def test_drill_without_a_postgres_snapshot_says_so(
    setup: tuple[Home, dict[str, str], str, str],
) -> None:
    drilled = run(setup[0], "drill")
    assert drilled.returncode == 1 and "no PostgreSQL snapshot" in drilled.stderr


def test_a_password_in_a_database_url_never_reaches_a_command_line_or_a_record() -> None:
    from interlock.cli.vault import _redacted, _split_password

    url, password = _split_password("postgresql://bob:s%40cret@db:5432/x?sslmode=require")
    assert (url, password) == ("postgresql://bob@db:5432/x?sslmode=require", "s@cret")
    assert _redacted("postgresql://bob:secret@db/x") == "postgresql://bob:***@db/x"
    assert _split_password("postgresql://db/x") == ("postgresql://db/x", None)
