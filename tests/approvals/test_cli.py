"""`interlock approvals …` in-process: humans decide, agents are refused."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass

import pyotp
import pytest
import typer
from typer.exceptions import Abort, Exit, TyperException

from interlock.approvals import ApprovalStore, Status
from interlock.cli import approvals
from interlock.home import Home

from .conftest import AGENT, PROD, held


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(
    home: Home, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Result]:
    """The CLI on a single-person home: the local operator may decide (an explicit opt-in)."""
    with home.config_path.open("a") as config:
        config.write("\n[approvals]\nlocal_operator = true\n")
    return _runner(home, capsys, monkeypatch)


@pytest.fixture
def strict_cli(
    home: Home, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Result]:
    """The CLI on a home as `init` makes it: only registered humans decide."""
    return _runner(home, capsys, monkeypatch)


def _runner(
    home: Home, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Result]:
    root = typer.Typer(pretty_exceptions_enable=False, add_completion=False)
    root.add_typer(approvals.app, name="approvals")
    monkeypatch.setenv("INTERLOCK_HOME", str(home.root))
    monkeypatch.setenv("COLUMNS", "200")

    def run(*args: str) -> Result:
        try:
            value = root(list(args), standalone_mode=False)
            code = value if isinstance(value, int) else 0
        except Exit as exc:
            code = exc.exit_code
        except (Abort, TyperException):
            code = 1
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    monkeypatch.setattr(sys, "argv", ["interlock"])
    return run


def _pending(home: Home) -> str:
    return (
        ApprovalStore.for_home(home)
        .open_request(
            fingerprint="fp",
            agent=AGENT,
            resource=PROD,
            decision=held(),
            summary="POST /railway/graphql/v2 volumeDelete(vol-prod)",
            source="proxy:http",
        )
        .id
    )


def test_list_show_approve(cli: Callable[..., Result], home: Home) -> None:
    request_id = _pending(home)
    listed = cli("approvals", "list")
    assert request_id in listed.out and "pending" in listed.out
    shown = cli("approvals", "show", request_id)
    assert "graphql:volumeDelete" in shown.out and "hold-destructive-production" in shown.out
    as_json = json.loads(cli("approvals", "show", request_id, "--json").out)
    assert as_json["status"] == "pending"
    approved = cli("approvals", "approve", request_id, "-m", "checked with the owner")
    assert approved.code == 0 and "approved" in approved.out
    assert ApprovalStore.for_home(home).get(request_id).status is Status.APPROVED
    assert (
        request_id not in cli("approvals", "list").out or "approved" in cli("approvals", "list").out
    )


def test_deny_with_comment(cli: Callable[..., Result], home: Home) -> None:
    request_id = _pending(home)
    result = cli("approvals", "deny", request_id, "--comment", "never on production")
    assert result.code == 0
    request = ApprovalStore.for_home(home).get(request_id)
    assert request.status is Status.DENIED
    assert request.votes[0].comment == "never on production"
    assert request_id in cli("approvals", "list", "--all").out


def test_agent_token_in_environment_is_refused(
    cli: Callable[..., Result], home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    request_id = _pending(home)
    monkeypatch.setenv("INTERLOCK_AGENT_TOKEN", "ilk_aaaaaaaaaaaa_bbbbbbbbbbbb_" + "c" * 43)
    result = cli("approvals", "approve", request_id)
    assert result.code == 1 and "agent credentials are refused" in result.err
    assert ApprovalStore.for_home(home).get(request_id).status is Status.PENDING
    incidents = [r for r in home.audit_log().records() if r.type == "incident"]
    assert incidents and incidents[-1].body["action"] == "approvals approve"


def test_unknown_id(cli: Callable[..., Result]) -> None:
    result = cli("approvals", "approve", "apr_nope")
    assert result.code == 1 and "no approval request" in result.err


def test_owner_separation_holds_on_the_command_line_too(
    cli: Callable[..., Result], home: Home
) -> None:
    # The console refused an owner approving their own agent's hold; the CLI did not.
    from interlock.identity import AgentRegistry, local_operator

    operator = local_operator(home)
    record, _ = AgentRegistry.for_home(home).create(
        operator, "mine", environments=["production"], task="t", owner=operator.name
    )
    request_id = (
        ApprovalStore.for_home(home)
        .open_request(
            fingerprint="fp-own",
            agent=AGENT.__class__(record.name, id=record.id),
            resource=PROD,
            decision=held(),
            summary="volumeDelete",
            source="proxy:http",
        )
        .id
    )
    assert "owns agent" not in cli("approvals", "show", request_id).err
    with home.config_path.open("a") as config:
        config.write("\n[server]\nowner_separation = true\n")
    refused = cli("approvals", "approve", request_id)
    assert refused.code == 1 and "owns agent 'mine'" in refused.err
    assert ApprovalStore.for_home(home).get(request_id).status is Status.PENDING
    assert any(r.body.get("event") == "approval_refused" for r in home.audit_log().records())


def _enrol(home: Home, name: str, password: str) -> pyotp.TOTP:
    from interlock.identity import HumanRegistry, local_operator

    enrolment = HumanRegistry.for_home(home).add(
        local_operator(home), name, role="approver", password=password
    )
    return pyotp.TOTP(enrolment.totp_secret)


def test_without_proof_the_os_user_cannot_decide(
    strict_cli: Callable[..., Result], home: Home
) -> None:
    # The agent runs shell commands as this same OS user: the OS user is no proof.
    request_id = _pending(home)
    for verb in ("approve", "deny", "cancel"):
        refused = strict_cli("approvals", verb, request_id)
        assert refused.code == 1 and "--user NAME" in refused.err
    assert ApprovalStore.for_home(home).get(request_id).status is Status.PENDING


def test_a_registered_human_approves_with_password_and_totp(
    strict_cli: Callable[..., Result], home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    totp = _enrol(home, "alice", "correct horse battery staple")
    request_id = _pending(home)
    monkeypatch.setattr(sys, "stdin", io.StringIO("wrong password entirely\n"))
    args = ("approvals", "approve", request_id, "--user", "alice", "--password-stdin")
    wrong = strict_cli(*args, "--code", totp.now())
    assert wrong.code == 1
    assert ApprovalStore.for_home(home).get(request_id).status is Status.PENDING
    monkeypatch.setattr(sys, "stdin", io.StringIO("correct horse battery staple\n"))
    right = strict_cli(*args, "--code", totp.now())
    assert right.code == 0, right.err
    request = ApprovalStore.for_home(home).get(request_id)
    assert request.status is Status.APPROVED and request.approvals == ("alice",)


def test_the_local_operator_is_never_a_distinct_approver(
    cli: Callable[..., Result], home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    totp = _enrol(home, "root", "correct horse battery staple")
    request_id = (
        ApprovalStore.for_home(home)
        .open_request(
            fingerprint="fp-two",
            agent=AGENT,
            resource=PROD,
            decision=held(approvers=2),
            summary="volumeDelete",
            source="proxy:http",
        )
        .id
    )
    monkeypatch.setattr(sys, "stdin", io.StringIO("correct horse battery staple\n"))
    args = ("approvals", "approve", request_id, "--user", "root", "--password-stdin")
    assert cli(*args, "--code", totp.now()).code == 0
    # `local:root` plus `--user root` once counted as two people.
    refused = cli("approvals", "approve", request_id)
    assert refused.code == 1 and "distinct approvers" in refused.err
    request = ApprovalStore.for_home(home).get(request_id)
    assert request.status is Status.PENDING and request.approvals == ("root",)


def _second_pending(home: Home) -> str:
    return (
        ApprovalStore.for_home(home)
        .open_request(
            fingerprint="fp2",
            agent=AGENT,
            resource=PROD,
            decision=held(),
            summary="POST /railway/graphql/v2 volumeDelete(vol-other)",
            source="proxy:http",
        )
        .id
    )


def test_a_unique_prefix_names_a_request(cli: Callable[..., Result], home: Home) -> None:
    request_id = _pending(home)
    other = _second_pending(home)
    # the shortest prefix telling the two apart, with and without `apr_`
    common = next(i for i, (a, b) in enumerate(zip(request_id, other, strict=True)) if a != b)
    prefix = request_id[: common + 1]
    assert prefix in cli("approvals", "show", prefix).out.split()[0]
    assert request_id in cli("approvals", "show", prefix.removeprefix("apr_")).out
    approved = cli("approvals", "approve", prefix)
    assert approved.code == 0 and request_id in approved.out
    assert ApprovalStore.for_home(home).get(request_id).status is Status.APPROVED
    assert ApprovalStore.for_home(home).get(other).status is Status.PENDING


def test_an_ambiguous_prefix_is_refused_naming_the_candidates(
    cli: Callable[..., Result], home: Home
) -> None:
    first, second = _pending(home), _second_pending(home)
    for verb in ("show", "approve", "deny", "cancel"):
        result = cli("approvals", verb, "apr_")
        assert result.code == 1, verb
        assert "ambiguous" in result.err and first in result.err and second in result.err
    assert ApprovalStore.for_home(home).get(first).status is Status.PENDING
    missing = cli("approvals", "show", "apr_zzzz")
    assert missing.code == 1 and "no approval request" in missing.err


def test_list_shows_whole_ids_at_80_columns(
    cli: Callable[..., Result], home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    request_id = _pending(home)
    monkeypatch.setenv("COLUMNS", "80")
    listed = cli("approvals", "list")
    assert request_id in listed.out
    assert all(len(line) <= 80 for line in listed.out.splitlines())
