"""`interlock scan` end to end: report, JSON, exit codes, and never a secret in any output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from interlock.cli.scan import scan
from tests.secrets._fakes import gcp_service_account, plants

PLANTS = plants()


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    app.command()(scan)
    return app


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A small project with one fake credential per provider spread over several files."""
    (tmp_path / "src").mkdir()
    (tmp_path / "deploy").mkdir()
    for index, plant in enumerate(PLANTS):
        target = tmp_path / ("src" if index % 2 else "deploy") / f"file{index}.txt"
        target.write_text(f"# unrelated\nname = 'service'\n{plant.line}\n")
    gcp_text, _ = gcp_service_account()
    (tmp_path / "deploy" / "sa.json").write_text(gcp_text)
    (tmp_path / "README.md").write_text("Nothing to see here.\n")
    return tmp_path


def _run(app: typer.Typer, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), input=stdin, env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def _assert_no_secret(*outputs: str) -> None:
    _, gcp_key = gcp_service_account()
    for output in outputs:
        for plant in PLANTS:
            assert plant.value not in output, plant.rule
        assert gcp_key[40:80] not in output


def test_finds_every_planted_provider_and_exits_1(app: typer.Typer, tree: Path) -> None:
    code, out, err = _run(app, str(tree))
    assert code == 1
    for plant in PLANTS:
        assert plant.rule in out
    assert "gcp-service-account" in out
    assert f"{len(PLANTS) + 1} exposed credentials" in out
    assert "Interlock secret store" in out
    _assert_no_secret(out, err)


def test_json_is_one_object_per_finding_and_nothing_else(app: typer.Typer, tree: Path) -> None:
    code, out, err = _run(app, str(tree), "--json")
    assert code == 1
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == len(PLANTS) + 1
    assert {r["rule"] for r in rows} >= {p.rule for p in PLANTS}
    assert set(rows[0]) == {
        "path", "line", "column", "rule", "provider", "confidence", "preview", "length"
    }  # fmt: skip
    assert all(r["line"] == 3 for r in rows if not r["path"].endswith("sa.json"))
    _assert_no_secret(out, err)


def test_clean_tree_exits_0(app: typer.Typer, tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text('password = os.environ["DB_PASSWORD"]\n')
    code, out, _ = _run(app, str(tmp_path))
    assert code == 0
    assert "no exposed credentials found" in out
    code, out, _ = _run(app, str(tmp_path), "--json")
    assert (code, out) == (0, "")


def test_low_confidence_only_with_include_low(app: typer.Typer, tmp_path: Path) -> None:
    (tmp_path / "test_db.py").write_text('password = "hunter22"\n')
    assert _run(app, str(tmp_path))[0] == 0
    code, out, _ = _run(app, str(tmp_path), "--include-low")
    assert code == 1 and "password-assignment" in out and "hunter22" not in out


def test_missing_path_is_a_one_line_error_exit_1(app: typer.Typer, tmp_path: Path) -> None:
    code, out, err = _run(app, str(tmp_path / "nope"))
    assert code == 1
    assert out == ""
    assert "no such file or directory" in err and len(err.strip().splitlines()) == 1


def test_reads_standard_input(app: typer.Typer) -> None:
    text = "\n".join(p.line for p in PLANTS[:3])
    code, out, err = _run(app, "-", "--json", stdin=text)
    assert code == 1
    assert [json.loads(line)["path"] for line in out.splitlines()] == ["<stdin>"] * 3
    _assert_no_secret(out, err)
