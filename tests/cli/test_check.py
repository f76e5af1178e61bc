"""`interlock check`: exit codes, JSON fields and the batch contract of docs/check.md."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import CLI

# The built-in classifiers decide these; the tests here are about the contract around them.
HOLD_SQL = "DROP TABLE users"
READ_SQL = "SELECT 1"


def test_exit_status_follows_the_decision(cli: CLI) -> None:
    assert cli("check", "sql", READ_SQL).code == 0
    assert cli("check", "sql", HOLD_SQL).code == 2
    assert cli("check", "sql", HOLD_SQL, "--env", "staging").code == 0


def test_deny_exits_3(cli: CLI, tmp_path: Path) -> None:
    policy = tmp_path / "strict.cedar"
    policy.write_text('permit (principal, action == Action::"read", resource);\n')
    assert cli("check", "sql", HOLD_SQL, "--policies", str(policy)).code == 3


def test_json_output_has_the_contract_fields(cli: CLI) -> None:
    result = cli("check", "sql", HOLD_SQL, "--json")
    answer = json.loads(result.out)
    assert answer["decision"] == "hold"
    assert answer["risk"] == "destructive"
    (action,) = answer["actions"]
    assert action["protocol"] == "sql" and action["operation"] == "sql:DROP TABLE"
    assert action["risk"] == "destructive" and action["targets"] == ["users"]
    assert action["decision"] == "hold"
    assert answer["reasons"] and answer["policies"] == ["hold-destructive-production"]
    assert answer["safeguards"] == ["snapshot"] and answer["approvers"] == 1


def test_human_output_explains(cli: CLI) -> None:
    result = cli("check", "sql", HOLD_SQL)
    assert "HOLD" in result.out
    assert "hold-destructive-production" in result.out
    assert "must not look for another way" in result.out


def test_payload_from_stdin(cli: CLI) -> None:
    result = cli("check", "sql", "-", "--json", stdin=HOLD_SQL)
    assert json.loads(result.out)["decision"] == "hold"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("check",), "give KIND and PAYLOAD"),
        (("check", "python", "print(1)"), "unknown kind 'python'"),
        (("check", "sql"), "give KIND and PAYLOAD"),
        (("check", "sql", "x", "--batch", "-"), "--batch reads kind and payload"),
        (("check", "sql", "x", "--env", ""), "'env' must not be empty"),
        (("check", "sql", "x", "--policies", "/nonexistent"), "no such policy file"),
        (("check", "--nope"), "No such option"),
        (("check", "--batch", "/nonexistent/in.jsonl"), "cannot read"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(cli: CLI, args: tuple[str, ...], message: str) -> None:
    result = cli(*args)
    assert result.code == 1
    assert message in result.err
    assert "Traceback" not in result.err + result.out


def test_batch_one_line_per_input_in_order(cli: CLI) -> None:
    lines = [
        json.dumps({"kind": "sql", "payload": READ_SQL, "env": "staging"}),
        "not json",
        json.dumps({"kind": "sql", "payload": HOLD_SQL}),
        json.dumps({"kind": "nope", "payload": "x"}),
        json.dumps({"kind": "sql"}),
        json.dumps(["kind", "sql"]),
        "",
        json.dumps({"kind": "sql", "payload": HOLD_SQL, "env": "staging", "agent": "bot"}),
        json.dumps({"kind": "sql", "payload": READ_SQL, "env": 3}),
    ]
    result = cli("check", "--batch", "-", stdin="\n".join(lines) + "\n")
    assert result.code == 0
    answers = [json.loads(line) for line in result.out.splitlines()]
    assert len(answers) == len(lines)
    assert [a["decision"] for a in answers] == [
        "allow",
        "deny",
        "hold",
        "deny",
        "deny",
        "deny",
        "deny",
        "allow",
        "deny",
    ]
    for index in (1, 3, 4, 5, 6, 8):
        assert answers[index]["risk"] == "unknown"
        assert answers[index]["error"]
    assert "not valid JSON" in answers[1]["error"]
    assert "unknown kind" in answers[3]["error"]
    assert "missing 'payload'" in answers[4]["error"]


def test_batch_from_file(cli: CLI, tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"kind": "sql", "payload": READ_SQL}) + "\n")
    result = cli("check", "--batch", str(path))
    assert [json.loads(x)["decision"] for x in result.out.splitlines()] == ["allow"]


def test_registered_resource_environment_wins(cli: CLI, tmp_path: Path) -> None:
    assert cli("init", "--home", str(tmp_path / ".interlock")).code == 0
    config = tmp_path / ".interlock" / "interlock.toml"
    config.write_text(
        config.read_text()
        + '\n[resources.orders-db]\nkind = "postgres"\nenvironment = "production"\n'
        + '\n[resources.vault]\nenvironment = "staging"\ntags = ["backup"]\n'
    )
    # An agent cannot relabel a production resource as staging.
    assert cli("check", "sql", HOLD_SQL, "--resource", "orders-db", "--env", "staging").code == 2
    assert cli("check", "sql", READ_SQL, "--resource", "vault").code == 3


def test_record_writes_the_audit_log(cli: CLI) -> None:
    assert cli("check", "sql", READ_SQL, "--record").code == 1  # no home yet
    assert cli("init").code == 0
    assert cli("check", "sql", HOLD_SQL, "--record").code == 2
    tail = cli("audit", "tail", "--json")
    records = [json.loads(x) for x in tail.out.splitlines()]
    assert records[-1]["body"]["decision"]["decision"] == "hold"
    assert "payload_hmac" in records[-1]["body"]


def test_the_console_script_itself(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("interlock")
    done = subprocess.run(
        [str(exe), "check", "--batch", "-"],
        input='{"kind": "sql", "payload": "SELECT 1"}\nnot json\n',
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 0
    assert [json.loads(x)["decision"] for x in done.stdout.splitlines()] == ["allow", "deny"]


def test_privilege_is_its_own_risk_and_held_in_every_environment(cli: CLI) -> None:
    # Issue 15: creating or widening credentials is never an ordinary write.
    lines = [
        json.dumps({"kind": kind, "payload": payload, "env": env})
        for kind, payload in (
            ("sql", "CREATE USER u PASSWORD 'x'"),
            ("graphql", 'mutation { apiTokenCreate(input: {name: "ci"}) }'),
            ("mcp", {"tool": "add_deploy_key", "arguments": {"repo": "r"}}),
            ("http", {"method": "POST", "url": "https://api.github.com/user/keys"}),
        )
        for env in ("production", "staging")
    ]
    result = cli("check", "--batch", "-", stdin="\n".join(lines) + "\n")
    answers = [json.loads(line) for line in result.out.splitlines()]
    assert [(a["risk"], a["decision"]) for a in answers] == [("privilege", "hold")] * len(lines)
    assert all("hold-privilege" in a["policies"] for a in answers)
    single = cli("check", "sql", "GRANT postgres TO u", "--env", "staging", "--json")
    assert single.code == 2
    assert json.loads(single.out)["risk"] == "privilege"
