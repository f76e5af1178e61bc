"""The project's own files carry no credential (re-run as other modules land).

The fake credentials of these tests are generated at run time, so they are not in any file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock.secrets import Confidence, scan_path

ROOT = Path(__file__).resolve().parents[2]
TARGETS = ["src", "tests", "docs", "benchmarks", "README.md", "pyproject.toml", "Makefile"]


@pytest.mark.parametrize("target", TARGETS)
def test_project_tree_has_no_exposed_credentials(target: str) -> None:
    path = ROOT / target
    if not path.exists():
        pytest.skip(f"{target} does not exist")
    reported = [str(f) for f in scan_path(path) if f.confidence.rank >= Confidence.MEDIUM.rank]
    assert reported == []
