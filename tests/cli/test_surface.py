"""The command line's surface as a whole: every command's `--help` says what its source says
(no text lost to markup), errors print TOML table names literally, and the commands that
print data offer `--json`."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main

from interlock.cli import app
from tests.cli.conftest import CLI

BRACKETED = re.compile(r"\[[^\]\s]+\]")

# Commands that run a server, change something and say so in a sentence, or write a file:
# nothing in their output is data a script would parse.
NO_DATA = {
    "demo",
    "hook",  # answers in the agent host's own JSON protocol
    "serve",
    "up",
    "completion",
    "proxy http",
    "proxy pg",
    "hooks serve",
    "hooks uninstall",
    "service install",
    "service uninstall",
    "agent suspend",
    "agent resume",
    "agent revoke",
    "user remove",
    "resource remove",
    "audit export",  # writes JSON lines already
    "baseline incident",
    "baseline learn",
    "baseline rebuild",
    "rules add",
    "rules remove",
    "packs import graphql",  # these three write a pack file
    "packs import mcp",
    "packs import openapi",
}


def _commands() -> Iterator[tuple[str, Any]]:
    def walk(command: Any, path: list[str]) -> Iterator[tuple[str, Any]]:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                yield from walk(sub, [*path, name])
        else:
            yield " ".join(path), command

    yield from walk(typer.main.get_command(app), [])


COMMANDS = dict(_commands())


def _source_texts(command: Any) -> list[str]:
    texts = [command.help or ""]
    texts += [getattr(param, "help", None) or "" for param in command.params]
    return texts


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_help_loses_no_bracketed_text(cli: CLI, path: str) -> None:
    result = cli(*path.split(), "--help")
    assert result.code == 0, result.err
    shown = " ".join(result.out.split())
    for text in _source_texts(COMMANDS[path]):
        for fragment in BRACKETED.findall(text):
            assert fragment in shown, f"`{path} --help` lost {fragment}"
    assert "(default:  " not in shown


def test_the_root_help_lists_every_group(cli: CLI) -> None:
    shown = cli("--help").out
    for group in ("approvals", "proxy", "hooks", "completion"):
        assert group in shown


def test_every_command_that_prints_data_offers_json() -> None:
    lacking = sorted(
        path
        for path, command in COMMANDS.items()
        if path not in NO_DATA
        and "--json" not in {o for p in command.params for o in getattr(p, "opts", [])}
    )
    assert lacking == [], f"commands printing data without --json: {lacking}"


def test_an_error_naming_a_table_prints_it_literally(cli: CLI, tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert cli("init", "--home", str(home)).code == 0
    with (home / "interlock.toml").open("a") as config:
        config.write('\n[proxy.http.routes.api]\nupstream = "ftp://example.com"\n')
    result = cli("up", "--check", "--home", str(home))
    assert result.code == 1
    assert "[proxy.http.routes.api]" in " ".join(result.err.split())


def test_json_outputs_parse(cli: CLI, tmp_path: Path) -> None:
    home = str(tmp_path / "home")
    assert json.loads(cli("init", "--home", home, "--json").out)["home"]
    assert json.loads(cli("version", "--json").out)["version"]
    validated = json.loads(cli("policy", "validate", "--home", home, "--json").out)
    assert validated["policies"] > 0 and validated["files"]
    explained = json.loads(
        cli("policy", "explain", "sql", "DROP TABLE t", "-e", "production", "--json").out
    )
    assert explained["decision"]["decision"] in ("hold", "deny")
    assert explained["actions"][0]["operation"]
