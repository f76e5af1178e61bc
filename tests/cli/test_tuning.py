"""`interlock rules …`, `report`, `policy backtest`, and what `check`, `explain` and
`validate` say about rules and shadowed permits, from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interlock.home import Home, init_home
from tests.cli.conftest import CLI

AGENT_TOKEN = "ilk_aaaaaaaaaaaa_bbbbbbbbbbbb_" + "c" * 43


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    monkeypatch.delenv("INTERLOCK_AGENT_TOKEN", raising=False)
    made, _ = init_home(tmp_path / "home")
    monkeypatch.setenv("INTERLOCK_HOME", str(made.root))
    return made


def _operator(home: Home) -> None:
    home.config_path.write_text(
        home.config_path.read_text() + "\n[approvals]\nlocal_operator = true\n"
    )


def test_changing_rules_needs_a_human(cli: CLI, home: Home) -> None:
    refused = cli(
        "rules", "add", "rm -rf node_modules", "--risk", "write", "--home", str(home.root)
    )
    assert refused.code == 1 and "needs a registered human" in refused.err
    assert not home.rules_path.exists()


def test_an_agent_token_is_refused_and_recorded(
    cli: CLI, home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    _operator(home)
    monkeypatch.setenv("INTERLOCK_AGENT_TOKEN", AGENT_TOKEN)
    refused = cli("rules", "add", "rm *", "--risk", "read", "--home", str(home.root))
    assert refused.code == 1 and "agent credentials are refused" in refused.err
    assert not home.rules_path.exists()
    incidents = [r for r in home.audit_log().records() if r.type == "incident"]
    assert incidents and incidents[-1].body["action"] == "rules add"


def test_add_list_test_remove(cli: CLI, home: Home) -> None:
    _operator(home)
    h = ("--home", str(home.root))
    added = cli("rules", "add", "rm -rf node_modules", "--risk", "write", "-m", "rebuilt", *h)
    assert added.code == 0, added.err
    assert cli("rules", "add", "DELETE /v2/cache/*", "--risk", "write", *h).code == 0
    assert cli("rules", "add", "minsky.list_*", "--kind", "mcp", "--risk", "read", *h).code == 0
    again = cli("rules", "add", "rm -rf node_modules", "--risk", "read", *h)
    assert again.code == 1 and "already matches" in again.err
    listed = json.loads(cli("rules", "list", "--json", *h).out)
    assert [(r["id"], r["kind"], r["risk"]) for r in listed["rules"]] == [
        ("rule-1", "shell", "write"),
        ("rule-2", "http", "write"),
        ("rule-3", "mcp", "read"),
    ]
    assert listed["rules"][0]["note"] == "rebuilt" and listed["rules"][0]["added_by"]
    tried = cli("rules", "test", "shell", "rm -rf node_modules && rm -rf src", *h)
    assert tried.code == 0
    assert "rule rule-1 sets shell:rm write (classified destructive)" in tried.out
    assert "no rule matches shell:rm" in tried.out

    checked = cli("check", "shell", "rm -rf node_modules", "--json", *h)
    assert checked.code == 0
    action = json.loads(checked.out)["actions"][0]
    assert action["rule"] == "rule-1" and action["classified_risk"] == "destructive"
    explained = cli("policy", "explain", "shell", "rm -rf node_modules", *h)
    assert "rule rule-1 'rm -rf node_modules'" in explained.out
    assert "(classified destructive)" in explained.out

    assert cli("rules", "remove", "rule-1", *h).code == 0
    assert cli("check", "shell", "rm -rf node_modules", *h).code == 2  # held again
    missing = cli("rules", "remove", "rule-9", *h)
    assert missing.code == 1 and "no rule 'rule-9'" in missing.err
    events = [r.body for r in home.audit_log().records() if r.type == "rules"]
    assert [e["event"] for e in events] == ["rule_added"] * 3 + ["rule_removed"]


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (("x && y", "--risk", "read"), "one command only"),
        (("ls", "--risk", "harmless"), "expected one of"),
        (("ls", "--risk", "read", "--kind", "sql"), "--kind 'sql'"),
        (("a b", "--risk", "read", "--kind", "mcp"), "server.tool"),
    ],
)
def test_a_bad_rule_is_one_clear_line(
    cli: CLI, home: Home, args: tuple[str, ...], problem: str
) -> None:
    _operator(home)
    result = cli("rules", "add", *args, "--home", str(home.root))
    assert result.code == 1 and problem in result.err
    assert "Traceback" not in result.err and not home.rules_path.exists()


def test_a_broken_rules_file_is_refused_naming_it(cli: CLI, home: Home) -> None:
    home.rules_path.write_text('[[rule]]\nmatch = "ls"\nrisk = "nope"\n')
    result = cli("check", "shell", "ls", "--home", str(home.root))
    assert result.code == 1 and "rules.toml" in result.err and "rule 1" in result.err


def test_validate_reports_a_permit_a_forbid_always_beats(cli: CLI, home: Home) -> None:
    mine = home.root / "policies" / "mine.cedar"
    mine.write_text(
        '@id("allow-node-modules")\n'
        'permit (principal, action == Action::"destructive", resource)\n'
        'when { context.targets.contains("node_modules") };\n'
    )
    result = cli("policy", "validate", "--home", str(home.root))
    assert result.code == 0
    text = result.out.replace("\n", " ")
    assert "warning: permit allow-node-modules" in text
    assert "hold-destructive-production" in text and "interlock rules add" in text
    assert cli("policy", "validate", "--strict", "--home", str(home.root)).code == 1


def test_report_and_backtest_from_recorded_checks(cli: CLI, home: Home, tmp_path: Path) -> None:
    h = ("--home", str(home.root))
    for command in ("rm -rf node_modules", "ls", "minsky tasks list"):
        cli("check", "shell", command, "--record", *h)
    report = json.loads(cli("report", "--since", "1h", "--json", *h).out)
    assert report["decisions"] == 3 and report["decided"] == {"hold": 2, "allow": 1}
    candidate = tmp_path / "rules.toml"
    candidate.write_text('[[rule]]\nmatch = "minsky tasks *"\nrisk = "read"\n')
    result = cli("policy", "backtest", "--rules", str(candidate), "--since", "1h", *h)
    assert result.code == 0
    assert "1 would change" in result.out and "minsky tasks list  hold → allow" in result.out


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (("report", "--since", "a week"), "duration 'a week' is not valid"),
        (("policy", "backtest"), "give the candidate"),
        (("policy", "backtest", "--rules", "/nonexistent/rules.toml", "--since", "0d"), "zero"),
    ],
)
def test_bad_arguments_are_one_clear_line(
    cli: CLI, home: Home, args: tuple[str, ...], problem: str
) -> None:
    result = cli(*args, "--home", str(home.root))
    assert result.code == 1 and problem in result.err


@pytest.mark.parametrize(
    "command",
    [
        ("rules", "add"),
        ("rules", "list"),
        ("rules", "remove"),
        ("rules", "test"),
        ("report",),
        ("policy", "backtest"),
        ("policy", "validate"),
    ],
)
def test_every_command_has_help(cli: CLI, command: tuple[str, ...]) -> None:
    result = cli(*command, "--help")
    assert result.code == 0 and "Usage" in result.out
