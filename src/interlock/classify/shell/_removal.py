"""Deleting files judged by what the paths mean (see `interlock.classify.code`'s places).

The command table says `rm -r` is destructive and `rm` of one file a write. With the facts of
the workspace the answer follows the paths instead: `rm -rf build` of a directory the
project's tooling recreates, or of files git can restore, is a write; `rm
~/.local/state/tool/db.json` deletes the home directory's own data and is destructive even
without `-r`; `rm -rf /tmp/run` is scratch. Targets that mean "everything", names chosen at run
time and `--no-preserve-root` keep the table's verdict.
"""

from __future__ import annotations

from interlock.classify.code import current_workspace, judge_delete, judge_overwrite
from interlock.classify.paths import is_everything
from interlock.classify.shell._context import Context
from interlock.classify.shell._table import Verdict, scan
from interlock.model import Action, Verb

REMOVERS = frozenset({"rm", "unlink", "rmdir"})
_RECURSIVE = ("-r", "-R", "--recursive")


def judge_removal(verdict: Verdict, ctx: Context) -> Action | None:
    """The action for `rm`/`unlink`/`rmdir` by the meaning of its targets; None: keep the
    table's verdict."""
    if verdict.path[0] not in REMOVERS or len(verdict.path) != 1:
        return None
    found = scan(verdict.args, verdict.entry)
    if found.dynamic or "--no-preserve-root" in found.longs:
        return None
    targets = [w.value for _, w in found.positionals if w.value is not None]
    if not targets or any(is_everything(t) for t in targets):
        return None
    recursive = any(found.has_generous(flag, False) for flag in _RECURSIVE)
    workspace = current_workspace()
    verb = Verb.READ
    reasons: list[str] = []
    for target in targets:
        place = judge_delete(target, recursive=recursive, workspace=workspace)
        if place is None:
            if recursive or verdict.verb is not Verb.WRITE:
                return None  # nothing known about this one: the table's verdict stands
            place_verb, why = Verb.WRITE, f"{target} is one file"
        else:
            place_verb, why = place.verb, place.why
        if place_verb.severity > verb.severity:
            verb = place_verb
        reasons.append(why)
    if verb is verdict.verb:
        return None  # the table already says so, in its own words
    name = verdict.path[0]
    flag = " -r" if recursive else ""
    reason = f"{name}{flag} deletes {', '.join(targets[:4])}: {'; '.join(reasons[:3])}"
    return ctx.action(name, verb, reason, tuple(targets))


# Commands whose last argument is the destination; the others write every path they name.
_COPIES = frozenset({"cp", "mv", "install", "ln", "rsync", "scp", "ditto", "gcp"})
_WRITERS = frozenset({"tee", "touch", "truncate", "chmod", "chown", "chgrp", "mkdir"})


def judge_overwrite_targets(verdict: Verdict, ctx: Context) -> Action | None:
    """A write that lands on the home directory's own data or on the PATH is destructive
    (`cp tool ~/.local/bin/`, `tee ~/.config/app.toml`); None: keep the table's verdict."""
    name = verdict.path[0]
    if verdict.verb is not Verb.WRITE or len(verdict.path) != 1:
        return None
    if name not in _COPIES and name not in _WRITERS:
        return None
    found = scan(verdict.args, verdict.entry)
    values = [w.value for _, w in found.positionals if w.value is not None]
    if name in _COPIES:
        values = values[-1:] if len(values) > 1 else []
    workspace = current_workspace()
    for value in values:
        place = judge_overwrite(value, workspace)
        if place is not None and place.verb is Verb.DESTRUCTIVE:
            reason = f"{name} writes {value}: {place.why}"
            return ctx.action(name, Verb.DESTRUCTIVE, reason, (value,))
    return None
