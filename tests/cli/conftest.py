from __future__ import annotations

import io
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from interlock.cli import main


@dataclass
class Result:
    code: int
    out: str
    err: str


CLI = Callable[..., Result]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CLI:
    """Run `interlock ARGS…` in-process, as the console script would, and capture it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INTERLOCK_HOME", raising=False)
    monkeypatch.setenv("COLUMNS", "200")

    def run(*args: str, stdin: str = "") -> Result:
        monkeypatch.setattr(sys, "argv", ["interlock", *args])
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        with pytest.raises(SystemExit) as info:
            main()
        captured = capsys.readouterr()
        code = info.value.code
        return Result(code if isinstance(code, int) else 1, captured.out, captured.err)

    return run
