"""What a pattern, an ancestor or a `find` can reach of Interlock's own files.

A path written literally is matched by `_places.classify_path`. Three other ways to name
Interlock's files are not literal, so they are judged against the files they could reach:

- a glob or brace pattern (`rm -rf ~/.config/inter*`, `~/.config/{interlock,x}`): the shell
  expands it to existing names; it is matched, component by component with the shell's
  rules (a leading dot is matched only by a leading dot), against Interlock's places;
- an ancestor (`rm -rf ~/.config`, `mv ~ /tmp`): removing or moving a directory removes
  what is inside it;
- `find ROOT … -delete` (or `-exec`): every file under ROOT its name tests could select.

"Interlock's places" are the protected roots, the files found under them on disk (a bounded
walk) and the layout they would have (`state/interlock.db`, `keys/…`, the agents' settings
files), so a home that does not exist yet on this machine is judged the same way.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable, Iterator

from interlock.protect._places import Places, classify_path

MAX_WALK = 400
MAX_BRACES = 64

# The layout of a home and of the agents' settings: names a pattern may select even where
# the files do not exist yet.
STATE_LAYOUT = (
    "interlock.toml",
    "state/interlock.db",
    "state/hooks.sock",
    "keys/identity-master.key",
    "keys/audit-signing.key",
    "keys/audit-signing.pub",
    "policies/protect-production.cedar",
    "policies/rules.toml",
    "audit/log.jsonl",
    "witness/checkpoints.jsonl",
)
GUARD_LAYOUT = (
    ".claude/settings.json",
    ".claude/settings.local.json",
    ".claude.json",
    ".mcp.json",
    ".cursor/hooks.json",
    ".cursor/mcp.json",
    ".codex/config.toml",
    ".codex/hooks.json",
    ".gemini/settings.json",
    ".github/hooks/interlock.json",
    ".vscode/mcp.json",
    ".interlock/interlock.toml",
    ".interlock/state/interlock.db",
    ".interlock/keys/identity-master.key",
)


def protected_paths(places: Places, cwds: Iterable[str]) -> list[tuple[str, str]]:
    """(absolute case-folded path, kind) of Interlock's places reachable from here."""
    found: dict[str, str] = {}
    for root in places.state_roots:
        found[root] = "state"
        for name in STATE_LAYOUT:
            found[_fold(os.path.join(root, name))] = "state"
        for path in _walk(root):
            found.setdefault(path, "state")
    for root in places.guard_roots:
        found.setdefault(root, "guard")
    for base in (places.user_home, *cwds):
        for name in GUARD_LAYOUT:
            path = _fold(os.path.join(base, name))
            found.setdefault(path, classify_path(path, places) or "guard")
    return list(found.items())


def has_pattern(word: str) -> bool:
    """Whether the shell would expand `word` to file names (a glob) or several words."""
    return any(c in word for c in "*?[") or bool(_BRACE.search(word))


def expand_braces(word: str) -> list[str]:
    """`a{b,c}d` → `abd`, `acd` (bounded; `{x..y}` ranges stay as written)."""
    out = [word]
    for _ in range(8):
        grown: list[str] = []
        changed = False
        for item in out:
            match = _BRACE.search(item)
            if match is None:
                grown.append(item)
                continue
            changed = True
            head, tail = item[: match.start()], item[match.end() :]
            grown += [head + choice + tail for choice in match.group(1).split(",")]
        out = grown[:MAX_BRACES]
        if not changed:
            break
    return out


def pattern_reaches(
    pattern: str, paths: list[tuple[str, str]], *, below: bool
) -> tuple[str, str] | None:
    """The first protected (path, kind) the absolute `pattern` names; with `below`, also
    the ones inside a directory it names (a recursive removal or a move)."""
    wanted = [p for p in _fold(os.path.normpath(pattern)).split("/") if p]
    for path, kind in paths:
        parts = [p for p in path.split("/") if p]
        if len(wanted) > len(parts) or (len(wanted) < len(parts) and not below):
            continue
        if all(_component(name, want) for name, want in zip(parts, wanted, strict=False)):
            return path, kind
    return None


def find_reaches(
    words: list[str], cwd: str, paths: list[tuple[str, str]]
) -> tuple[str, str] | None:
    """The first protected (path, kind) a `find` command line would select for its action,
    or None. Its roots are the words before the first test; a negation counts as matching
    everything (it could)."""
    roots: list[str] = []
    index = 1
    while index < len(words) and not words[index].startswith(("-", "(", "!")):
        roots.append(words[index])
        index += 1
    roots = roots or ["."]
    tests = words[index:]
    negated = any(t in ("!", "-not") for t in tests)
    names: list[tuple[str, str]] = []
    for i, test in enumerate(tests[:-1]):
        if test in ("-name", "-iname", "-path", "-ipath", "-wholename", "-iwholename", "-regex"):
            names.append((test, tests[i + 1]))
    for root in roots:
        base = _fold(os.path.normpath(os.path.join(cwd, os.path.expanduser(root))))
        for path, kind in paths:
            if path != base and not path.startswith(base.rstrip("/") + "/"):
                continue
            if negated or not names or _selected(path, base, names):
                return path, kind
    return None


def _selected(path: str, base: str, names: list[tuple[str, str]]) -> bool:
    """Whether any name test selects `path` or a directory between `base` and it."""
    candidates = [path]
    head = path
    while head != base and head.startswith(base.rstrip("/") + "/"):
        parent = os.path.dirname(head)
        if parent == head:
            break
        head = parent
        candidates.append(head)
    for test, value in names:
        folded = value.casefold()
        for candidate in candidates:
            if test in ("-name", "-iname"):
                if fnmatch.fnmatchcase(os.path.basename(candidate), folded):
                    return True
            elif test == "-regex":
                try:
                    if re.search(value, candidate, re.IGNORECASE):
                        return True
                except re.error:
                    return True  # a test it cannot read: it could select anything
            elif fnmatch.fnmatchcase(candidate, folded):
                return True
    return False


def _component(name: str, pattern: str) -> bool:
    if pattern == name:
        return True
    if name.startswith(".") and not pattern.startswith("."):
        return False
    return fnmatch.fnmatchcase(name, pattern)


def _walk(root: str) -> Iterator[str]:
    count = 0
    for top, dirs, files in os.walk(root):
        for name in dirs + files:
            count += 1
            if count > MAX_WALK:
                return
            yield _fold(os.path.join(top, name))


def _fold(path: str) -> str:
    return path.casefold().rstrip("/") or "/"


_BRACE = re.compile(r"\{([^{}]*,[^{}]*)\}")
