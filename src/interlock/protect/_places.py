"""What is Interlock's own: the places, settings and commands no agent may touch.

Two kinds of place:

- **state**: the Interlock home (config, policies, keys, audit log, approvals, sockets), in
  the workspace (`.interlock/`), in the user's config directory, or wherever it was
  configured. Nothing an agent runs may name it, to read or to write: the keys sign the
  audit log and seal credentials, the state holds approvals and grants.
- **guard**: what switches the guard on — every supported coding agent's hook and MCP
  settings, and Interlock's own code and virtual environment. Reading them is harmless;
  anything that could change them is refused.

Matching is on normalised, case-folded path components (`.CLAUDE/settings.json` is the
same file on a case-insensitive disk), so a path is recognised however it is spelt; the
pipeline also resolves symlinks on the real file system before matching (see `_scan`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

# Directory names that hold an Interlock home wherever they appear.
STATE_DIRS = (".interlock",)
# User-level homes: XDG config and data directories.
STATE_HOME_TAILS = (".config/interlock", ".local/share/interlock", ".local/state/interlock")

# Agent hook and MCP settings: project-level (relative) and user-level (under ~).
GUARD_DIRS = (".claude", ".cursor", ".codex", ".gemini", ".github/hooks")
# `interlock-hook` is what committed project settings run, found on PATH: a file of that
# name written anywhere could shadow it.
GUARD_FILES = (
    ".mcp.json",
    ".claude.json",
    ".cursor/mcp.json",
    ".vscode/mcp.json",
    "interlock-hook",
)

ENV_PREFIX = "INTERLOCK_"


@dataclass(frozen=True, slots=True)
class Places:
    """The protected roots of one installation (absolute, resolved, case-folded)."""

    state_roots: tuple[str, ...] = ()
    guard_roots: tuple[str, ...] = ()
    user_home: str = field(default_factory=lambda: os.path.expanduser("~"))


def installation_places(home_root: Path | None = None, also: Iterable[Path] = ()) -> Places:
    """This process's places: the given home (and `also`: its audit witness directory, …),
    the package's code and its environment."""
    state = [str(home_root)] if home_root is not None else []
    state += [str(p) for p in also]
    user = os.path.expanduser("~")
    for tail in STATE_HOME_TAILS:
        state.append(os.path.join(user, tail))
    code = Path(__file__).resolve().parents[1]  # src/interlock or site-packages/interlock
    guard = [str(code)]
    prefix = Path(sys.prefix)
    if prefix != Path(sys.base_prefix):  # a virtual environment: its python, bin and .pth
        guard += [str(prefix / "bin"), str(prefix / "pyvenv.cfg")]
        # Any .pth file there runs at every start of that python: the whole directory.
        guard += [str(p) for p in prefix.glob("lib/python*/site-packages")]
    return Places(
        state_roots=tuple(_fold(_real(p)) for p in state),
        guard_roots=tuple(_fold(_real(p)) for p in guard),
        user_home=user,
    )


def _real(path: str) -> str:
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return os.path.normpath(path)


def _fold(path: str) -> str:
    return path.casefold().rstrip("/") or "/"


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def classify_path(candidate: str, places: Places) -> str | None:
    """`state`, `guard` or None for one absolute or relative path (case-insensitive)."""
    folded = _fold(os.path.normpath(candidate)) if candidate else ""
    if not folded:
        return None
    parts = folded.split("/")
    if any(d in parts for d in STATE_DIRS):
        return "state"
    if any(_under(folded, root) for root in places.state_roots):
        return "state"
    for tail in STATE_HOME_TAILS:
        if _contains_tail(folded, tail):
            return "state"
    if any(_under(folded, root) for root in places.guard_roots):
        return "guard"
    for name in GUARD_DIRS:
        if _contains_tail(folded, name):
            return "guard"
    for name in GUARD_FILES:
        if folded == name or folded.endswith("/" + name):
            return "guard"
    if _names_interlock_code(parts):
        return "guard"
    return None


def _contains_tail(folded: str, tail: str) -> bool:
    """`tail` (a relative directory) is a whole-component part of `folded`."""
    return folded == tail or folded.startswith(tail + "/") or f"/{tail}/" in folded + "/"


def _names_interlock_code(parts: list[str]) -> bool:
    """`…/site-packages/interlock/…`, `…/src/interlock/hooks/client.py`, an interlock .pth."""
    for index, part in enumerate(parts):
        if (
            part in ("interlock", "interlock_hook")
            and index > 0
            and parts[index - 1]
            in (
                "site-packages",
                "src",
            )
        ):
            return True
        if part.endswith(".pth") and "interlock" in part:
            return True
    return False
