"""What deleting or overwriting a path can lose, judged by where the path is.

- Temporary directories are scratch; so are the caches tools refill under the home directory.
- Inside the workspace (the git worktree holding the cwd), build outputs, caches, dependency
  and virtualenv directories that the project's tooling recreates (`node_modules`, `dist`,
  `.venv`, `__pycache__`, what `.gitignore` marks as generated) are scratch, and tracked
  files without uncommitted changes come back with git. Untracked or modified work does not.
- The home directory's own data (documents, dotfiles, tool state) and system paths are
  destructive to delete or overwrite.
- Without a workspace (no cwd given) relative paths mean nothing here: the caller keeps its
  own, fail-closed verdict.

Each answer is a `Place` judgement (verb and why) or None ("nothing special: keep yours").
"""

# ruff: noqa: S108  (temporary directories are named here to be recognised, not used)
from __future__ import annotations

import os
import posixpath
import tomllib
from dataclasses import dataclass
from fnmatch import fnmatchcase
from importlib import resources

from interlock.classify.code._workspace import Workspace
from interlock.classify.paths import (
    TEMP_ROOTS,
    is_critical_path,
    is_everything,
    is_system_path,
    runs_code_later,
)
from interlock.model import Verb

_DATA = tomllib.loads(resources.files(__package__).joinpath("places.toml").read_text("utf-8"))
_REGENERABLE_NAMES = tuple(_DATA["regenerable"]["names"])
_REGENERABLE_PATTERNS = tuple(_DATA["regenerable"]["patterns"])
_HOME_CACHES = tuple(_DATA["home"]["caches"])
_HOME_PROGRAMS = tuple(_DATA["home"]["programs"])
_KEPT = tuple(_DATA["kept"]["patterns"])
_HOME_ROOTS = ("/home", "/Users", "/root")


@dataclass(frozen=True, slots=True)
class Place:
    verb: Verb
    why: str


def _home() -> str:
    return os.path.expanduser("~").rstrip("/") or "/root"


def _expand(path: str) -> str | None:
    """An absolute path for `path` when it names one without a workspace (None if relative)."""
    home = _home()
    if path == "~" or path.startswith("~/"):
        return posixpath.normpath(home + path[1:])
    for prefix in ("$HOME", "${HOME}"):
        if path == prefix or path.startswith(prefix + "/"):
            return posixpath.normpath(home + path[len(prefix) :])
    for prefix in ("$TMPDIR", "${TMPDIR}"):
        if path == prefix or path.startswith(prefix + "/"):
            return "/tmp" + path[len(prefix) :]
    if path.startswith("/"):
        return posixpath.normpath(path)
    return None


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def is_temporary(path: str) -> bool:
    full = _expand(path)
    return full is not None and any(_under(full, t) and full != t for t in TEMP_ROOTS)


def _home_of(full: str) -> str | None:
    """The home directory that `full` lies in (the user's own, or another's), if any."""
    home = _home()
    if _under(full, home) and home != "/":
        return home
    for root in _HOME_ROOTS:
        if root == "/root" and _under(full, root):
            return root
        if full.startswith(root + "/"):
            return root + "/" + full[len(root) + 1 :].split("/", 1)[0]
    return None


def regenerable(relative: str) -> bool:
    """A path inside a project that the project's tooling recreates."""
    parts = [p for p in relative.split("/") if p not in ("", ".")]
    for index, part in enumerate(parts):
        if part in _REGENERABLE_NAMES or "/".join(parts[index : index + 2]) in _REGENERABLE_NAMES:
            return True
        if any(fnmatchcase(part, pattern) for pattern in _REGENERABLE_PATTERNS):
            return True
    return False


def kept(path: str) -> bool:
    """Credentials and data: not disposable even when git ignores them."""
    return any(fnmatchcase(part, p) for part in path.split("/") for p in _KEPT)


def _outside_workspace(full: str, workspace: Workspace | None) -> bool:
    if workspace is None:
        return True
    root = workspace.git_root()
    if root is None:
        root = workspace.cwd
        if root == "/" or root == _home() or _home_of(root) == root or is_system_path(root):
            return True  # `/`, a home directory or /etc is no project: no workspace facts
    return not _under(full, root)


def judge_delete(path: str, *, recursive: bool, workspace: Workspace | None) -> Place | None:
    """What deleting `path` (recursively or not) can lose; None: nothing known here."""
    if not path or is_everything(path):
        return None
    full = _expand(path)
    if full is None and workspace is not None:
        full = workspace.resolve(path)
    if full is not None and is_critical_path(full) and not _under(full, _home()):
        return Place(Verb.DESTRUCTIVE, f"{path} is part of the operating system")
    if workspace is not None and full is not None and not _outside_workspace(full, workspace):
        # A project is a project wherever it is checked out (even under /tmp).
        return _inside(path, full, recursive, workspace)
    if is_system_path(path):
        return Place(Verb.DESTRUCTIVE, f"{path} is a system or credential path")
    if is_temporary(path):
        return Place(Verb.WRITE, f"{path} is in a temporary directory (scratch)")
    if full is None:
        return None  # a relative path without a cwd: nothing is known about it
    home = _home_of(full)
    if home is not None and _outside_workspace(full, workspace):
        inner = full[len(home) + 1 :]
        if full == home:
            return Place(Verb.DESTRUCTIVE, f"{path} is a whole home directory")
        if any(_under(inner, cache) for cache in _HOME_CACHES):
            return Place(Verb.WRITE, f"{path} is a cache that tools refill")
        return Place(Verb.DESTRUCTIVE, f"{path} is the home directory's own data")
    if workspace is not None and recursive:
        root = workspace.git_root() or workspace.cwd
        return Place(Verb.DESTRUCTIVE, f"{path} is outside the workspace ({root})")
    return None


def _inside(path: str, full: str, recursive: bool, workspace: Workspace) -> Place | None:
    root = workspace.git_root() or workspace.cwd
    relative = full[len(root) :].lstrip("/")
    if relative == ".git" or relative.startswith(".git/"):
        if relative.endswith(".lock"):  # a stale lock left by a git command that died
            return Place(Verb.WRITE, f"{path} is a lock file git leaves behind")
        # The repository's own database: history, branches, stashes, unpushed commits.
        return Place(Verb.DESTRUCTIVE, f"{path} is the repository's history (.git)")
    if regenerable(relative) and not kept(relative):
        return Place(Verb.WRITE, f"{path} is rebuilt by the project's tooling")
    if workspace.git_root() is None:
        return None
    if not kept(relative) and workspace.ignored(full):
        return Place(Verb.WRITE, f"{path} is generated output (ignored by git)")
    unsaved = workspace.unsaved_work(full)
    if unsaved is False:
        return Place(Verb.WRITE, f"{path} has no uncommitted work (git can restore it)")
    if unsaved and recursive:
        return Place(Verb.DESTRUCTIVE, f"{path} holds uncommitted or untracked work")
    return None


def judge_overwrite(path: str, workspace: Workspace | None) -> Place | None:
    """What replacing the content of `path` can lose; None: nothing known here."""
    if not path:
        return None
    full = _expand(path)
    if runs_code_later(path):
        return Place(Verb.UNKNOWN, f"{path} is what git runs or obeys on its next command")
    if workspace is not None and not _outside_workspace(workspace.resolve(path), workspace):
        return None  # the project's own files: ordinary work
    if is_system_path(path):
        return Place(Verb.DESTRUCTIVE, f"{path} is a system or credential path")
    if is_temporary(path):
        return Place(Verb.WRITE, f"{path} is in a temporary directory (scratch)")
    if full is None:
        return None
    home = _home_of(full)
    if home is None or not _outside_workspace(full, workspace) or full == home:
        return None
    inner = full[len(home) + 1 :]
    if any(_under(inner, cache) for cache in _HOME_CACHES):
        return Place(Verb.WRITE, f"{path} is a cache that tools refill")
    if any(_under(inner, directory) and inner != directory for directory in _HOME_PROGRAMS):
        return Place(Verb.DESTRUCTIVE, f"{path} is on the PATH: it would run as a command")
    if workspace is not None and not workspace.exists(full):
        return Place(Verb.WRITE, f"{path} is a new file")
    return Place(Verb.DESTRUCTIVE, f"{path} is the home directory's own data")
