"""Walking a tree: what is scanned, what is skipped, and that links never leave the tree."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from interlock.errors import InputError
from interlock.secrets import ScanStats, scan_path
from tests.secrets._fakes import plants

PLANTS = {p.rule: p for p in plants()}


def _line(rule: str) -> str:
    return PLANTS[rule].line + "\n"


def test_walks_a_tree_and_reports_paths_and_lines(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "settings.py").write_text("DEBUG = True\n" + _line("github-token"))
    (tmp_path / ".env").write_text(_line("aws-access-key-id"))
    stats = ScanStats()
    found = sorted(
        (Path(f.path or "").name, f.line, f.rule) for f in scan_path(tmp_path, stats=stats)
    )
    assert found == [(".env", 1, "aws-access-key-id"), ("settings.py", 2, "github-token")]
    assert stats.files_scanned == 2


def test_skips_vcs_dependency_binary_and_large_files(tmp_path: Path) -> None:
    for directory in (".git", "node_modules", ".venv"):
        (tmp_path / directory).mkdir()
        (tmp_path / directory / "config").write_text(_line("github-token"))
    (tmp_path / "image.png").write_bytes(b"\x89PNG\x00\x00" + _line("github-token").encode())
    (tmp_path / "big.log").write_text("x" * 2000 + _line("github-token"))
    stats = ScanStats()
    assert list(scan_path(tmp_path, max_file_bytes=1000, stats=stats)) == []
    assert stats.files_skipped == 2


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_never_follows_a_link_out_of_the_tree(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "creds").write_text(_line("github-token"))
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "link-to-file").symlink_to(outside / "creds")
    (tree / "link-to-dir").symlink_to(outside, target_is_directory=True)
    assert list(scan_path(tree)) == []


def test_a_single_file_can_be_scanned(tmp_path: Path) -> None:
    file = tmp_path / "id_rsa"
    file.write_text(PLANTS["private-key"].line)
    (finding,) = scan_path(file)
    assert finding.rule == "private-key" and finding.path == str(file)


def test_a_missing_path_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="missing"):
        list(scan_path(tmp_path / "missing"))


def test_undecodable_bytes_do_not_stop_the_scan(tmp_path: Path) -> None:
    (tmp_path / "latin1.txt").write_bytes(b"caf\xe9 \xff\xfe\n" + _line("npm-token").encode())
    assert [f.rule for f in scan_path(tmp_path)] == ["npm-token"]
