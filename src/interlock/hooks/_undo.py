"""Putting a local snapshot back (`interlock undo`): what a destructive command removed from
a workspace, restored without overwriting anything changed since.

For a git worktree, in order:
1. the history pack (commits no remote held) is added to the repository's objects;
2. refs the command deleted or moved are set back to their saved commits (their current
   value stays in the reflog, so nothing is lost by undoing), deleted reflogs come back and
   the stash's reflog regains its dropped entries; when the current branch is moved back,
   the index and worktree follow it the way `git checkout` would (refusing to overwrite
   changed files);
3. the saved worktree (the saved HEAD plus the patch, built in a scratch index) is written
   for every tracked path whose file is now missing or unchanged since HEAD; a path
   changed since is left alone and named;
4. untracked files come back where missing (an existing file with other content is named).
A tar of files outside git is extracted the same way: missing files are created, existing
ones that differ are named, never overwritten.
"""

from __future__ import annotations

import io
import json
import os
import posixpath
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from interlock.hooks._snapshot import (
    EMPTY_TREE,
    KIND,
    CannotSnapshot,
    _git_dir,
    _git_env,
    _refuse_programs,
    git,
    ref_map,
)


class UndoError(Exception):
    """The snapshot cannot be put back; the message says why."""


def local_snapshot_id(decision_body: dict[str, Any]) -> str:
    """The id of the local snapshot a hook decision record names ('' when none)."""
    snapshot = decision_body.get("snapshot")
    if isinstance(snapshot, dict):
        return str(snapshot.get("id") or "")
    return ""


def restore(vault: Any, snapshot: Any) -> list[str]:
    """Put a local snapshot back; one line per thing done or left alone."""
    manifest = snapshot.manifest
    if manifest.kind != KIND:
        raise UndoError(f"snapshot {snapshot.id} is a {manifest.kind} snapshot, not a workspace")
    lines: list[str] = []
    for tree in manifest.labels.get("trees", []):
        data = vault.read(snapshot, tree["entry"])
        lines += _extract(data, str(tree["base"]), label=str(tree["path"]))
    for repo in manifest.labels.get("repos", []):
        try:
            lines += _restore_repo(vault, snapshot, repo)
        except CannotSnapshot as exc:
            raise UndoError(str(exc)) from None
    return lines


def _restore_repo(vault: Any, snapshot: Any, repo: dict[str, Any]) -> list[str]:
    root = str(repo["root"])
    prefix = str(repo["entry"])
    if not os.path.exists(posixpath.join(root, ".git")):
        raise UndoError(
            f"{root} is no longer a git repository; restore its directory first "
            "(or clone it again there), then undo again"
        )
    # apply and checkout-index run smudge filters: a repository configured since to run
    # programs is refused here too (the human undoing would run an agent's code)
    _refuse_programs(root)
    lines: list[str] = []
    names = {e.name for e in snapshot.manifest.entries}
    if f"{prefix}.history.pack" in names:
        pack = vault.read(snapshot, f"{prefix}.history.pack")
        if pack:
            git(root, "index-pack", "--stdin", "--fix-thin", stdin=pack)
            lines.append(f"{root}: history objects restored")
    saved = json.loads(vault.read(snapshot, f"{prefix}.refs.json"))
    before = _head_commit(root)
    lines += _restore_refs(root, saved)
    after = _head_commit(root)
    if before and after and before != after:
        try:
            git(root, "read-tree", "-m", "-u", before, after)
            lines.append(f"{root}: worktree moved back to {after[:12]}")
        except CannotSnapshot as exc:
            lines.append(f"{root}: worktree left at {before[:12]} ({exc})")
    lines += _restore_worktree(vault, snapshot, root, prefix, str(repo.get("head") or ""))
    untracked = vault.read(snapshot, f"{prefix}.untracked.tar")
    lines += _extract(untracked, root, label=root)
    return lines


def _head_commit(root: str) -> str:
    try:
        return git(root, "rev-parse", "-q", "--verify", "HEAD^{commit}").decode().strip()
    except CannotSnapshot:
        return ""


def _dirty(root: str) -> set[str]:
    """Paths with changes since HEAD, or untracked (git status)."""
    out = git(root, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames")
    return {entry[3:] for entry in out.decode("utf-8", "surrogateescape").split("\0") if entry}


def _exists(root: str, sha: str) -> bool:
    try:
        git(root, "cat-file", "-e", f"{sha}^{{object}}")
    except CannotSnapshot:
        return False
    return True


def _restore_refs(root: str, saved: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    current = ref_map(root)
    for name, sha in sorted(saved["refs"].items()):
        if name.startswith("refs/remotes/") or current.get(name) == sha:
            continue
        if not _exists(root, sha):
            lines.append(f"{root}: {name} not restored (commit {sha[:12]} is gone)")
            continue
        was = current.get(name, "")
        git(root, "update-ref", "-m", "interlock undo", name, sha)
        moved = f"(was {was[:12]})" if was else "(it had been deleted)"
        lines.append(f"{root}: {name} restored to {sha[:12]} {moved}")
    logs_dir = posixpath.join(_git_dir(root), "logs")
    for relative, text in sorted(saved.get("logs", {}).items()):
        path = Path(logs_dir, relative)
        if ".." in Path(relative).parts:
            continue
        now = path.read_text("utf-8", "replace") if path.exists() else ""
        missing = [line for line in text.splitlines() if line and line not in now.splitlines()]
        if not missing:
            continue
        if relative == "refs/stash" or not now:
            # The stash is its reflog: dropped entries come back, newer ones stay on top.
            merged = [*text.splitlines(), *(x for x in now.splitlines() if x not in text)]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(merged) + "\n", "utf-8")
            lines.append(f"{root}: reflog {relative} restored ({len(missing)} entries)")
    return lines


def _restore_worktree(vault: Any, snapshot: Any, root: str, prefix: str, head: str) -> list[str]:
    patch = vault.read(snapshot, f"{prefix}.patch")
    if not patch.strip():
        return []
    base = head or EMPTY_TREE
    if head and not _exists(root, head):
        raise UndoError(f"{root}: the snapshot's HEAD {head[:12]} is not in the repository")
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="interlock-undo-") as scratch:
        env = {**_git_env(), "GIT_INDEX_FILE": posixpath.join(scratch, "index")}
        if head:
            git(root, "read-tree", base, env=env)
        else:
            git(root, "read-tree", "--empty", env=env)
        git(root, "apply", "--cached", "--binary", "--whitespace=nowarn", stdin=patch, env=env)
        saved_tree = git(root, "write-tree", env=env).decode().strip()
        differ = [
            p
            for p in git(root, "diff", "--name-only", "--no-renames", "-z", env=env)
            .decode("utf-8", "surrogateescape")
            .split("\0")
            if p
        ]
        dirty = _dirty(root)
        write: list[str] = []
        kept: list[str] = []
        for path in differ:
            exists = os.path.lexists(posixpath.join(root, path))
            (kept if exists and path in dirty else write).append(path)
        if write:
            listing = "\0".join(write).encode("utf-8", "surrogateescape") + b"\0"
            git(root, "checkout-index", "-f", "-z", "--stdin", stdin=listing, env=env)
            lines.append(f"{root}: {len(write)} file(s) with uncommitted work restored")
        deleted = git(
            root,
            "diff-tree",
            "-r",
            "--name-only",
            "--no-renames",
            "-z",
            "--diff-filter=D",
            base,
            saved_tree,
        )
        gone = 0
        for path in deleted.decode("utf-8", "surrogateescape").split("\0"):
            full = posixpath.join(root, path)
            if path and os.path.isfile(full) and path not in dirty:
                os.unlink(full)
                gone += 1
        if gone:
            lines.append(f"{root}: {gone} file(s) deleted again (deleted in the saved work)")
        lines += [
            f"{root}: {p} left as it is (changed since; the saved version differs)" for p in kept
        ]
    return lines


def _extract(data: bytes, base: str, *, label: str) -> list[str]:
    """Missing files of a tar come back under `base`; existing different ones are named."""
    created, kept = 0, []
    root = os.path.realpath(base)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
        for member in tar.getmembers():
            name = posixpath.normpath(member.name)
            if name.startswith(("/", "../")) or name == "..":
                kept.append(f"{member.name} (outside {base}: skipped)")
                continue
            target = posixpath.join(base, name)
            parent = os.path.realpath(posixpath.dirname(target))
            if parent != root and not parent.startswith(root.rstrip("/") + "/"):
                kept.append(f"{member.name} (through a symlink: skipped)")
                continue
            if member.isdir():
                os.makedirs(target, exist_ok=True)
                continue
            if os.path.lexists(target):
                if member.isreg() and os.path.isfile(target) and not os.path.islink(target):
                    handle = tar.extractfile(member)
                    if handle is not None and Path(target).read_bytes() == handle.read():
                        continue
                kept.append(name)
                continue
            os.makedirs(posixpath.dirname(target) or ".", exist_ok=True)
            if member.issym():
                os.symlink(member.linkname, target)
            elif member.isreg():
                handle = tar.extractfile(member)
                Path(target).write_bytes(handle.read() if handle is not None else b"")
                os.chmod(target, member.mode & 0o777)
            else:
                continue
            created += 1
    lines = [f"{label}: {created} file(s) restored"] if created else []
    lines += [f"{label}: {k} left as it is (exists with other content)" for k in kept]
    return lines
