"""The user's documentation holds together: every relative link in README.md and docs/
resolves to a file of the repository (and a `#fragment` to a heading of it), no link leaves
the repository, and every command of the CLI is named somewhere a user reads."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main

from interlock.cli import app

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
INLINE_CODE = re.compile(r"`[^`\n]*`")


def _prose(page: Path) -> str:
    return INLINE_CODE.sub("", FENCE.sub("", page.read_text(encoding="utf-8")))


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    for line in FENCE.sub("", page.read_text(encoding="utf-8")).splitlines():
        heading = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if heading:
            slug = _slug(heading.group(1))
            count = seen.get(slug, 0)
            seen[slug] = count + 1
            found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def _links() -> Iterator[tuple[str, Path, str]]:
    for page in PAGES:
        for target in LINK.findall(_prose(page)):
            if not re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, mailto: … are not ours
                yield f"{page.relative_to(ROOT)} → {target}", page, target


LINKS = list(_links())


def test_the_pages_have_links_to_check() -> None:
    assert len(LINKS) > 50


@pytest.mark.parametrize(
    ("page", "target"), [link[1:] for link in LINKS], ids=[link[0] for link in LINKS]
)
def test_relative_link_resolves(page: Path, target: str) -> None:
    path, _, fragment = target.partition("#")
    dest = (page.parent / path).resolve() if path else page
    assert dest.is_relative_to(ROOT), f"{target} leaves the repository"
    assert dest.exists(), f"{target}: no such file"
    if fragment and dest.suffix == ".md":
        assert fragment in _anchors(dest), f"{target}: {dest.name} has no heading #{fragment}"


def test_the_slugs_are_githubs() -> None:
    assert _slug("Service mode: the guard as another OS user") == (
        "service-mode-the-guard-as-another-os-user"
    )
    assert _slug("`interlock packs import`: learn an API") == "interlock-packs-import-learn-an-api"


def _commands() -> Iterator[str]:
    def walk(command: Any, path: list[str]) -> Iterator[str]:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                yield from walk(sub, [*path, name])
        else:
            yield " ".join(path)

    yield from walk(typer.main.get_command(app), [])


def test_every_command_is_named_in_the_docs() -> None:
    text = " ".join(" ".join(page.read_text(encoding="utf-8").split()) for page in PAGES)
    missing = [path for path in _commands() if f"interlock {path}" not in text]
    assert not missing, f"commands no page of README.md or docs/ names: {missing}"
