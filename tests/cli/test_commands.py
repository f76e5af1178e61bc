"""`interlock init`, `policy …` and `audit …` from the command line."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from pathlib import Path

from tests.cli.conftest import CLI


def test_init_creates_a_home_once(cli: CLI, tmp_path: Path) -> None:
    first = cli("init")
    assert first.code == 0
    # By default outside every workspace: the user's config directory.
    home = Path(os.environ["XDG_CONFIG_HOME"]) / "interlock"
    assert not (tmp_path / ".interlock").exists()
    assert (home / "interlock.toml").is_file()
    assert (home / "policies" / "protect-production.cedar").is_file()
    key = home / "keys" / "audit-signing.key"
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(home / "keys" / "audit-hmac.key").st_mode) == 0o600
    before = key.read_bytes()
    again = cli("init")
    assert again.code == 0 and "nothing to do" in again.out
    assert key.read_bytes() == before


def test_init_elsewhere_and_use_it_with_home(cli: CLI, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    assert cli("init", "--home", str(target)).code == 0
    assert cli("policy", "validate", "--home", str(target)).code == 0
    bad = cli("policy", "validate", "--home", str(tmp_path / "missing"))
    assert bad.code == 1 and "not an Interlock home" in bad.err


def test_home_is_found_from_a_subdirectory(cli: CLI, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    cli("init", "--home", str(tmp_path / ".interlock"))
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    assert cli("audit", "verify").code == 0


def test_policy_validate_reports_file_and_line(cli: CLI, tmp_path: Path) -> None:
    good = cli("policy", "validate")
    assert good.code == 0 and "policies valid" in good.out
    broken = tmp_path / "broken.cedar"
    broken.write_text(
        "permit (principal, action, resource);\n\nforbid (principal, action, resource) when { };\n"
    )
    result = cli("policy", "validate", str(broken))
    assert result.code == 1
    assert f"{broken}:3: does not parse" in result.err.replace("\n", "")


def test_policy_test_passes_and_fails(cli: CLI, tmp_path: Path) -> None:
    tests = tmp_path / "policy-tests.yaml"
    tests.write_text(
        """
resources:
  vault: {environment: staging, tags: [backup]}
cases:
  - name: a dropped production table is held
    kind: sql
    payload: DROP TABLE orders
    expect: hold
    policies: [hold-destructive-production]
  - name: backups are untouchable
    kind: sql
    payload: DROP TABLE orders
    resource: vault
    expect: deny
"""
    )
    ok = cli("policy", "test", str(tests))
    assert ok.code == 0, ok.out
    assert "2 passed, 0 failed" in ok.out
    tests.write_text(
        "cases:\n  - {name: wrong, kind: sql, payload: DROP TABLE t, expect: allow}\n"
        "  - {name: bad expect, kind: sql, payload: x, expect: maybe}\n"
    )
    failing = cli("policy", "test", str(tests))
    assert failing.code == 1
    assert "FAIL wrong" in failing.out and "expected allow, got hold" in failing.out
    assert "'expect' must be allow, hold or deny" in failing.out
    assert "0 passed, 2 failed" in failing.out


def test_policy_test_with_own_policies(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "p.cedar").write_text(
        '@id("reads")\npermit (principal, action == Action::"read", resource);\n'
    )
    tests = tmp_path / "t.json"
    tests.write_text(
        json.dumps(
            {
                "policies": "mine",
                "cases": [
                    {
                        "name": "writes are not permitted",
                        "kind": "sql",
                        "payload": "DROP TABLE x",
                        "expect": "deny",
                    },
                ],
            }
        )
    )
    assert cli("policy", "test", str(tests)).code == 0


def test_policy_test_bad_file(cli: CLI, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("cases: [unclosed\n")
    result = cli("policy", "test", str(bad))
    assert result.code == 1 and "not valid YAML" in result.err


def test_policy_explain_shows_the_deciding_policy(cli: CLI) -> None:
    result = cli("policy", "explain", "sql", "DROP TABLE users")
    assert result.code == 0
    assert "hold-destructive-production" in result.out
    assert "forbid (principal is Agent" in result.out
    assert "cedar request" in result.out


def test_audit_verify_tail_export(cli: CLI, tmp_path: Path) -> None:
    assert cli("audit", "verify").code == 1  # no home
    cli("init", "--home", str(tmp_path / ".interlock"))
    for _ in range(3):
        cli("check", "sql", "DROP TABLE users", "--record")
    assert cli("audit", "checkpoint").code == 0
    verified = cli("audit", "verify")
    assert verified.code == 0 and "3 records, chain intact" in verified.out
    tail = cli("audit", "tail", "-n", "2")
    assert tail.out.count("decision") == 2
    exported = tmp_path / "audit.jsonl"
    assert cli("audit", "export", "--format", "jsonl", "-o", str(exported)).code == 0
    rows = [json.loads(line) for line in exported.read_text().splitlines()]
    assert [r["seq"] for r in rows] == [1, 2, 3]
    assert cli("audit", "export", "--format", "csv").code == 1
    with sqlite3.connect(tmp_path / ".interlock" / "state" / "interlock.db") as db:
        db.execute("DELETE FROM audit_records WHERE seq = 2")
    tampered = cli("audit", "verify")
    assert tampered.code == 1
    assert "record 2 missing" in tampered.out


def test_version_and_help(cli: CLI) -> None:
    from interlock import __version__

    version = cli("version")
    assert version.code == 0 and version.out.strip() == __version__
    result = cli("--help")
    assert result.code == 0 and "Usage:" in result.out and "check" in result.out
    bare = cli()  # no command: the same help, not an error
    assert (bare.code, bare.out) == (0, result.out)


def test_the_default_home_is_found_from_anywhere(cli: CLI, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert cli("init").code == 0
    elsewhere = tmp_path / "some" / "project"
    elsewhere.mkdir(parents=True)
    monkeypatch.chdir(elsewhere)
    assert cli("audit", "verify").code == 0


def test_a_home_is_found_from_inside_it(cli: CLI, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "guard-home"
    made = cli("init", "--home", str(target))
    assert made.code == 0 and "INTERLOCK_HOME" in made.out
    monkeypatch.chdir(target)
    assert cli("audit", "verify").code == 0


def test_a_home_inside_a_repository_is_git_ignored(cli: CLI, tmp_path: Path) -> None:
    import subprocess

    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    assert cli("init", "--home", str(repo / ".interlock")).code == 0
    assert "/.interlock/" in (repo / ".gitignore").read_text().splitlines()
    (repo / "app.py").write_text("print(1)\n")
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    staged = subprocess.run(
        ["git", "-C", str(repo), "diff", "--cached", "--name-only"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert "app.py" in staged and not [f for f in staged if f.startswith(".interlock")]
    assert cli("init", "--home", str(repo / ".interlock")).code == 0
    assert (repo / ".gitignore").read_text().count("/.interlock/") == 1


def test_init_enrols_the_first_human(cli: CLI, tmp_path: Path) -> None:
    made = cli(
        "init",
        "--home",
        str(tmp_path / "h"),
        "--admin",
        "alice",
        "--password-stdin",
        stdin="correct horse battery staple\n",
    )
    assert made.code == 0, made.err
    assert "totp secret:" in made.out and "otpauth://" in made.out
    users = cli("user", "list", "--json", "--home", str(tmp_path / "h"))
    assert [u["name"] for u in json.loads(users.out)] == ["alice"]
    # Without --admin and without a terminal: it says how, and enrols nobody.
    other = cli("init", "--home", str(tmp_path / "other"))
    assert other.code == 0 and "No human is enrolled yet" in other.out
