"""What a git command would print out of the repository's history, for the secret-read check.

`git show HEAD:.env`, `git cat-file -p <object>`, `git log -p` and `git show <commit>` print
git objects, not the files on disk: a credential removed from the working tree is still in
history. The hook does not run the agent's command (its options could run programs or write
files); it asks git the same question in a fixed, safe form: no pager, no external diff, no
textconv filters, no fsmonitor, a time limit and at most `limit` bytes read.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess

from interlock.model import Action

TIMEOUT_SECONDS = 1.0
MAX_HISTORY_COMMITS = 200
_REV = re.compile(r"^[A-Za-z0-9_./@^~{}-]{1,200}$")
_SAFE = ("-c", "core.fsmonitor=false", "-c", "core.pager=cat", "--no-pager")
_DIFF = ("--no-ext-diff", "--no-textconv", "--format=")


def _git(cwd: str, args: list[str], limit: int) -> str:
    try:
        with subprocess.Popen(
            ["git", "-C", cwd, *_SAFE, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"},
        ) as proc:
            assert proc.stdout is not None
            try:
                data = proc.stdout.read(limit)
            finally:
                proc.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=TIMEOUT_SECONDS)
    except OSError:
        return ""
    return data.decode("utf-8", errors="replace")


def _rev(value: str) -> bool:
    return bool(_REV.match(value)) and not value.startswith("-")


def history_text(action: Action, cwd: str, limit: int) -> str | None:
    """The text the git read `action` prints from history (bounded), or None when it is not
    one (or the directory is not a repository)."""
    if not cwd or not action.operation.startswith("shell:git "):
        return None
    sub = action.operation.split(" ", 2)[1]
    words = action.detail.split()
    objects = [
        t for t in action.targets if ":" in t and "://" not in t and _rev(t.partition(":")[0])
    ]
    if objects:
        return "\n".join(_git(cwd, ["cat-file", "-p", obj], limit) for obj in objects[:8])
    if sub == "cat-file":
        revs = [t for t in action.targets if _rev(t) and t not in ("-p", "blob", "commit", "tree")]
        return "\n".join(_git(cwd, ["cat-file", "-p", rev], limit) for rev in revs[:8]) or None
    if sub == "log" and (
        {"-p", "--patch", "-u"} & set(words) or any(w.startswith("-p") for w in words)
    ):
        paths = [
            t
            for t in action.targets
            if not t.startswith("-") and os.path.exists(os.path.join(cwd, t))
        ]
        args = ["log", "-p", *_DIFF, f"-n{MAX_HISTORY_COMMITS}", "--"]
        return _git(cwd, [*args, *paths[:16]], limit)
    if sub == "show":
        revs = [t for t in action.targets if _rev(t) and not os.path.exists(os.path.join(cwd, t))]
        return (
            "\n".join(
                _git(cwd, ["show", *_DIFF, "--end-of-options", rev, "--"], limit)
                for rev in revs[:8]
            )
            or None
        )
    return None
