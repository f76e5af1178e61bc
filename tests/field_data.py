"""Public field data some tests and benchmarks measure against: providers' published API
definitions and other guards' own test suites.

It is other projects' material, so it is kept outside this repository: put a copy in
`.field-data/` at the top of the checkout (git ignores it) or point `INTERLOCK_FIELD_DATA`
at one (`schemas/`: OpenAPI, GraphQL and MCP tool lists; `guards/`: the guards' suites, each
folder with its SOURCES and licences). Without it, the tests that need it skip and say why;
everything the product ships (the generated packs, the labelled provider calls) stays tested.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIELD_DATA = Path(os.environ.get("INTERLOCK_FIELD_DATA") or ROOT / ".field-data")


def field_path(*parts: str) -> Path:
    """Where a piece of the field data is (whether or not it is there)."""
    return FIELD_DATA.joinpath(*parts)


def require_field_data(*parts: str) -> Path:
    """The path, or skip the calling test naming what is missing and how to provide it."""
    path = field_path(*parts)
    if not path.exists():
        pytest.skip(
            f"field data {'/'.join(parts)} is not here ({path}): it is kept outside the "
            "repository; set INTERLOCK_FIELD_DATA (see tests/field_data.py)"
        )
    return path
