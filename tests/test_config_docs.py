"""docs/configuration.md documents exactly the tables and keys the loader accepts, with the
defaults it applies, and its example file loads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from interlock.config import SHAPES, TABLES, Shape, parse_config, toml_literal

DOC = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"
_HEADING = re.compile(r"^### `(\[\[?[^`\]]+\]\]?)`\s*$")
_ROW = re.compile(r"^\| `([A-Za-z0-9_]+)` \| (.+?) \| (.+?) \|\s*$")


def _documented() -> dict[str, dict[str, str]]:
    """Each `### [table]` heading of the page → its rows (key → default cell)."""
    tables: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in DOC.read_text().splitlines():
        heading = _HEADING.match(line)
        if heading:
            current = tables.setdefault(heading.group(1), {})
        elif line.startswith("#"):
            current = None
        elif current is not None and (row := _ROW.match(line)):
            current[row.group(1)] = row.group(2).strip()
    return tables


def test_every_table_the_loader_accepts_is_documented_and_nothing_else() -> None:
    assert set(_documented()) == {shape.header for shape in SHAPES}


def test_every_top_level_table_has_a_documented_table() -> None:
    headers = {shape.name.split(".")[0] for shape in SHAPES}
    assert headers == set(TABLES)


def _mismatches(shape: Shape, tables: dict[str, dict[str, str]]) -> list[str]:
    """What the page says about `shape` that the loader does not do."""
    rows = tables.get(shape.header)
    if rows is None:
        return [f"{shape.header} is not documented"]
    problems = [f"{shape.header} {key}: not documented" for key in set(shape.keys) - set(rows)]
    problems += [f"{shape.header} {key}: not a key" for key in set(rows) - set(shape.keys)]
    for key, default in shape.keys.items():
        cell = rows.get(key)
        if cell is None:
            continue
        if default is None:  # no fixed default: the page says in words what applies
            if not cell or re.fullmatch(r"`[^`]*`", cell):
                problems.append(f"{shape.header} {key}: default {cell!r} should be words")
        elif cell != f"`{toml_literal(default)}`":
            problems.append(f"{shape.header} {key}: default {cell} is not {default!r}")
    return problems


@pytest.mark.parametrize("shape", SHAPES, ids=lambda shape: shape.header)
def test_every_key_is_documented_with_its_default(shape: Shape) -> None:
    assert _mismatches(shape, _documented()) == []


def test_a_drifted_page_is_caught() -> None:
    """The check compares values as well as names."""
    hooks = next(shape for shape in SHAPES if shape.header == "[hooks]")
    drifted = Shape(hooks.name, {**hooks.keys, "read_limit": 2_000_000, "new_key": 1, "agent": "x"})
    assert sorted(_mismatches(drifted, _documented())) == [
        "[hooks] agent: default the agent's own name (`claude-code`, `cursor`, `codex`, "
        "`gemini`) is not 'x'",
        "[hooks] new_key: not documented",
        "[hooks] read_limit: default `1000000` is not 2000000",
    ]
    assert _mismatches(Shape("nowhere", {}), _documented()) == ["[nowhere] is not documented"]


def test_the_example_file_on_the_page_loads() -> None:
    text = DOC.read_text()
    start = text.index("A file using most tables:")
    example = re.search(r"```toml\n(.*?)```", text[start:], re.S)
    assert example is not None
    config = parse_config(example.group(1), DOC.parent / "interlock.toml").check()
    assert config.has("proxy.http.routes.railway") and config.webhooks
