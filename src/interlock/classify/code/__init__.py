"""Reading the code a command will run (placeholder, filled in by the code reader)."""

from __future__ import annotations

from typing import Any

from interlock.model import Action


def judge_python_source(source: str, via: str, ctx: Any) -> list[Action]:
    return [ctx.unknown(via, f"{via} runs Python code Interlock cannot judge")]
