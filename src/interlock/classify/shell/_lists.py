"""The shell classifier's word lists (`words.toml`), loaded once.

Which Redis commands delete data, which MongoDB methods write, which processes belong to a
developer's session, which commands print a tool's shell set-up: facts about other programs,
kept as data so that adding one is an edit to a list, not to code.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any


@dataclass(frozen=True, slots=True)
class Lists:
    redis_read: frozenset[str]
    redis_write: frozenset[str]
    redis_destructive: frozenset[str]
    redis_destructive_subcommands: dict[str, frozenset[str]]
    redis_privilege_subcommands: dict[str, frozenset[str]]
    mongo_read: frozenset[str]
    mongo_write: frozenset[str]
    mongo_destructive: frozenset[str]
    mongo_privilege: frozenset[str]
    development_processes: frozenset[str]
    environment_setup: tuple[tuple[str, ...], ...]
    critical_configuration: tuple[str, ...]


def _words(raw: Any, where: str) -> frozenset[str]:
    if not isinstance(raw, list) or not all(isinstance(w, str) for w in raw):
        raise ValueError(f"words.toml: {where} must be a list of strings")
    return frozenset(raw)


def _load() -> Lists:
    text = resources.files(__package__).joinpath("words.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    redis, mongo = raw["redis"], raw["mongo"]
    subs = redis["destructive_subcommands"]
    return Lists(
        redis_read=_words(redis["read"], "redis.read"),
        redis_write=_words(redis["write"], "redis.write"),
        redis_destructive=_words(redis["destructive"], "redis.destructive"),
        redis_destructive_subcommands={
            str(k): _words(v, f"redis.destructive_subcommands.{k}") for k, v in subs.items()
        },
        redis_privilege_subcommands={
            str(k): _words(v, f"redis.privilege_subcommands.{k}")
            for k, v in redis["privilege_subcommands"].items()
        },
        mongo_read=_words(mongo["read"], "mongo.read"),
        mongo_write=_words(mongo["write"], "mongo.write"),
        mongo_destructive=_words(mongo["destructive"], "mongo.destructive"),
        mongo_privilege=_words(mongo["privilege"], "mongo.privilege"),
        development_processes=_words(raw["processes"]["development"], "processes.development"),
        critical_configuration=tuple(
            sorted(_words(raw["system"]["critical_configuration"], "system"))
        ),
        environment_setup=tuple(
            tuple(entry.split())
            for entry in sorted(_words(raw["environment_setup"]["commands"], "environment_setup"))
        ),
    )


LISTS = _load()


def is_environment_setup(words: list[str]) -> bool:
    """True when `words` is one of the commands that print a tool's shell set-up."""
    return any(
        len(words) == len(entry) and all(e in ("*", w) for e, w in zip(entry, words, strict=True))
        for entry in LISTS.environment_setup
    )


def is_critical_configuration(path: str) -> bool:
    """A file under /etc whose change decides logins, boot, schedules or name resolution."""
    return any(path == c or path.startswith(c + "/") for c in LISTS.critical_configuration)
