"""MCP calls that name no server: what the packs know of the tool's name carries the call.

`interlock check mcp '{"tool": …, "arguments": …}'` usually gets no `server`, so no single
pack can speak for the tool. Every pack that knows a tool of that name is asked: when they
agree, their verdict settles an `unknown` name and raises; when they disagree, the most
severe raises. Neither ever lowers what the call's own words and arguments say.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlock.classify import classify
from interlock.classify.http import configure
from interlock.model import Verb, most_severe

# Two hand-written packs for different servers that share tool names, as real servers do
# (`create_branch`, `search`, `delete_branch` are each on several shipped servers).
NOTES_PACK = """
name = "notes"
servers = ["notes"]
[mcp]
read = ["sync_items", "frob_report", "purge_cache"]
write = ["stamp_items"]
"""
VAULT_PACK = """
name = "vault"
servers = ["vault"]
[mcp]
destructive = ["sync_items"]
write = ["frob_report"]
read = ["run_sql"]
"""


def verdict(payload: object) -> Verb:
    return most_severe(a.verb for a in classify("mcp", payload))


@pytest.fixture
def shared_names(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "notes.toml").write_text(NOTES_PACK)
    (tmp_path / "vault.toml").write_text(VAULT_PACK)
    configure([tmp_path])
    yield tmp_path
    configure([])


def test_a_name_shared_by_a_harmless_and_a_destructive_pack_is_the_most_severe(
    shared_names: Path,
) -> None:
    assert verdict({"tool": "sync_items", "arguments": {}}) is Verb.DESTRUCTIVE
    # a server no pack serves tells nothing either
    assert verdict({"tool": "sync_items", "server": "elsewhere"}) is Verb.DESTRUCTIVE
    # the server named: its own pack speaks
    assert verdict({"tool": "sync_items", "server": "notes"}) is Verb.READ
    assert verdict({"tool": "mcp__vault__sync_items"}) is Verb.DESTRUCTIVE


def test_disagreeing_packs_never_settle_an_unknown_name(shared_names: Path) -> None:
    # read on one server, write on another: the name alone says nothing, and the most
    # severe of the two (write) would lower `unknown`
    assert verdict({"tool": "frob_report", "arguments": {}}) is Verb.UNKNOWN
    assert verdict({"tool": "frob_report", "server": "notes"}) is Verb.READ


def test_packs_that_agree_settle_an_unknown_name(shared_names: Path) -> None:
    assert verdict({"tool": "stamp_items", "arguments": {"id": 1}}) is Verb.WRITE


def test_a_pack_never_lowers_the_words_without_a_server(shared_names: Path) -> None:
    # a hand-written pack may lower on its own server, never for a call that names none
    assert verdict({"tool": "purge_cache", "server": "notes"}) is Verb.READ
    assert verdict({"tool": "purge_cache", "arguments": {}}) is Verb.DESTRUCTIVE
    # a carrier stays judged by what it carries
    drop = {"tool": "run_sql", "arguments": {"sql": "DROP TABLE users"}}
    assert verdict(drop) is Verb.DESTRUCTIVE
    assert verdict({"tool": "run_sql", "arguments": {"sql": "SELECT 1"}}) is Verb.READ


def test_look_alike_letters_are_not_settled_by_a_pack(shared_names: Path) -> None:
    assert verdict({"tool": "stamp_itеms", "arguments": {}}) is Verb.UNKNOWN  # Cyrillic е


def test_the_shipped_packs_carry_server_less_calls() -> None:
    configure([])
    for tool in ("kubectl_scale", "update-many", "label_write", "complete_query_tuning"):
        assert verdict({"tool": tool, "arguments": {}}) is Verb.DESTRUCTIVE, tool
    assert verdict({"tool": "create_user", "arguments": {"user_name": "ci"}}) is Verb.PRIVILEGE
    assert verdict({"tool": "dns_report", "arguments": {"zone": "z"}}) is Verb.READ
    assert verdict({"tool": "create_branch", "arguments": {"name": "x"}}) is Verb.WRITE
    # argument-dependent judgement stays per call
    scale = {"tool": "scale_deployment", "arguments": {"name": "api", "replicas": 0}}
    assert verdict(scale) is Verb.DESTRUCTIVE
    stage = {"pipeline": [{"$match": {}}, {"$out": "users"}]}
    assert verdict({"tool": "aggregate", "arguments": stage}) is Verb.DESTRUCTIVE
    assert verdict({"tool": "aggregate", "arguments": {"pipeline": [{"$match": {}}]}}) in (
        Verb.READ,
        Verb.WRITE,
    )


def test_the_console_script_judges_a_server_less_call(shared_names: Path) -> None:
    exe = Path(sys.executable).with_name("interlock")
    env = {**os.environ, "INTERLOCK_ROUTE_PACKS": str(shared_names)}
    for payload, decision in (
        ({"tool": "sync_items", "arguments": {}}, "hold"),
        ({"tool": "write_file", "arguments": {"path": "src/app.py", "content": "x"}}, "hold"),
        ({"tool": "kubectl_scale", "arguments": {"name": "api", "replicas": 3}}, "hold"),
        ({"tool": "stamp_items", "arguments": {"id": 1}}, "allow"),
        ({"tool": "dns_report", "arguments": {"zone": "z"}}, "allow"),
    ):
        done = subprocess.run(
            [str(exe), "check", "mcp", json.dumps(payload), "--json"],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            cwd=shared_names,
        )
        assert json.loads(done.stdout)["decision"] == decision, (payload, done.stdout)


# ---- property: a pack only ever settles or raises a server-less call --------------------------

_NAMES = (
    "write_file",
    "dns_report",
    "delete_branch",
    "create_branch",
    "list_projects",
    "run_sql",
    "frobnicate",
    "get_weather",
    "purge_cache",
    "sync_items",
)
_VERBS = (Verb.READ, Verb.WRITE, Verb.PRIVILEGE, Verb.DESTRUCTIVE)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tool=st.sampled_from(_NAMES),
    claimed=st.sampled_from(_VERBS),
    args=st.dictionaries(
        st.sampled_from(["path", "sql", "action", "replicas", "force"]),
        st.sampled_from(["DROP TABLE t", "SELECT 1", "delete", "list", 0, 2, True]),
        max_size=2,
    ),
)
def test_a_pack_never_lowers_a_server_less_verdict(
    tmp_path_factory: pytest.TempPathFactory, tool: str, claimed: Verb, args: dict[str, object]
) -> None:
    payload = {"tool": tool, "arguments": args}
    configure([])
    before = verdict(payload)
    folder = tmp_path_factory.mktemp("pack")
    (folder / "claim.toml").write_text(
        f'name = "claim"\nservers = ["claim"]\n[mcp]\n{claimed.value} = [{json.dumps(tool)}]\n'
    )
    try:
        configure([folder])
        after = verdict(payload)
    finally:
        configure([])
    # it raises, or settles an `unknown` the name left (to what the packs agree on)
    assert after.severity >= before.severity or before is Verb.UNKNOWN, (before, after)
