"""What the classifiers may know about the place a command runs in (its working directory).

A check may carry the command's `cwd`. The classifiers then read the code the command will
run (a script, a Makefile recipe, a package.json script) and the git facts about the paths it
deletes, all through one `Workspace`, which bounds what is read: at most `MAX_FILES` files of
at most `MAX_FILE_BYTES` each, and a time budget for the git questions. Files written earlier
in the same command line with visible content (`cat > t.py <<'EOF' … EOF; python t.py`) are
read from that content, because the file on disk is not there yet.

Without a cwd there is no workspace: every question answers "not known" and the classifiers
fail closed as before.
"""

from __future__ import annotations

import os
import posixpath
import stat
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

MAX_FILES = 24
MAX_FILE_BYTES = 256 * 1024
GIT_TIMEOUT_SECONDS = 1.0
BUDGET_SECONDS = 1.5


@dataclass(slots=True)
class _Shared:
    """State shared by every view of one check (a `cd` gives a new view, not a new budget)."""

    deadline: float
    files_read: int = 0
    written: dict[str, str | None] = field(default_factory=dict)
    git_root: dict[str, str | None] = field(default_factory=dict)
    git_answers: dict[tuple[str, ...], str | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Workspace:
    """The directory a command runs in, and bounded ways to learn about it."""

    cwd: str
    shared: _Shared
    grounded: bool = True

    @classmethod
    def at(cls, cwd: str) -> Workspace:
        return cls(posixpath.normpath(cwd), _Shared(deadline=time.monotonic() + BUDGET_SECONDS))

    @classmethod
    def detached(cls) -> Workspace:
        """A command line's own files only, for a check without a cwd: nothing on disk is
        read and no path has meaning, but `cat > t.py <<'EOF' … EOF; python t.py` is seen."""
        return cls("/", _Shared(deadline=time.monotonic() + BUDGET_SECONDS), grounded=False)

    def moved(self, directory: str) -> Workspace:
        """The workspace after `cd directory` (relative to this one)."""
        return Workspace(self.resolve(directory), self.shared, self.grounded)

    def resolve(self, path: str) -> str:
        """An absolute, normalised path for `path` as the command would name it."""
        home = os.path.expanduser("~")
        if path == "~" or path.startswith("~/"):
            path = home + path[1:]
        for prefix in ("$HOME/", "${HOME}/"):
            if path.startswith(prefix):
                path = home + "/" + path[len(prefix) :]
        if not path.startswith("/"):
            path = posixpath.join(self.cwd, path)
        return posixpath.normpath(path)

    # -- files -----------------------------------------------------------------------------

    def remember_written(self, path: str, content: str | None) -> None:
        """A file this command line writes before it runs it (None: content unknown)."""
        self.shared.written[self.resolve(path)] = content

    def read_text(self, path: str) -> str | None:
        """The text of a file, or None when it is missing, unreadable, too large or binary."""
        full = self.resolve(path)
        if full in self.shared.written:
            return self.shared.written[full]
        if not self.grounded:
            return None
        if self.shared.files_read >= MAX_FILES or time.monotonic() > self.shared.deadline:
            return None
        self.shared.files_read += 1
        try:
            if not stat.S_ISREG(os.stat(full).st_mode):
                return None  # a FIFO, a device or /dev/stdin would block or never end
            with open(full, "rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
        except OSError:
            return None
        if len(data) > MAX_FILE_BYTES or b"\0" in data[:8192]:
            return None
        return data.decode("utf-8", errors="replace")

    def exists(self, path: str) -> bool:
        full = self.resolve(path)
        if full in self.shared.written:
            return True
        return self.grounded and os.path.lexists(full)

    def is_file(self, path: str) -> bool:
        full = self.resolve(path)
        return full in self.shared.written or (self.grounded and os.path.isfile(full))

    # -- git -------------------------------------------------------------------------------

    def git_root(self) -> str | None:
        """The top of the git worktree holding the cwd, found without running git."""
        if not self.grounded:
            return None
        if self.cwd in self.shared.git_root:
            return self.shared.git_root[self.cwd]
        root: str | None = None
        directory = self.cwd
        for _ in range(64):
            if os.path.exists(posixpath.join(directory, ".git")):
                root = directory
                break
            parent = posixpath.dirname(directory)
            if parent == directory:
                break
            directory = parent
        self.shared.git_root[self.cwd] = root
        return root

    def _git(self, *args: str) -> str | None:
        """git's output for a question about the worktree, or None when it cannot answer."""
        root = self.git_root()
        if root is None:
            return None
        key = (root, *args)
        if key in self.shared.git_answers:
            return self.shared.git_answers[key]
        answer: str | None = None
        if time.monotonic() < self.shared.deadline:
            try:
                done = subprocess.run(
                    ["git", "-C", root, "-c", "core.fsmonitor=false", *args],
                    capture_output=True,
                    text=True,
                    timeout=GIT_TIMEOUT_SECONDS,
                    env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"},
                )
                answer = done.stdout if done.returncode in (0, 1) else None
            except (OSError, subprocess.SubprocessError):
                answer = None
        self.shared.git_answers[key] = answer
        return answer

    def in_worktree(self, path: str) -> bool:
        root = self.git_root()
        full = self.resolve(path)
        return root is not None and (full == root or full.startswith(root + "/"))

    def _runs_repository_programs(self) -> bool:
        """Whether the repository's own configuration names programs that `git status`
        would run (clean filters, textconv, fsmonitor): an agent may have written them, so
        Interlock does not run git there and knows nothing (fail closed)."""
        pattern = r"^(filter\..*\.(clean|process)|diff\..*\.textconv|core\.fsmonitor)$"
        answer = self._git("config", "--local", "--name-only", "--get-regexp", pattern)
        return answer is None or bool(answer.strip())

    def unsaved_work(self, path: str) -> bool | None:
        """Whether deleting `path` loses work git cannot bring back: untracked files that
        git does not ignore, or uncommitted changes. None when git cannot say."""
        if not self.in_worktree(path) or self._runs_repository_programs():
            return None
        full = self.resolve(path)
        status = self._git("status", "--porcelain", "--untracked-files=all", "--", full)
        if status is None:
            return None
        return bool(status.strip())

    def ignored(self, path: str) -> bool | None:
        """Whether git ignores `path` (generated output, by the project's own .gitignore)."""
        if not self.in_worktree(path):
            return None
        answer = self._git("check-ignore", "--", self.resolve(path))
        # check-ignore prints the path when it is ignored (exit 0) and nothing otherwise.
        return None if answer is None else bool(answer.strip())


_CURRENT: ContextVar[Workspace | None] = ContextVar("interlock_workspace", default=None)


def current_workspace() -> Workspace | None:
    """The workspace of the check being classified, or None when the check has no cwd (a
    detached workspace, holding only the files the command line writes, counts as none)."""
    workspace = _CURRENT.get()
    return workspace if workspace is not None and workspace.grounded else None


def command_line_state() -> Workspace | None:
    """The workspace, grounded or detached, that remembers what the command line wrote."""
    return _CURRENT.get()


@contextmanager
def using_workspace(workspace: Workspace | None) -> Iterator[Workspace | None]:
    """Classify with `workspace` as the place commands run in (None: no facts)."""
    token = _CURRENT.set(workspace)
    try:
        yield workspace
    finally:
        _CURRENT.reset(token)
