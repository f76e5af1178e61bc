"""What an MCP tool's name says it does.

The name is split into words (`_names.split_words`) and read against the vocabulary in
`_mcp_words`. The outcome is either a verb (`delete_database` is destructive), a *carrier*
(`execute_sql`, `bash`, `http_request`: the tool runs text from its arguments, so the
arguments decide), or nothing (`frobnicate`: unknown unless something else tells).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from interlock.classify import _mcp_words as w
from interlock.classify._names import has_non_ascii_letters, split_words
from interlock.model import Verb

__all__ = ["NameReading", "read_tool_name"]

_CONNECTIVES = frozenset({"and", "or", "then"})


@dataclass(frozen=True, slots=True)
class NameReading:
    """The verdict a tool name alone supports.

    `verb` is None when the name has no recognised verb. `carrier` names the language the
    tool runs (`sql`, `shell`, `code`, `http`, `graphql`, `exec` for "something given in the
    arguments", `cli` for a wrapped command-line program); such tools are judged by their
    arguments. `program` is the wrapped CLI (`kubectl`), used to complete an argv list.
    """

    words: tuple[str, ...]
    verb: Verb | None
    reason: str
    carrier: str | None = None
    program: str | None = None
    suspicious: bool = False

    @property
    def natural_language(self) -> bool:
        """A search-like tool: its `query` is text to look for, not code to run."""
        return any(word in w.NATURAL_LANGUAGE for word in self.words) and self.carrier is None

    @property
    def sql_tool(self) -> bool:
        """A database tool: a `query` argument is SQL even if it does not parse."""
        return self.carrier == "sql" or any(
            word in w.LANGUAGE_SQL or word in {"db", "database", "migration", "table", "tables"}
            for word in self.words
        )

    @property
    def runs_named_task(self) -> bool:
        """`run_job`, `trigger_workflow`: what runs is named by an argument value."""
        return any(word in w.EXECUTE or word in {"trigger", "dispatch"} for word in self.words)


def _strip_server_prefix(name: str) -> str:
    """`mcp__github__create_issue` (Claude Code's spelling) is the tool `create_issue`."""
    parts = name.split("__")
    if len(parts) >= 3 and parts[0].lower() == "mcp":
        return "__".join(parts[2:])
    return name


def _language(words: tuple[str, ...]) -> str | None:
    for table, kind in (
        (w.LANGUAGE_SQL, "sql"),
        (w.LANGUAGE_GRAPHQL, "graphql"),
        (w.LANGUAGE_SHELL, "shell"),
        (w.LANGUAGE_CODE, "code"),
        (w.LANGUAGE_HTTP, "http"),
    ):
        if any(word in table for word in words):
            return kind
    return None


def _counted_events(
    words: tuple[str, ...], verbs: list[tuple[str, Verb | None]], destructive: list[str]
) -> bool:
    """A name that leads with a read and names destructive acts only as plural nouns
    (`get_tcp_resets_timeouts_data`, `list_packet_drops`): the events it reads about."""
    first = next((verb for _, verb in verbs if verb is not None), None)
    return (
        first is Verb.READ
        and not _CONNECTIVES.intersection(words)
        and all(
            word.endswith("s") and w.verb_of_word(word[:-1]) is Verb.DESTRUCTIVE
            for word in destructive
        )
    )


@lru_cache(maxsize=4096)
def read_tool_name(name: str) -> NameReading:
    """Classify a tool by the words of its name. Never raises. Cached: a gateway sees the
    same few hundred tool names over and over."""
    tool = _strip_server_prefix(name)
    words = split_words(tool)
    suspicious = has_non_ascii_letters(tool)
    program = next((word for word in words if word in w.KNOWN_CLIS), None)
    known = w.KNOWN_TOOLS.get("_".join(words))
    if known is not None:
        return NameReading(words, known, f"{tool!r} is a well-known {known.value} tool")

    verbs = [(word, w.verb_of_word(word)) for word in words]
    destructive = [word for word, verb in verbs if verb is Verb.DESTRUCTIVE]
    if destructive and _counted_events(words, verbs, destructive):
        destructive = []  # `get_tcp_resets_data`: it reads a count of resets, does none
    if destructive:
        return NameReading(
            words,
            Verb.DESTRUCTIVE,
            f"tool name says {destructive[0]!r}",
            program=program,
            suspicious=suspicious,
        )
    writes = [word for word, verb in verbs if verb is Verb.WRITE]
    pair = w.destructive_pair(words) if writes else None
    # the name's first verb must be the disruptive one: `add_deploy_key` adds a key
    first_verb = next((word for word, v in verbs if v is not None or word in w.DISRUPTIVE), None)
    disruptive = first_verb if first_verb in w.DISRUPTIVE else None
    if pair is None and disruptive is not None:
        return NameReading(
            words, Verb.DESTRUCTIVE, f"tool name says {disruptive!r}", program=program
        )
    if pair is not None:
        return NameReading(
            words, Verb.DESTRUCTIVE, f"tool name says {pair[0]!r} a {pair[1]!r}", program=program
        )

    language = _language(words)
    runner = next((word for word in words if word in w.EXECUTE), None)
    if runner is not None:
        if runner in {"eval", "evaluate"}:
            return NameReading(words, None, f"tool name says {runner!r}: it runs code", "code")
        others = [word for word in words if word != runner and word not in {"tool", "tools"}]
        if (
            language is not None
            or program is not None
            or not others
            or any(x in w.CARRIER_NOUNS for x in others)
        ):
            carrier = language or ("cli" if program else "exec")
            return NameReading(
                words,
                None,
                f"tool name says {runner!r}: what it runs decides",
                carrier,
                program,
                suspicious,
            )
        if not writes:
            return NameReading(
                words, Verb.WRITE, f"tool {runner}s a named task", None, program, suspicious
            )

    if writes:
        first = next((verb for _, verb in verbs if verb is not None), None)
        modifier = next((word for word in words if word in w.MODIFIERS), None)
        if modifier is not None:
            return NameReading(
                words,
                Verb.DESTRUCTIVE,
                f"tool name says {modifier!r} {writes[0]!r}",
                program=program,
                suspicious=suspicious,
            )
        if (
            first is Verb.READ
            and not _CONNECTIVES.intersection(words)
            and all(word in w.NOUN_LIKE or word[:-1] in w.NOUN_LIKE for word in writes)
        ):
            reader = next(word for word, verb in verbs if verb is Verb.READ)
            return NameReading(
                words,
                Verb.READ,
                f"tool name says {reader!r} (of a {writes[0]!r})",
                program=program,
                suspicious=suspicious,
            )
        return NameReading(
            words,
            Verb.WRITE,
            f"tool name says {writes[0]!r}",
            program=program,
            suspicious=suspicious,
        )

    reads = [word for word, verb in verbs if verb is Verb.READ]
    if language is not None and not reads:
        return NameReading(
            words, None, f"tool runs {language}: what it runs decides", language, program
        )
    if reads:
        return NameReading(
            words,
            Verb.READ,
            f"tool name says {reads[0]!r}",
            program=program,
            suspicious=suspicious,
        )
    for word in words:
        stem = w.glued_destructive(word)
        if stem is not None:
            return NameReading(words, Verb.DESTRUCTIVE, f"tool name contains {stem!r}")
    if program is not None:
        return NameReading(
            words, None, f"tool wraps {program!r}: its arguments decide", "cli", program
        )
    return NameReading(
        words, None, "tool name has no recognised verb", suspicious=suspicious or not words
    )
