"""Local snapshots: what an allowed destructive file or git command would lose, saved to the
vault before the command runs.

Policies allow destructive commands outside production "after a snapshot"
(`@safeguard("snapshot")`). For a shell command the hook let through, this module works out
what the command can lose and stores it in the vault (outside the workspace, in Interlock's
home, which no agent command may touch):

- inside a git worktree: the uncommitted changes as a patch (`git diff --binary HEAD`), the
  untracked files git does not ignore (less the build outputs and caches the project
  recreates: `node_modules`, `dist`, `__pycache__`, … from `classify/code`'s table), the
  ignored files that are data or credentials (`.env`, `*.db`), every ref with its reflog,
  and, when the command rewrites history (`reset COMMIT`, `branch -D`, `stash drop`,
  `update-ref -d`, `filter-branch`, …), a pack of the commits no remote holds;
- a path outside every git worktree (or a whole repository): its files as a tar.

The snapshot is bounded (`[hooks] snapshot_limit` bytes, a file count and a time budget).
When it cannot be taken (too large, a target it cannot resolve, a repository whose git
configuration runs programs) the command is held with that reason: the "cannot take" path of
`require_safeguards`, where a human decides whether it runs without one. Only an allowed
dangerous command with a `snapshot` safeguard pays any of this.
"""

from __future__ import annotations

import glob
import io
import json
import os
import posixpath
import stat
import subprocess
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from interlock.classify.code import kept as _kept
from interlock.classify.code import regenerable
from interlock.enforce import only_takeable, require_safeguards, safeguard_name
from interlock.hooks._protocols import Permission, ToolCall, ToolKind, Verdict
from interlock.model import Decision, Outcome

SNAPSHOT = "snapshot"
KIND = "workspace"
DEFAULT_LIMIT = 64 * 1024 * 1024
MAX_FILES = 20_000
BUDGET_SECONDS = 10.0
GIT_TIMEOUT_SECONDS = 10.0
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

# git subcommands that change only the worktree or index: the patch and the untracked files
# are what they can lose. Every other destructive git subcommand may move or delete refs,
# so its snapshot also keeps the commits no remote holds. `reset` moves a ref only when it
# is given a commit.
WORKTREE_ONLY = frozenset({"clean", "checkout", "restore", "rm", "mv", "apply", "add"})
# Programs a repository's own configuration could make git run while Interlock reads it.
_PROGRAM_KEYS = (
    r"^(filter\..*\.(clean|smudge|process)|diff\..*\.(textconv|command)|diff\.external"
    r"|core\.fsmonitor)$"
)


class CannotSnapshot(Exception):
    """The snapshot cannot be taken; the message says why, for the human who decides."""


@dataclass(slots=True)
class Plan:
    """What one command can lose: git worktrees (root → whether refs may move) and paths
    outside any worktree (or whole repositories) to keep as files."""

    repos: dict[str, bool] = field(default_factory=dict)
    paths: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.repos and not self.paths


def needs_snapshot(call: ToolCall | None, verdict: Verdict) -> Decision | None:
    """The gate's decision when this verdict lets a dangerous shell command run after a
    snapshot; None otherwise (the common case costs a few attribute reads)."""
    if (
        call is None
        or call.kind is not ToolKind.SHELL
        or verdict.permission is not Permission.ALLOW
    ):
        return None
    decision = verdict.details.get("gate")
    if not isinstance(decision, Decision) or decision.outcome is not Outcome.ALLOW:
        return None
    if not decision.risk.is_dangerous:
        return None
    if not any(safeguard_name(s) == SNAPSHOT for s in decision.safeguards):
        return None
    return decision


# --- what is at stake -------------------------------------------------------------------


def git_root(path: str) -> str | None:
    """The worktree holding `path` (found without running git), or None."""
    directory = path if os.path.isdir(path) else posixpath.dirname(path)
    for _ in range(64):
        if os.path.exists(posixpath.join(directory, ".git")):
            return directory
        parent = posixpath.dirname(directory)
        if parent == directory:
            return None
        directory = parent
    return None


def _resolve(target: str, cwd: str) -> list[str]:
    if any(c in target for c in "$`") or (target.startswith("~") and not target.startswith("~/")):
        raise CannotSnapshot(f"cannot tell which path {target!r} names before it runs")
    path = os.path.expanduser(target)
    if not path.startswith("/"):
        path = posixpath.join(cwd, path)
    path = posixpath.normpath(path)
    if any(c in path for c in "*?["):
        return sorted(glob.glob(path))[:MAX_FILES]
    return [path]


def _subcommand(operation: str) -> tuple[str, str]:
    """`shell:git reset` → ("git", "reset"); `shell:rm` → ("rm", "")."""
    words = operation.removeprefix("shell:").split()
    return (words[0] if words else "", words[1] if len(words) > 1 else "")


def plan(decision: Decision, cwd: str) -> Plan:
    """What the dangerous actions of `decision`, run in `cwd`, can lose."""
    if not cwd or not cwd.startswith("/"):
        raise CannotSnapshot("the hook was not told the command's working directory")
    out = Plan()
    here = git_root(posixpath.normpath(cwd))
    for judged in decision.actions:
        action = judged.action
        if not action.verb.is_dangerous:
            continue
        program, sub = _subcommand(action.operation)
        if program == "git":
            if here is None:
                raise CannotSnapshot(f"{cwd} is not inside a git repository")
            moves_refs = sub not in WORKTREE_ONLY and not (sub == "reset" and not action.targets)
            out.repos[here] = out.repos.get(here, False) or moves_refs
            continue
        targets = [p for t in action.targets for p in _resolve(t, cwd)]
        if not targets:
            if here is None:
                raise CannotSnapshot(f"cannot tell what {action.detail or program!r} changes")
            out.repos.setdefault(here, False)
            continue
        for path in targets:
            if not os.path.lexists(path):
                out.missing.append(path)
                continue
            root = git_root(path)
            whole_repo = os.path.isdir(path) and (
                root is None
                or root == path
                or root.startswith(path.rstrip("/") + "/")
                or os.path.exists(posixpath.join(path, ".git"))
            )
            if root is not None and not whole_repo:
                out.repos.setdefault(root, False)
            else:
                out.paths.append(path)
    return out


# --- git, read with care ----------------------------------------------------------------


def _git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_OPTIONAL_LOCKS="0",
        GIT_TERMINAL_PROMPT="0",
        GIT_CONFIG_NOSYSTEM="1",
        LC_ALL="C",
    )
    return env


def _git_argv(root: str, args: tuple[str, ...]) -> list[str]:
    return [
        "git",
        "-C",
        root,
        "-c",
        "core.fsmonitor=false",
        "-c",
        "safe.directory=*",
        "-c",
        "core.quotepath=off",
        "-c",
        "core.hooksPath=/dev/null",
        *args,
    ]


def git(
    root: str, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> bytes:
    """git's output in `root`; `CannotSnapshot` when it fails. The repository's own
    fsmonitor and hooks are off, and `safe.directory` lets the service user read a
    developer's repository."""
    try:
        done = subprocess.run(
            _git_argv(root, args),
            input=stdin,
            capture_output=True,
            timeout=GIT_TIMEOUT_SECONDS,
            env=env or _git_env(),
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise CannotSnapshot(f"git {args[0]} could not run ({type(exc).__name__})") from None
    return _checked(root, args, done.returncode, done.stdout, done.stderr)


def _checked(root: str, args: tuple[str, ...], code: int, out: bytes, err: bytes) -> bytes:
    if code != 0:
        first = err.decode("utf-8", "replace").strip().splitlines()[:1]
        raise CannotSnapshot(f"git {args[0]} failed in {root}: {' '.join(first)[:200]}")
    return out


def git_all(root: str, *commands: tuple[str, ...]) -> list[bytes]:
    """Several read-only git commands at once (the hook's latency is the slowest one, not
    their sum); each output, in order."""
    env = _git_env()
    running: list[subprocess.Popen[bytes]] = []
    try:
        for args in commands:
            running.append(
                subprocess.Popen(
                    _git_argv(root, args),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    env=env,
                )
            )
        outputs = []
        for args, proc in zip(commands, running, strict=True):
            out, err = proc.communicate(timeout=GIT_TIMEOUT_SECONDS)
            outputs.append(_checked(root, args, proc.returncode, out, err))
        return outputs
    except (OSError, subprocess.SubprocessError) as exc:
        raise CannotSnapshot(f"git could not run ({type(exc).__name__})") from None
    finally:
        for proc in running:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


# Words without which a repository's own config file cannot name a program git would run
# while it is read (filters, textconv, external diff, fsmonitor) or include a file that does.
_PROGRAM_WORDS = ("filter", "textconv", "external", "fsmonitor", "include", "command")


def _refuse_programs(root: str) -> None:
    """A repository whose own configuration names programs (clean filters, textconv, an
    fsmonitor) would make Interlock run code an agent may have written: refused. The config
    file is scanned first; git is asked only when it holds one of the words that could."""
    try:
        text = Path(_git_dir(root), "config").read_text("utf-8", "replace").lower()
    except OSError:
        text = "include"  # unreadable: ask git
    if not any(word in text for word in _PROGRAM_WORDS):
        return
    try:
        found = git(
            root, "config", "--local", "--includes", "--name-only", "--get-regexp", _PROGRAM_KEYS
        )
    except CannotSnapshot:
        return  # exit 1: no such key (git reports "nothing found" as a failure)
    if found.strip():
        names = ", ".join(found.decode("utf-8", "replace").split()[:3])
        raise CannotSnapshot(f"the repository's git configuration runs programs ({names})")


def _git_dir(root: str) -> str:
    dot = posixpath.join(root, ".git")
    if os.path.isdir(dot):
        return dot
    try:
        text = Path(dot).read_text("utf-8").strip()
    except OSError:
        raise CannotSnapshot(f"{dot} cannot be read") from None
    if not text.startswith("gitdir:"):
        raise CannotSnapshot(f"{dot} is not a git directory")
    target = text.removeprefix("gitdir:").strip()
    return posixpath.normpath(posixpath.join(root, target))


# --- taking it --------------------------------------------------------------------------


class _Budget:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.bytes = 0
        self.files = 0
        self.deadline = time.monotonic() + BUDGET_SECONDS

    def take(self, size: int, what: str) -> None:
        self.bytes += size
        self.files += 1
        if self.bytes > self.limit:
            raise CannotSnapshot(
                f"what it would lose is larger than the snapshot limit of {self.limit} bytes "
                f"([hooks] snapshot_limit; at {what})"
            )
        if self.files > MAX_FILES:
            raise CannotSnapshot(f"it would lose more than {MAX_FILES} files")
        if time.monotonic() > self.deadline:
            raise CannotSnapshot(f"the snapshot took longer than {BUDGET_SECONDS:g} s")


def _tar(base: str, relatives: Iterator[str], budget: _Budget) -> bytes:
    """The files under `base` named by `relatives` (symlinks as links, nothing followed)."""
    buffer = io.BytesIO()
    real_base = os.path.realpath(base)
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for relative in relatives:
            full = posixpath.join(base, relative)
            parent = os.path.realpath(posixpath.dirname(full))
            if parent != real_base and not parent.startswith(real_base.rstrip("/") + "/"):
                continue  # a directory swapped for a symlink: never read through it
            try:
                info = os.lstat(full)
            except OSError:
                continue
            mode = info.st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode) or stat.S_ISDIR(mode)):
                continue  # sockets, FIFOs, devices: nothing to keep
            budget.take(info.st_size if stat.S_ISREG(info.st_mode) else 0, relative)
            member = tar.gettarinfo(full, arcname=relative)
            if member.isreg():
                try:
                    fd = os.open(full, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
                except OSError:
                    continue  # gone, or swapped for a link since it was listed
                with os.fdopen(fd, "rb") as handle:
                    if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                        continue
                    member.size = os.fstat(handle.fileno()).st_size
                    tar.addfile(member, handle)
            else:
                tar.addfile(member)
    return buffer.getvalue()


def _walk(top: str, budget: _Budget, *, skip_regenerable: bool) -> Iterator[str]:
    """Every file and directory under `top` relative to its parent, build outputs left out."""
    base = posixpath.dirname(top.rstrip("/")) or "/"
    yield posixpath.relpath(top, base)
    for directory, dirs, files in os.walk(top, followlinks=False):
        relative_dir = posixpath.relpath(directory, base)
        if skip_regenerable:
            dirs[:] = [d for d in dirs if not regenerable(d)]
        for name in sorted(dirs):
            if os.path.islink(posixpath.join(directory, name)):
                yield posixpath.join(relative_dir, name)
        for name in sorted(files):
            if skip_regenerable and regenerable(name) and not _kept(name):
                continue
            yield posixpath.join(relative_dir, name)
        if time.monotonic() > budget.deadline:
            raise CannotSnapshot(f"the snapshot took longer than {BUDGET_SECONDS:g} s")


def _split_z(data: bytes) -> list[str]:
    return [p for p in data.decode("utf-8", "surrogateescape").split("\0") if p]


def ref_map(root: str, listed: bytes | None = None) -> dict[str, str]:
    """Every ref of the repository: name → object id (from `for-each-ref`'s output)."""
    if listed is None:
        listed = git(root, "for-each-ref", "--format=%(objectname) %(refname)")
    refs: dict[str, str] = {}
    for line in listed.decode().splitlines():
        sha, _, name = line.partition(" ")
        if name:
            refs[name] = sha
    return refs


def _has_commit(root: str, head_file: str) -> bool:
    """Whether HEAD names a commit, read from the files (no git process)."""
    if not head_file.startswith("ref: "):
        return bool(head_file)
    name = head_file.removeprefix("ref: ")
    git_dir = _git_dir(root)
    common = git_dir
    commondir = Path(git_dir, "commondir")
    if commondir.is_file():
        common = posixpath.normpath(posixpath.join(git_dir, commondir.read_text().strip()))
    if Path(common, name).is_file():
        return True
    try:
        packed = Path(common, "packed-refs").read_text("utf-8", "replace")
    except OSError:
        return False
    return any(line.endswith(" " + name) for line in packed.splitlines())


def _refs(root: str, budget: _Budget, listed: bytes, head: str) -> dict[str, Any]:
    """Every ref and HEAD, and every reflog (small text; history is read from them)."""
    refs = ref_map(root, listed)
    git_dir = _git_dir(root)
    logs: dict[str, str] = {}
    logs_dir = posixpath.join(git_dir, "logs")
    for directory, _dirs, files in os.walk(logs_dir):
        for name in files:
            full = posixpath.join(directory, name)
            text = Path(full).read_text("utf-8", "replace")
            budget.take(len(text), "reflogs")
            logs[posixpath.relpath(full, logs_dir)] = text
    return {"head": head, "refs": refs, "logs": logs}


def _history_pack(root: str, refs: dict[str, Any]) -> bytes:
    """Every object reachable from a local ref or a reflog entry and from no remote ref."""
    local = {sha for name, sha in refs["refs"].items() if not name.startswith("refs/remotes/")}
    for text in refs["logs"].values():
        for line in text.splitlines():
            parts = line.split(" ", 2)
            if len(parts) > 1 and len(parts[1]) >= 40 and set(parts[1]) != {"0"}:
                local.add(parts[1])
    remote = {sha for name, sha in refs["refs"].items() if name.startswith("refs/remotes/")}
    if not local:
        return b""
    existing = git(
        root, "cat-file", "--batch-check=%(objectname)", stdin="\n".join(sorted(local)).encode()
    )
    present = [line for line in existing.decode().splitlines() if " missing" not in line and line]
    revs = "\n".join([*present, *(f"^{sha}" for sha in sorted(remote))]) + "\n"
    return git(root, "pack-objects", "--revs", "--stdout", "-q", stdin=revs.encode())


@dataclass(slots=True)
class Taken:
    """One snapshot written (or nothing to save), for the verdict and the record."""

    id: str
    bytes: int
    saved: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "bytes": self.bytes, "saved": self.saved}


def take(vault: Any, the_plan: Plan, limit: int, labels: dict[str, Any]) -> Taken:
    """Write the plan's snapshot to `vault`; `CannotSnapshot` (nothing written) otherwise."""
    budget = _Budget(limit)
    entries: list[tuple[str, bytes, dict[str, Any]]] = []
    saved: list[str] = []
    repos: list[dict[str, Any]] = []
    for index, (root, moves_refs) in enumerate(sorted(the_plan.repos.items())):
        _refuse_programs(root)
        head_file = Path(_git_dir(root), "HEAD").read_text("utf-8").strip()
        # HEAD^{tree} would fail in a repository without commits: diff against the empty tree
        base = "HEAD" if _has_commit(root, head_file) else EMPTY_TREE
        patch, listed, ignored_listed, refs_listed = git_all(
            root,
            ("diff", "--binary", "--no-ext-diff", "--no-textconv", "--no-renames", base),
            ("ls-files", "--others", "--exclude-standard", "-z"),
            ("ls-files", "--others", "--ignored", "--exclude-standard", "-z", "--directory"),
            ("for-each-ref", "--format=%(objectname) %(refname)"),
        )
        refs = _refs(root, budget, refs_listed, head_file)
        head = refs["refs"].get(head_file.removeprefix("ref: "), "")
        if not head_file.startswith("ref: "):
            head = head_file
        budget.take(len(patch), "the uncommitted changes")
        others = _split_z(listed)
        untracked = [p for p in others if not p.endswith("/") and (not regenerable(p) or _kept(p))]
        ignored = _split_z(ignored_listed)
        untracked += [p for p in ignored if not p.endswith("/") and _kept(p)]
        # git lists a nested repository, and an ignored directory, as one "dir/" entry:
        # walked here, when it is not something the tooling rebuilds (or is data)
        folded = [p for p in others if p.endswith("/") and not regenerable(p)]
        folded += [p for p in ignored if p.endswith("/") and _kept(p.rstrip("/"))]
        for directory in folded:
            above = posixpath.dirname(directory.rstrip("/"))
            for relative in _walk(
                posixpath.join(root, directory.rstrip("/")), budget, skip_regenerable=True
            ):
                untracked.append(posixpath.join(above, relative) if above else relative)
        prefix = f"repo{index}"
        entries.append((f"{prefix}.patch", patch, {"base": head}))
        entries.append((f"{prefix}.untracked.tar", _tar(root, iter(untracked), budget), {}))
        entries.append((f"{prefix}.refs.json", json.dumps(refs, sort_keys=True).encode(), {}))
        pack = b""
        if moves_refs:
            pack = _history_pack(root, refs)
            budget.take(len(pack), "the history no remote holds")
            entries.append((f"{prefix}.history.pack", pack, {}))
        repos.append({"root": root, "head": head, "head_ref": refs["head"], "entry": prefix})
        what = f"{root}: {_count(patch)} changed file(s), {len(untracked)} untracked file(s)"
        saved.append(what + (", refs and unpushed history" if pack else ", refs"))
    trees: list[dict[str, str]] = []
    for index, path in enumerate(sorted(set(the_plan.paths))):
        base = posixpath.dirname(path.rstrip("/")) or "/"
        inside_repo = git_root(path) is not None or os.path.exists(posixpath.join(path, ".git"))
        relatives = (
            _walk(path, budget, skip_regenerable=True)
            if os.path.isdir(path) and not os.path.islink(path)
            else iter([posixpath.relpath(path, base)])
        )
        name = f"files{index}.tar"
        entries.append((name, _tar(base, relatives, budget), {"base": base}))
        trees.append({"path": path, "base": base, "entry": name, "repository": str(inside_repo)})
        saved.append(f"{path}: its files")
    if not entries:
        return Taken("", 0, [f"{p}: does not exist" for p in the_plan.missing] or ["nothing"])
    writer = vault.writer(
        KIND, labels.get("resource", "workspace"), {**labels, "repos": repos, "trees": trees}
    )
    for name, data, meta in entries:
        writer.add(name, data, meta, limit=limit)
    snapshot = writer.commit()
    return Taken(snapshot.id, budget.bytes, saved)


def _count(patch: bytes) -> int:
    return patch.count(b"\ndiff --git ") + (1 if patch.startswith(b"diff --git ") else 0)


# --- the hook's side --------------------------------------------------------------------


@dataclass(slots=True)
class LocalSnapshots:
    """The hook's snapshot safeguard: a home's vault, opened on first use."""

    home: Any  # interlock.home.Home
    limit: int = DEFAULT_LIMIT
    _vault: Any = None

    def vault(self) -> Any:
        if self._vault is None:
            from interlock.vault import open_vault

            self._vault = open_vault(self.home)
        return self._vault

    def guard(self, call: ToolCall | None, verdict: Verdict, principal: str = "") -> Verdict:
        """The verdict after the snapshot its policy asks for: allowed with the snapshot's
        id, or held because it cannot be taken. Other verdicts pass untouched."""
        decision = needs_snapshot(call, verdict)
        if decision is None or call is None:
            return _shown(call, verdict)
        try:
            the_plan = plan(decision, call.cwd)
            labels = {
                "resource": call.cwd,
                "operation": call.command[:500],
                "agent": principal or call.agent,
                "session": call.session,
                "cwd": call.cwd,
            }
            taken = take(self.vault(), the_plan, self.limit, labels)
        except Exception as exc:  # any failure to take it is "cannot take": a human decides
            why = str(exc) if isinstance(exc, CannotSnapshot) else f"{type(exc).__name__}: {exc}"
            return _held(verdict, decision, why)
        details = {**verdict.details, SNAPSHOT: taken.to_json()}
        if not taken.id:
            note = f" Nothing to snapshot ({'; '.join(taken.saved)})."
        else:
            note = (
                f" Snapshot {taken.id[:12]} saved to Interlock's vault ({'; '.join(taken.saved)});"
                " a human can put it back with `interlock undo` and this decision's audit id."
            )
        return replace(verdict, reason=verdict.reason + note, details=details)

    def after_approval(
        self, call: ToolCall | None, allowed: Verdict, held: Decision, point: Any, seq: int
    ) -> Verdict:
        """A held command a human approved runs after the snapshot its permit names (the
        default pack's production permit does). The snapshot is recorded as a `safeguard`
        audit record of decision `seq`; when it cannot be taken the approval is given back
        (`point.release`) and the command refused: the human approved it with a snapshot."""
        if call is None or call.kind is not ToolKind.SHELL or not held.risk.is_dangerous:
            return allowed
        if not any(safeguard_name(s) == SNAPSHOT for s in held.safeguards):
            return allowed
        as_allowed = replace(held, outcome=Outcome.ALLOW)
        checked = self.guard(
            call, replace(allowed, details={**allowed.details, "gate": as_allowed})
        )
        if checked.permission is Permission.ALLOW:
            taken = checked.details.get(SNAPSHOT, {})
            point.event(
                "safeguard",
                {
                    "decision_seq": seq,
                    "safeguard": SNAPSHOT,
                    "kind": KIND,
                    "status": "taken" if taken.get("id") else "nothing",
                    "vault": taken.get("id", ""),
                    "saved": taken.get("saved", []),
                    "approval": allowed.request_id or "",
                },
            )
            return replace(checked, details={**checked.details, "gate": held})
        why = checked.reason.removeprefix("held for a human's approval: ")
        returned = point.release(allowed.request_id or "", why)
        point.event(
            "safeguard",
            {
                "decision_seq": seq,
                "safeguard": SNAPSHOT,
                "kind": KIND,
                "status": "failed",
                "error": why,
                "approval_returned": returned,
            },
        )
        return Verdict(
            Permission.DENY,
            f"approved, but the snapshot it needs first could not be taken ({why}); the "
            "approval was given back and nothing ran. Tell the user: they can run it "
            "themselves if it must run without a snapshot.",
            allowed.request_id,
            allowed.details,
        )


def _shown(call: ToolCall | None, verdict: Verdict) -> Verdict:
    """A hold names only the safeguards the hook will take once it is approved: a snapshot
    for a shell command, nothing else (a hook cannot hold a cancel window open)."""
    held = verdict.details.get("held")
    if verdict.permission is Permission.ALLOW or not isinstance(held, Decision):
        return verdict
    shell = call is not None and call.kind is ToolKind.SHELL
    shown = only_takeable(held, lambda name: shell and name == SNAPSHOT, "the hook")
    if shown is held:
        return verdict
    return replace(verdict, details={**verdict.details, "held": shown})


def _held(verdict: Verdict, decision: Decision, why: str) -> Verdict:
    where = f"the hook (no snapshot: {why})"
    held = require_safeguards(decision, lambda name: name != SNAPSHOT, where)
    held = only_takeable(held, lambda name: name != SNAPSHOT, where)
    reasons = "; ".join(held.reasons[-1:])
    return Verdict(
        Permission.ASK,
        f"held for a human's approval: {reasons}.",
        details={**verdict.details, "gate": held, "hold": True, "held": held},
    )
