"""Split identifiers into words and tell which words mean "this destroys something".

GraphQL field names (`volumeDelete`, `delete_volume`), REST path segments (`purge-cache`) and
RPC method names (`DynamoDB_20120810.DeleteTable`) all carry their meaning in English words
glued together by case or punctuation. Classifiers split them with `split_words` and ask
`destructive_word` rather than searching raw text for substrings: `deletedAt` is the words
`deleted at`, not a deletion, and `undelete` is one word that is not `delete`.

The vocabulary is deliberately small and explicit so that a reviewer can read every word
that makes an action destructive. Words that hide something and can be undone (`disable`,
`archive`, `cancel`) are not here: they are writes. Commands that cut a running system off
or replace what it holds (`stop`, `pause`, `suspend`, `detach`, `restore`, `rebuild`,
`power off`: a paused database or a suspended machine is an outage)
are `DISRUPTIVE_IMPERATIVES`: destructive where a name is a command to a server, never where
it names data.
"""

from __future__ import annotations

from collections.abc import Sequence

from interlock.classify._names import split_words

__all__ = [
    "DESTRUCTIVE_IMPERATIVES",
    "DISRUPTIVE_IMPERATIVES",
    "destructive_word",
    "disruptive_word",
    "split_words",
]

# Verbs in their imperative form: "delete the volume", "purge the cache".
DESTRUCTIVE_IMPERATIVES: frozenset[str] = frozenset(
    {
        "delete",
        "del",
        "rm",
        "remove",
        "destroy",
        "drop",
        "purge",
        "wipe",
        "truncate",
        "erase",
        "reset",
        "revoke",
        "terminate",
        "uninstall",
        "nuke",
        "obliterate",
        "flush",
        "clear",
        "shred",
        "expunge",
        "deprovision",
        "decommission",
        "prune",
        "discard",
        "kill",
        "empty",
        "unset",
        "overwrite",
        "flushall",
        "flushdb",
    }
)

# Commands that delete nothing by name but take something away for good or cut a running
# system off: a droplet `rebuild` or `restore` replaces its disk, `detach` pulls a volume
# from a running machine, `stop`/`shutdown`/`signal`/`evict` stop what serves, `void` and
# `redact` cannot be undone, `rotate`/`regenerate` invalidate the credential in use. They
# count where a name is a command to a server (a REST path segment or action value of a
# changing request, an RPC method, a mutation), never in a query field or a read.
DISRUPTIVE_IMPERATIVES: frozenset[str] = frozenset(
    {
        "void",
        "detach",
        "redact",
        "rotate",
        "regenerate",
        "restore",
        "undo",
        "stop",
        "rollback",
        "pause",
        "suspend",
        "signal",
        "evict",
        "eviction",
        "cleanup",
        "rebuild",
        "reimage",
        "shutdown",
        "poweroff",
        "halt",
        "unpublish",
        "undeploy",
        "deregister",
        "unregister",
        "disown",
    }
)

# What a restore brings back when it is an undelete rather than a rollback over live data.
_UNDELETED: frozenset[str] = frozenset(
    {"deleted", "removed", "trashed", "trash", "archived", "bin", "recycled", "discarded"}
)

# Two-word commands of the same kind: `power_off`, `shut down`, `release` an IP address,
# `disable` backups (the safety net the incident lacked).
_DISRUPTIVE_PAIRS: tuple[tuple[frozenset[str], frozenset[str]], ...] = (
    (frozenset({"power"}), frozenset({"off", "cycle"})),
    (frozenset({"shut"}), frozenset({"down"})),
    (frozenset({"clean"}), frozenset({"up"})),
    (
        frozenset({"release", "unassign"}),
        frozenset({"ip", "ips", "address", "addresses", "ipv4", "ipv6", "eip"}),
    ),
    (
        frozenset({"disable", "deactivate", "suspend", "pause"}),
        frozenset({"backup", "backups", "pitr", "versioning", "replication", "protection"}),
    ),
)

# Nouns and inflections that describe the same act ("scheduleDeletion", "markDeleted").
# They count where the name is a command (a mutation, an RPC method) but not where it is a
# noun phrase naming data (a query field `deletedItems`, a path `/deleted-items`).
_EXTRA_FORMS: frozenset[str] = frozenset(
    {
        "deletion",
        "deletions",
        "removal",
        "removals",
        "destruction",
        "erasure",
        "truncation",
        "termination",
        "revocation",
        "obliteration",
        "decommissioning",
        "deprovisioning",
    }
)

# A destructive word right after one of these is being undone or prevented, not done:
# `undoDelete`, `cancelDeletion`, `restoreDeletedItems`, `recoverRemoved`.
_NEGATORS: frozenset[str] = frozenset(
    {"undo", "cancel", "abort", "restore", "recover", "revert", "prevent", "un", "stop"}
)


# Pairs in which the destructive word names a routine, recoverable chore rather than loss
# of data: a password reset lets the owner choose a new password.
_BENIGN_PAIRS: frozenset[tuple[str, str]] = frozenset(
    {("password", "reset"), ("reset", "password"), ("password", "resets")}
)


def _inflections(stem: str) -> set[str]:
    forms = {stem + "s", stem + "es", stem + "ing", stem + "ed"}
    if stem.endswith("e"):
        forms |= {stem + "d", stem[:-1] + "ing"}
    if stem.endswith("y"):
        forms |= {stem[:-1] + "ies", stem[:-1] + "ied"}
    if stem in {"drop", "rm", "shred", "del"}:
        forms |= {stem + stem[-1] + "ed", stem + stem[-1] + "ing"}
    return forms


_ANY_FORM: frozenset[str] = frozenset(
    DESTRUCTIVE_IMPERATIVES
    | _EXTRA_FORMS
    | {f for stem in DESTRUCTIVE_IMPERATIVES for f in _inflections(stem)}
)

# Long, unambiguous stems also found inside words glued without case (`volumedelete`,
# `deletevolume`, `purgecache`). Short or ambiguous ones (drop: dropdown; reset: preset;
# wipe: swipe; clear: nuclear) are only recognised as whole words.
_GLUED_STEMS: tuple[str, ...] = (
    "delete",
    "destroy",
    "purge",
    "truncate",
    "terminate",
    "revoke",
    "uninstall",
    "obliterate",
    "remove",
    "deprovision",
    "decommission",
    "expunge",
)
_INFLECTED: tuple[str, ...] = tuple(sorted(_ANY_FORM - DESTRUCTIVE_IMPERATIVES, key=len))


def destructive_word(words: Sequence[str], *, imperative_only: bool = False) -> str | None:
    """The first word of `words` that means destruction, or None.

    With `imperative_only`, only the verb itself counts (`delete`, not `deleted` or
    `deletion`): for names that usually denote data rather than commands. A word right after
    a negator (`undo`, `cancel`, `restore`, …) does not count.
    """
    vocabulary = DESTRUCTIVE_IMPERATIVES if imperative_only else _ANY_FORM
    for index, word in enumerate(words):
        if word not in vocabulary:
            glued = _glued(word, imperative_only=imperative_only)
            if glued is not None and (index == 0 or words[index - 1] not in _NEGATORS):
                return glued
            continue
        before = words[index - 1] if index else ""
        after = words[index + 1] if index + 1 < len(words) else ""
        if before in _NEGATORS or (before, word) in _BENIGN_PAIRS or (word, after) in _BENIGN_PAIRS:
            continue
        return word
    return None


def disruptive_word(words: Sequence[str]) -> str | None:
    """The word (or `first second` pair) of a command that takes something away for good or
    cuts a running system off (`DISRUPTIVE_IMPERATIVES`), or None. Only for names that are
    commands: a changing request's path or action, an RPC method, a mutation."""
    for index, word in enumerate(words):
        if word in DISRUPTIVE_IMPERATIVES:
            after = words[index + 1 : index + 3]
            if word == "restore" and _UNDELETED.intersection(after):
                continue  # `restoreDeletedItems`, `restore_from_trash`: an undelete
            return word
    present = set(words)
    for firsts, seconds in _DISRUPTIVE_PAIRS:
        first = next((w for w in words if w in firsts), None)
        if first is not None and present & seconds:
            return f"{first} {next(w for w in words if w in seconds)}"
    return None


def _glued(word: str, *, imperative_only: bool) -> str | None:
    """A long destructive stem glued to other letters (`volumedelete`), or None.

    `undelete`, `unremovable` are negations. With `imperative_only` the stem must lead and
    must not be an inflection (`deletedthings` names data; `deleteall` is a command).
    """
    if len(word) > 40 or word.startswith("un"):
        return None
    for stem in _GLUED_STEMS:
        if word.startswith(stem):
            rest = word[len(stem) :]
            if imperative_only and any(
                word.startswith(f) for f in _INFLECTED if len(f) > len(stem) and f.startswith(stem)
            ):
                continue
            if rest[:2] not in ("ab",):  # removable, deletable read as adjectives
                return stem
        elif not imperative_only and word.endswith(stem):
            return stem
    return None
