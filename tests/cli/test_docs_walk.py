"""What a newcomer following the README runs verbatim, in a fresh directory."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import CLI

OPENAPI = """openapi: 3.0.0
info: {title: corp, version: "1"}
servers: [{url: "https://api.corp.example"}]
paths:
  /things/{id}:
    delete:
      operationId: things_delete
      responses: {"204": {description: gone}}
"""


def test_packs_import_writes_into_a_packs_directory_it_makes(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(OPENAPI)
    result = cli(
        "packs", "import", "openapi", "api.yaml", "--name", "corp", "-o", "packs/corp.toml"
    )
    assert result.code == 0, result.err
    pack = (tmp_path / "packs" / "corp.toml").read_text()
    assert "api.corp.example" in pack and "/things/" in pack


def test_credential_prompt_without_a_terminal_says_what_to_use(cli: CLI, tmp_path: Path) -> None:
    assert cli("init", "--home", str(tmp_path / "h")).code == 0
    result = cli(
        "resource", "add", "db", "--kind", "postgres", "--credential-prompt",
        "--home", str(tmp_path / "h"),
    )  # fmt: skip
    assert result.code == 1
    assert "--credential-stdin" in result.err and "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_init_admin_without_a_terminal_names_its_own_command(cli: CLI, tmp_path: Path) -> None:
    home = str(tmp_path / "h")
    result = cli("init", "--admin", "alice", "--home", home)  # stdin is not a terminal here
    assert result.code == 1
    assert "interlock init --admin alice --password-stdin" in " ".join(result.err.split())
    assert "user add" not in result.err
    again = cli(
        "init", "--admin", "alice", "--password-stdin", "--home", home, stdin="pw-123456789\n"
    )
    assert again.code == 0 and "totp secret:" in again.out


def test_serve_on_a_busy_port_names_where_the_address_came_from(cli: CLI, tmp_path: Path) -> None:
    import socket

    home = str(tmp_path / "h")
    assert cli("init", "--home", home).code == 0
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = cli("serve", "--port", str(port), "--home", home)
    assert result.code == 1 and "listening" not in result.out
    line = " ".join(result.err.split())
    assert f"127.0.0.1:{port} is already in use" in line and "[server] listen" in line
    assert len(result.err.strip().splitlines()) == 1
