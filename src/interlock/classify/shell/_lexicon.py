"""The verb lexicon (`verbs.toml`): what a subcommand word of a known CLI means.

Cloud, PaaS and SaaS command lines name their action with a small vocabulary of verbs
(`list`, `describe`, `create`, `delete`, `destroy`, `purge`) under nouns that differ from
tool to tool (`neonctl branches delete`, `gcloud sql instances delete`, `heroku
pg:backups:delete`). Writing every tool's whole command tree by hand would leave most of the
field unknown; the lexicon lets the command table name a tool's exceptions and learn the
rest from its verb words, while a path without any known verb stays `unknown`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from importlib import resources
from typing import Any

from interlock.model import Verb


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Verb words, privilege nouns and escalating options, as loaded from `verbs.toml`."""

    words: Mapping[str, Verb]
    globs: tuple[tuple[str, Verb], ...]
    privilege_nouns: frozenset[str]
    group_words: frozenset[str]  # write words that also name a command group
    destructive_options: frozenset[str]


def _strings(raw: Any, where: str) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(w, str) for w in raw):
        raise ValueError(f"verbs.toml: {where} must be a list of strings")
    return raw


def _load() -> Lexicon:
    text = resources.files(__package__).joinpath("verbs.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    words: dict[str, Verb] = {}
    globs: list[tuple[str, Verb]] = []
    for name, listed in raw["words"].items():
        verb = Verb(name)
        for word in _strings(listed, f"words.{name}"):
            if any(ch in word for ch in "*?["):
                globs.append((word, verb))
            else:
                words[word] = verb
    return Lexicon(
        words=words,
        globs=tuple(globs),
        privilege_nouns=frozenset(_strings(raw["nouns"]["privilege"], "nouns.privilege")),
        group_words=_groups(words, _strings(raw["nouns"]["groups"], "nouns.groups")),
        destructive_options=frozenset(
            _strings(raw["options"]["destructive"], "options.destructive")
        ),
    )


def _groups(words: Mapping[str, Verb], groups: list[str]) -> frozenset[str]:
    for word in groups:
        if words.get(word, Verb.WRITE) is not Verb.WRITE:
            raise ValueError(f"verbs.toml: nouns.groups: {word} is not a write word")
    return frozenset(groups)


LEXICON = _load()


def _whole(word: str, overrides: Mapping[str, Verb]) -> Verb | None:
    hit = overrides.get(word)
    if hit is not None:
        return hit
    hit = LEXICON.words.get(word)
    if hit is not None:
        return hit
    for pattern, verb in overrides.items():
        if "*" in pattern and fnmatchcase(word, pattern):
            return verb
    for pattern, verb in LEXICON.globs:
        if fnmatchcase(word, pattern):
            return verb
    return None


def _camel_head(word: str) -> str:
    """`deleteSite` → `delete`; "" when the word is not camelCase."""
    for index, ch in enumerate(word):
        if ch.isupper():
            return word[:index] if index and word[:index].islower() else ""
    return ""


def verb_of(word: str, overrides: Mapping[str, Verb]) -> Verb | None:
    """The verb a subcommand word names, or None when it names none (a noun, an argument).

    `overrides` are the tool's own words (its table entry's `scan`), which win.
    """
    hit = _whole(word, overrides)
    if hit is not None:
        return hit
    if word in LEXICON.privilege_nouns:
        return None  # `deploy-key` names a credential, not a deployment
    if ":" in word:  # heroku / netlify topics: `pg:backups:delete`, then `open:admin`
        parts = [p for p in word.split(":") if p]
        if not parts or parts == [word]:
            return None
        last = verb_of(parts[-1], overrides)
        return last if last is not None else verb_of(parts[0], overrides)
    for separator in ("-", "_"):
        if separator in word:
            tail = _whole(word.rsplit(separator, 1)[-1], overrides)
            if tail is Verb.DESTRUCTIVE:  # `force-delete`, `stats-reset`
                return tail
            first = _whole(word.partition(separator)[0], overrides)
            return first if first is not Verb.UNKNOWN else None  # `ssh-keys` is a noun
    camel = _camel_head(word)
    if camel:
        hit = _whole(camel, overrides)
        return hit if hit is not Verb.UNKNOWN else None
    return None


def names_privilege(word: str, extra: frozenset[str]) -> bool:
    """Whether a command-path word names a credential or a privilege (`tokens`, `iam`).

    The noun may stand alone, as a topic (`keys:add`), or after a verb (`create-api-key`).
    """
    nouns = LEXICON.privilege_nouns
    candidates = [word, *word.split(":")]
    for separator in ("-", "_"):
        head, sep, rest = word.partition(separator)
        if sep and rest and LEXICON.words.get(head) in (Verb.WRITE, Verb.PRIVILEGE):
            candidates.append(rest)  # `create-api-key`, not `get-credentials`
    return any(c in nouns or c in extra for c in candidates if c)
