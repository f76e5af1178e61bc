"""The agent, user and resource commands, run in-process like the console script."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest
import typer
from typer.exceptions import Abort, Exit, TyperException

from interlock.cli import agent, audit, resource, user
from interlock.home import Home
from interlock.identity import (
    GENERIC_TOKEN_ERROR,
    authenticate_human,
    registered_agents,
    registered_resources,
    reveal_credential,
)
from interlock.model import Human


@dataclass
class Result:
    code: int
    out: str
    err: str


CLI = Callable[..., Result]

PLANTED = "PLANTED-pg-s3cr3t-7Hq2xZ9wVb4K"


def _root() -> typer.Typer:
    root = typer.Typer(pretty_exceptions_enable=False, add_completion=False)
    root.add_typer(agent.app, name="agent")
    root.add_typer(user.app, name="user")
    root.add_typer(resource.app, name="resource")
    root.add_typer(audit.app, name="audit")
    return root


@pytest.fixture
def cli(home: Home, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> CLI:
    root = _root()
    monkeypatch.setenv("INTERLOCK_HOME", str(home.root))
    monkeypatch.setenv("COLUMNS", "200")

    def run(*args: str, stdin: str = "") -> Result:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        try:
            value = root(list(args), standalone_mode=False)
            code = value if isinstance(value, int) else 0
        except Exit as exc:
            code = exc.exit_code
        except (Abort, TyperException):
            code = 1
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def _token(result: Result) -> str:
    lines = [line for line in result.out.splitlines() if line.startswith("ilk_")]
    assert len(lines) == 1, result.out
    return lines[0]


def test_agent_lifecycle(cli: CLI, home: Home) -> None:
    created = cli(
        "agent",
        "create",
        "builder",
        "--env",
        "staging",
        "--env",
        "dev",
        "--ttl",
        "2h",
        "--task",
        "fix the staging deploy",
        "--owner",
        "alice@example.com",
        "--resource",
        "orders-db",
        "--max-risk",
        "write",
    )
    assert created.code == 0, created.err
    token = _token(created)
    assert "shown once" in created.out

    listed = cli("agent", "list")
    assert "builder" in listed.out and "active" in listed.out and token not in listed.out
    shown = cli("agent", "show", "builder", "--json")
    data = json.loads(shown.out)
    assert data["environments"] == ["dev", "staging"] and data["max_risk"] == "write"
    assert data["resources"] == ["orders-db"] and token not in shown.out

    verified = cli("agent", "verify", "--token-stdin", "--json", stdin=token + "\n")
    assert verified.code == 0 and json.loads(verified.out)["agent"] == "builder"
    assert registered_agents(home)["builder"].environments == frozenset({"staging", "dev"})

    assert cli("agent", "suspend", "builder").code == 0
    refused = cli("agent", "verify", "--token-stdin", stdin=token)
    assert refused.code == 1 and GENERIC_TOKEN_ERROR in refused.err
    assert "suspended" not in refused.err  # the reason is for the audit log, not the caller
    assert registered_agents(home)["builder"].environments == frozenset()
    assert cli("agent", "resume", "builder").code == 0

    rotated = cli("agent", "rotate", "builder")
    new_token = _token(rotated)
    assert new_token != token
    assert cli("agent", "verify", "--token-stdin", stdin=token).code == 1
    assert cli("agent", "verify", "--token-stdin", stdin=new_token).code == 0

    child = cli(
        "agent",
        "mint-child",
        "reader",
        "--env",
        "staging",
        "--max-risk",
        "read",
        "--token-stdin",
        stdin=new_token,
    )
    assert child.code == 0, child.err
    child_token = _token(child)
    wider = cli(
        "agent", "mint-child", "wider", "--env", "production", "--token-stdin", stdin=new_token
    )
    assert wider.code == 1 and "production" in wider.err

    assert cli("agent", "revoke", "builder").code == 0
    for old in (new_token, child_token):
        assert cli("agent", "verify", "--token-stdin", stdin=old).code == 1
    assert "builder" not in cli("agent", "list").out
    assert "revoked" in cli("agent", "list", "--all").out

    exported = cli("audit", "export").out
    reasons = [
        json.loads(line)["body"].get("reason")
        for line in exported.splitlines()
        if json.loads(line)["type"] == "auth"
    ]
    assert reasons == ["agent_suspended", "token_revoked", "agent_revoked", "agent_revoked"]
    for secret in (token, new_token, child_token):
        assert secret.split("_", 3)[3] not in exported


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--task", "t", "--owner", "o"), "at least one environment"),
        (("--env", "dev", "--owner", "o"), "--task"),
        (("--env", "dev", "--task", "t"), "--owner"),
        (("--env", "dev", "--task", "t", "--owner", "o", "--ttl", "30h"), "configured maximum"),
        (("--env", "dev", "--task", "t", "--owner", "o", "--ttl", "soon"), "duration"),
        (("--env", "dev", "--task", "t", "--owner", "o", "--max-risk", "unknown"), "risk"),
    ],
)
def test_agent_create_bad_input(cli: CLI, args: tuple[str, ...], words: str) -> None:
    result = cli("agent", "create", "builder", *args)
    assert result.code == 1
    assert words in result.err


def test_an_agent_running_the_cli_cannot_create_agents(
    cli: CLI, home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = _token(
        cli("agent", "create", "builder", "--env", "staging", "--task", "t", "--owner", "o")
    )
    monkeypatch.setenv("INTERLOCK_AGENT_TOKEN", token)
    for args in (
        ("agent", "create", "wider", "--env", "production", "--task", "t", "--owner", "o"),
        ("agent", "resume", "builder"),
        ("user", "add", "mallory", "--role", "admin", "--password-stdin"),
        ("resource", "add", "db", "--upstream", "https://x.example"),
    ):
        result = cli(*args, stdin="correct horse battery staple\n")
        assert result.code == 1, args
        assert "agent credentials are refused" in result.err
    incidents = [
        json.loads(line)["body"]
        for line in cli("audit", "export").out.splitlines()
        if json.loads(line)["type"] == "incident"
    ]
    assert [i["action"] for i in incidents] == [
        "agent create",
        "agent resume",
        "user add",
        "resource add",
    ]
    assert all(i["grant_id"] == token.split("_")[2] for i in incidents)
    monkeypatch.delenv("INTERLOCK_AGENT_TOKEN")
    assert "wider" not in cli("agent", "list").out


def test_user_add_list_remove_and_login(cli: CLI, home: Home) -> None:
    password = "correct horse battery staple"
    added = cli(
        "user",
        "add",
        "alice",
        "--role",
        "admin",
        "--password-stdin",
        "--json",
        stdin=password + "\n",
    )
    assert added.code == 0, added.err
    enrolment = json.loads(added.out)
    assert enrolment["provisioning_uri"].startswith("otpauth://totp/Interlock:alice")
    assert password not in added.out + added.err
    code = pyotp.TOTP(enrolment["totp_secret"]).now()
    assert authenticate_human("alice", password, code, home=home) == Human("alice", "admin")
    listed = cli("user", "list")
    assert "alice" in listed.out and "admin" in listed.out
    assert enrolment["totp_secret"] not in listed.out
    raw = home.database.read_bytes()
    for suffix in ("-wal", "-shm"):
        extra = home.database.with_name(home.database.name + suffix)
        raw += extra.read_bytes() if extra.exists() else b""
    assert enrolment["totp_secret"].encode() not in raw and password.encode() not in raw
    assert cli("user", "add", "bob", "--role", "root", "--password-stdin", stdin=password).code == 1
    assert cli("user", "add", "bob", "--password-stdin", stdin="short").code == 1
    assert cli("user", "remove", "alice").code == 0
    assert cli("user", "remove", "alice").code == 1


def test_planted_credential_never_leaves_the_store(
    cli: CLI, home: Home, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ORDERS_DB_PASSWORD", PLANTED)
    outputs: list[Result] = [
        cli(
            "resource",
            "add",
            "orders-db",
            "--kind",
            "postgres",
            "--env",
            "production",
            "--tag",
            "pii",
            "--tag",
            "backup",
            "--owner",
            "data-team",
            "--upstream",
            "postgresql://app@db.internal:5432/orders",
            "--credential-from-env",
            "ORDERS_DB_PASSWORD",
        ),
        cli(
            "resource",
            "add",
            "billing-api",
            "--kind",
            "http",
            "--env",
            "staging",
            "--upstream",
            "https://billing.internal",
            "--credential-stdin",
            stdin=PLANTED + "-api\n",
        ),
        cli(
            "resource",
            "add",
            "leaky",
            "--kind",
            "postgres",
            "--upstream",
            f"postgresql://app:{PLANTED}@db.internal/orders",
        ),
        cli(
            "resource",
            "add",
            "leaky",
            "--kind",
            "http",
            "--upstream",
            f"https://x.internal/?api_key={PLANTED}",
        ),
        cli(
            "resource",
            "add",
            "orders-db",
            "--kind",
            "postgres",
            "--upstream",
            "postgresql://db.internal",
            "--credential-from-env",
            "ORDERS_DB_PASSWORD",
        ),
        cli("resource", "list"),
        cli("resource", "list", "--json"),
        cli("resource", "show", "orders-db"),
        cli("resource", "show", "orders-db", "--json"),
        cli("resource", "show", "billing-api"),
        cli("audit", "tail", "-n", "100"),
        cli("audit", "tail", "-n", "100", "--json"),
        cli("audit", "export"),
        cli("audit", "export", "-o", str(tmp_path / "export.jsonl")),
    ]
    assert [r.code for r in outputs[:5]] == [0, 0, 1, 1, 1]
    assert "must not contain a password" in outputs[2].err
    assert "already registered" in outputs[4].err
    shown = outputs[7].out
    assert "credential:" in shown and "stored (encrypted, set 20" in shown
    assert json.loads(outputs[8].out)["credential"].startswith("stored (encrypted, set ")

    # The enforcement point's door is the only way out, and it works.
    assert reveal_credential(home, "orders-db") == PLANTED
    assert reveal_credential(home, "billing-api") == PLANTED + "-api"
    assert registered_resources(home)["orders-db"].tags == frozenset({"pii", "backup"})

    cli("resource", "remove", "billing-api")
    everything = "".join(r.out + r.err for r in outputs)
    everything += (tmp_path / "export.jsonl").read_text()
    assert PLANTED not in everything
    for path in home.root.rglob("*"):
        if path.is_file():
            assert PLANTED.encode() not in path.read_bytes(), path


def test_resource_add_refuses_a_name_from_interlock_toml(cli: CLI, home: Home) -> None:
    home.config_path.write_text(
        home.config_path.read_text() + '\n[resources.orders-db]\nenvironment = "production"\n'
    )
    result = cli("resource", "add", "orders-db", "--upstream", "x")
    assert result.code == 1 and "interlock.toml" in result.err


def test_resource_credential_options_are_exclusive(
    cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("V", "x")
    result = cli(
        "resource",
        "add",
        "db",
        "--upstream",
        "x",
        "--credential-from-env",
        "V",
        "--credential-stdin",
    )
    assert result.code == 1 and "one way" in result.err
    missing = cli("resource", "add", "db", "--upstream", "x", "--credential-from-env", "NOPE")
    assert missing.code == 1 and "NOPE is not set" in missing.err


def test_token_is_printed_exactly_once(cli: CLI) -> None:
    created = cli(
        "agent", "create", "builder", "--env", "dev", "--task", "t", "--owner", "o", "--json"
    )
    token = json.loads(created.out)["token"]
    later = "".join(
        cli(*args).out
        for args in (("agent", "list", "--json"), ("agent", "show", "builder"), ("audit", "export"))
    )
    assert token not in later and token.split("_", 3)[3] not in later


def test_privilege_is_granted_only_by_name(cli: CLI) -> None:
    created = cli(
        "agent",
        "create",
        "keeper",
        "--env",
        "staging",
        "--task",
        "rotate keys",
        "--owner",
        "alice@example.com",
        "--max-risk",
        "privilege",
    )
    assert created.code == 0, created.err
    shown = cli("agent", "show", "keeper", "--json")
    assert shown.code == 0, shown.err
    assert json.loads(shown.out)["max_risk"] == "privilege"
