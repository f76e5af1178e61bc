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
    result = cli("packs", "import", "openapi", "api.yaml", "--name", "corp", "-o", "packs/corp.toml")
    assert result.code == 0, result.err
    pack = (tmp_path / "packs" / "corp.toml").read_text()
    assert "api.corp.example" in pack and "/things/" in pack
