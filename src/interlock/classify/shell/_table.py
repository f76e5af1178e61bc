"""The known-command table (`commands.toml`) and the rule engine that reads it.

Most commands are judged by the same few facts: which subcommand was named, which flags were
given, which arguments, whether any of those is unknowable before run time. So the table is
data, and one engine applies it:

- An entry has a default `verb`, optional `rules` (each a verb and conditions on flags and
  arguments) and optional `sub` entries for subcommands (`git push`, `aws s3 rm`), whose
  keys may be globs (`"delete-*"`). `scan` entries (gcloud, az) instead look for a verb
  word anywhere among the arguments, because their command paths have varying length.
- When rules match, the verdict is the most severe matched rule; otherwise the default.
- Flags that make a command *more* dangerous match generously (inside combined short flags
  like `-rf`, and as GNU abbreviations like `--recur`); conditions that make it *less*
  dangerous (`without`) match only exactly. The engine errs towards severity.
- A word whose value is unknown before run time (`"$X"`, `$(…)`) could be any flag or
  argument: if any rule of the entry could raise the verdict, the verdict is `unknown`.
- `guard_paths` entries that write are destructive when a target is a system path.
- `lexicon = true` entries (cloud, PaaS, SaaS CLIs) learn what the table does not name from
  the verb lexicon (`verbs.toml`, see `_lexicon.py`): a subcommand word that is not in `sub`
  is looked up there, nouns are skipped, and a path without any known verb stays `unknown`.
  An entry the table does name never swallows the words after it: a more severe verb word
  among them (`railway environment delete`) raises the verdict, unless the entry is `final`
  (its arguments are free text, like `kubectl auth can-i delete pods`).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from importlib import resources
from typing import Any

from interlock.classify.paths import is_everything, is_system_path, runs_code_later
from interlock.classify.shell._lexicon import LEXICON, names_privilege, verb_of
from interlock.classify.shell._words import Word
from interlock.model import Verb

MAX_TARGETS = 8


@dataclass(frozen=True, slots=True)
class Rule:
    """A verdict that applies when every given condition holds."""

    verb: Verb
    why: str = ""
    flags: frozenset[str] = frozenset()  # any of these (matched generously)
    also: frozenset[str] = frozenset()  # and any of these too
    without: frozenset[str] = frozenset()  # and none of these (matched exactly)
    args: frozenset[str] = frozenset()  # any positional equal to one of these
    args_glob: tuple[str, ...] = ()  # any positional matching one of these globs
    everything: bool = False  # any positional meaning "all of it" (`/`, `~`, `*`, `.`)
    no_args: bool = False  # no positional at all
    dashdash: bool = False  # `--` followed by at least one word
    min_args: int = 0  # at least this many positionals
    # any option given one of these values (`--replicas 0`, `--replicas=0`); a value only
    # known at run time matches too (it could be any of them)
    option_is: tuple[tuple[str, frozenset[str]], ...] = ()


@dataclass(slots=True)
class Entry:
    """One command or subcommand of the table."""

    name: str
    verb: Verb = Verb.UNKNOWN
    why: str = ""
    rules: tuple[Rule, ...] = ()
    sub: dict[str, Entry] = field(default_factory=dict)
    sub_globs: tuple[tuple[str, Entry], ...] = ()
    nosub: Verb | None = None
    unknown_sub: Verb = Verb.UNKNOWN
    scan: dict[str, Verb] = field(default_factory=dict)
    value_opts: frozenset[str] = frozenset()
    target_opts: frozenset[str] = frozenset()
    single_dash_long: bool = False
    on_dynamic: Verb | None = None
    on_fanout: Verb | None = None
    guard_paths: bool = False
    handler: str = ""
    lexicon: bool = False  # judged with the verb lexicon where the table is silent
    scans: bool = False  # a command group whose verb is found among its words
    final: bool = False  # its positionals are free text, never subcommands
    nouns: frozenset[str] = frozenset()  # the tool's own privilege nouns
    lower_opts: frozenset[str] = frozenset()  # options making a lexicon verdict a read
    groups: frozenset[str] = frozenset()  # command groups that list when named alone

    def lookup(self, word: str) -> Entry | None:
        hit = self.sub.get(word)
        if hit is not None:
            return hit
        for pattern, entry in self.sub_globs:
            if fnmatchcase(word, pattern):
                return entry
        return None


@dataclass(slots=True)
class Scan:
    """The arguments of a command split into flags, option values and positionals."""

    shorts: set[str] = field(default_factory=set)
    longs: set[str] = field(default_factory=set)
    positionals: list[tuple[int, Word]] = field(default_factory=list)
    option_values: list[tuple[str, Word]] = field(default_factory=list)
    dynamic: list[Word] = field(default_factory=list)
    dashdash_words: int = 0

    def has_generous(self, flag: str, single_dash_long: bool) -> bool:
        if len(flag) == 2 and flag[0] == "-" and not single_dash_long:
            return flag in self.shorts
        if flag in self.longs:
            return True
        if single_dash_long:
            return False
        return any(len(seen) > 3 and flag.startswith(seen) for seen in self.longs)

    def has_exact(self, flag: str, single_dash_long: bool) -> bool:
        if len(flag) == 2 and flag[0] == "-" and not single_dash_long:
            return flag in self.shorts
        return flag in self.longs


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the table says about one command line (after wrappers were removed)."""

    verb: Verb
    path: tuple[str, ...]
    why: str
    targets: tuple[str, ...]
    entry: Entry
    args: tuple[Word, ...]  # the words after the command path, for handlers
    flag: str = ""

    @property
    def operation(self) -> str:
        return " ".join(self.path)

    def reason(self) -> str:
        shown = self.operation + (f" {self.flag}" if self.flag else "")
        targets = ", ".join(self.targets) if self.targets else "its arguments"
        why = self.why or _DEFAULT_WHY[self.verb]
        return f"{shown} {why.replace('{targets}', targets)}"


_DEFAULT_WHY = {
    Verb.READ: "only reads",
    Verb.WRITE: "changes files or state in an ordinary, bounded way",
    Verb.PRIVILEGE: "creates or changes credentials or privileges",
    Verb.DESTRUCTIVE: "destroys data or disrupts a running system",
    Verb.UNKNOWN: "does something Interlock cannot vouch for",
}


def scan(args: tuple[Word, ...] | list[Word], entry: Entry) -> Scan:
    """Split `args` into flags, option values and positionals, as getopt would."""
    out = Scan()
    single = entry.single_dash_long
    value_opts = entry.value_opts
    i = 0
    after_dashdash = False
    n = len(args)
    while i < n:
        word = args[i]
        value = word.value
        if value is None:
            out.dynamic.append(word)
            out.positionals.append((i, word))
        elif after_dashdash or value == "-" or not value.startswith("-") or value == "":
            out.positionals.append((i, word))
            if after_dashdash:
                out.dashdash_words += 1
        elif value == "--":
            after_dashdash = True
        elif value.startswith("--") or single:
            name, eq, rest = value.partition("=")
            if single and name.startswith("--"):
                name = name[1:]
            out.longs.add(name)
            if eq:
                out.option_values.append((name, Word(value=rest, text=rest)))
            elif name in value_opts and i + 1 < n:
                out.option_values.append((name, args[i + 1]))
                i += 1
        else:
            letters = value[1:]
            for j, letter in enumerate(letters):
                flag = "-" + letter
                out.shorts.add(flag)
                if flag in value_opts:
                    rest = letters[j + 1 :]
                    if rest:
                        out.option_values.append((flag, Word(value=rest, text=rest)))
                    elif i + 1 < n:
                        out.option_values.append((flag, args[i + 1]))
                        i += 1
                    break
        i += 1
    return out


def _rule_matches(rule: Rule, found: Scan, single: bool) -> str | None:
    """The flag (or "") that made `rule` match, or None when it does not match."""
    hit = ""
    if rule.flags:
        matched = [f for f in sorted(rule.flags) if found.has_generous(f, single)]
        if not matched:
            return None
        hit = matched[0]
    if rule.also and not any(found.has_generous(f, single) for f in rule.also):
        return None
    if rule.without and any(found.has_exact(f, single) for f in rule.without):
        return None
    values = [w.value if w.value is not None else w.text for _, w in found.positionals]
    if rule.args and not any(v in rule.args for v in values):
        return None
    if rule.args_glob and not any(fnmatchcase(v, g) for v in values for g in rule.args_glob):
        return None
    if rule.everything and not any(is_everything(v) for v in values):
        return None
    if rule.no_args and values:
        return None
    if rule.dashdash and not found.dashdash_words:
        return None
    if rule.min_args and len(values) < rule.min_args:
        return None
    if rule.option_is and not any(
        flag == option and (word.value is None or word.value in allowed)
        for flag, word in found.option_values
        for option, allowed in rule.option_is
    ):
        return None
    return hit


def evaluate(name: str, args: tuple[Word, ...]) -> Verdict | None:
    """Judge `name args…` with the table; None when the command is not in it."""
    entry = TABLE.get(name)
    if entry is None:
        return None
    return _evaluate(entry, (name,), args)


def _evaluate(entry: Entry, path: tuple[str, ...], args: tuple[Word, ...]) -> Verdict:
    found = scan(args, entry)
    if entry.sub:
        return _descend(entry, path, args, found)
    if entry.scans:
        return _scan_verbs(entry, path, args, found)
    return _leaf(entry, path, args, found)


def _descend(entry: Entry, path: tuple[str, ...], args: tuple[Word, ...], found: Scan) -> Verdict:
    if not found.positionals:
        verb = entry.nosub if entry.nosub is not None else entry.verb
        return Verdict(verb, path, entry.why, (), entry, args)
    index, word = found.positionals[0]
    if word.value is None:
        why = f"names its subcommand with {word.text}, which is only known at run time"
        return Verdict(Verb.UNKNOWN, path, why, (), entry, args)
    child = entry.lookup(word.value)
    if child is None and entry.lexicon:
        rest = args[index:]
        return _scan_verbs(entry, path, rest, scan(rest, entry))
    if child is None:
        why = f"{word.value} is not a subcommand Interlock knows"
        return Verdict(entry.unknown_sub, (*path, word.value), why, (), entry, args)
    return _evaluate(child, (*path, word.value), args[index + 1 :])


def _scan_verbs(
    entry: Entry, path: tuple[str, ...], args: tuple[Word, ...], found: Scan
) -> Verdict:
    """`GROUP… VERB NAME…`: the verb is the most severe verb word among the arguments.

    Every word is looked at, not only the first verb, so an argument or an option value the
    table could not tell from a subcommand can only raise the verdict.
    """
    if not found.positionals and entry.nosub is not None:
        return Verdict(entry.nosub, path, entry.why, (), entry, args)
    best: Verb | None = None
    best_index = -1
    verbs: list[Verb | None] = []
    for _, word in found.positionals:
        if word.value is None:
            why = f"has an argument ({word.text}) that is only known at run time"
            return Verdict(Verb.UNKNOWN, path, why, (), entry, args)
        if entry.lexicon and word.value in entry.groups:
            verbs.append(None)  # a group: a noun, unless nothing follows it (see below)
        elif entry.lexicon:
            verbs.append(verb_of(word.value, entry.scan))
        else:
            verbs.append(entry.scan.get(word.value))
    for position, verb in enumerate(verbs):
        if (
            verb is Verb.WRITE
            and entry.lexicon
            and any(later is not None for later in verbs[position + 1 :])
            and found.positionals[position][1].value in LEXICON.group_words
        ):
            continue  # a group named like a verb (`velero backup get`): never a deletion
        if verb is not None and (best is None or verb.severity > best.severity):
            best, best_index = verb, position
    words = [w.shown for _, w in found.positionals]
    if best is None and verbs and found.positionals[-1][1].value in entry.groups:
        best, best_index = Verb.READ, len(verbs) - 1  # `vercel env`, `heroku apps`: a listing
    if best is None:
        why = "has no subcommand Interlock knows"
        return Verdict(entry.unknown_sub, (*path, *words[:3]), why, (), entry, args)
    shown = (*path, *words[: best_index + 1])
    targets = _targets(entry, found, skip=best_index + 1)
    if not entry.lexicon:
        return Verdict(best, shown, entry.why, targets, entry, args)
    return _lexicon_options(entry, best, shown, found, targets, args)


def _lexicon_options(
    entry: Entry,
    verb: Verb,
    path: tuple[str, ...],
    found: Scan,
    targets: tuple[str, ...],
    args: tuple[Word, ...],
) -> Verdict:
    """A lexicon verdict adjusted by the command path's nouns and the options given."""
    why = ""
    if verb is Verb.WRITE and any(names_privilege(w, entry.nouns) for w in path[1:]):
        verb = Verb.PRIVILEGE
    flag = ""
    ruled = False
    for rule in entry.rules:
        hit = _rule_matches(rule, found, entry.single_dash_long)
        if hit is not None and rule.verb.severity > verb.severity:
            verb, why, flag, ruled = rule.verb, rule.why, hit, True
    if verb in (Verb.WRITE, Verb.PRIVILEGE):
        single = entry.single_dash_long
        for option in sorted(LEXICON.destructive_options):
            if found.has_generous(option, single) and not _switched_off(found, option, single):
                why = f"with {option} overwrites, deletes or skips the tool's safety checks"
                return Verdict(Verb.DESTRUCTIVE, path, why, targets, entry, args, option)
    for option in sorted(entry.lower_opts) if not ruled else ():
        if found.has_exact(option, entry.single_dash_long) and not _switched_off(
            found, option, entry.single_dash_long
        ):
            why = "only shows what it would do"
            return Verdict(Verb.READ, path, why, targets, entry, args, option)
    return Verdict(verb, path, why, targets, entry, args, flag)


def _switched_off(found: Scan, option: str, single: bool) -> bool:
    """`--dry-run=none`, `--force=false`: every spelling of the option given (itself or an
    abbreviation of it) has a value that turns it off."""
    seen = [
        name
        for name in found.longs
        if name == option or (not single and len(name) > 3 and option.startswith(name))
    ]
    values = {name: word.value for name, word in found.option_values if name in seen}
    return bool(seen) and all(
        (values.get(name) or "").lower() in _OFF and name in values for name in seen
    )


_OFF = frozenset({"false", "0", "no", "none", "off"})


def _leaf(entry: Entry, path: tuple[str, ...], args: tuple[Word, ...], found: Scan) -> Verdict:
    single = entry.single_dash_long
    verb: Verb | None = None
    why = entry.why
    flag = ""
    for rule in entry.rules:
        hit = _rule_matches(rule, found, single)
        if hit is None:
            continue
        if verb is None or rule.verb.severity > verb.severity:
            verb, why, flag = rule.verb, rule.why or entry.why, hit
    if verb is None:
        verb = entry.verb
    if entry.lexicon and not entry.final:
        raised = _raised_by_words(entry, found, verb)
        if raised is not None:
            verb, why, flag = raised
    targets = _targets(entry, found, skip=0)
    if found.dynamic:
        fanout = any(w.fanout for w in found.dynamic)
        if fanout and entry.on_fanout is not None:
            if entry.on_fanout.severity > verb.severity:
                verb, why, flag = entry.on_fanout, "acts on names chosen at run time", ""
        elif entry.on_dynamic is not None and entry.on_dynamic.severity > verb.severity:
            verb, flag = entry.on_dynamic, ""
            why = f"has an argument ({found.dynamic[0].text}) only known at run time"
        elif any(r.verb.severity > verb.severity for r in entry.rules):
            verb, flag = Verb.UNKNOWN, ""
            why = (
                f"has an argument ({found.dynamic[0].text}) only known at run time, "
                "which could change what it does"
            )
    if entry.guard_paths and verb is Verb.WRITE:
        critical = [t for t in _all_values(found) if is_system_path(t)]
        hooks = [t for t in _all_values(found) if runs_code_later(t)]
        if critical:
            verb, flag = Verb.DESTRUCTIVE, ""
            why = f"changes {critical[0]}, a system or credential path"
        elif hooks:
            verb, flag = Verb.UNKNOWN, ""
            why = f"changes {hooks[0]}, which git runs or obeys on its next command"
    return Verdict(verb, path, why, targets, entry, args, flag)


def _raised_by_words(entry: Entry, found: Scan, verb: Verb) -> tuple[Verb, str, str] | None:
    """A more severe verb word among the arguments of a named subcommand: the table named a
    command group (`railway environment`), and the word after it is the real subcommand."""
    best: tuple[Verb, str, str] | None = None
    for _, word in found.positionals:
        value = word.value
        if value is None:
            continue
        hit = entry.scan.get(value) or LEXICON.words.get(value)
        if hit is not None and hit.severity > (best[0] if best else verb).severity:
            best = (hit, f"names {value}, a subcommand that changes what it does", "")
    return best


def _all_values(found: Scan) -> list[str]:
    out = [w.value for _, w in found.positionals if w.value is not None]
    out.extend(w.value for _, w in found.option_values if w.value is not None)
    return out


def _targets(entry: Entry, found: Scan, skip: int) -> tuple[str, ...]:
    out = [w.shown for _, w in found.positionals[skip:]]
    if entry.target_opts:
        out.extend(w.shown for name, w in found.option_values if name in entry.target_opts)
    return tuple(t[:120] for t in out[:MAX_TARGETS])


# --- loading -----------------------------------------------------------------------------

_INHERITED = (
    "value_opts", "target_opts", "single_dash_long", "lexicon", "nouns", "lower_opts", "groups"
)  # fmt: skip


def _verb(value: object, where: str) -> Verb:
    try:
        return Verb(str(value))
    except ValueError as exc:
        raise ValueError(f"commands.toml: {where}: bad verb {value!r}") from exc


def _rule(raw: dict[str, Any], where: str) -> Rule:
    return Rule(
        verb=_verb(raw["verb"], where),
        why=str(raw.get("why", "")),
        flags=frozenset(raw.get("flags", ())),
        also=frozenset(raw.get("also", ())),
        without=frozenset(raw.get("without", ())),
        args=frozenset(raw.get("args", ())),
        args_glob=tuple(raw.get("args_glob", ())),
        everything=bool(raw.get("everything", False)),
        no_args=bool(raw.get("no_args", False)),
        dashdash=bool(raw.get("dashdash", False)),
        min_args=int(raw.get("min_args", 0)),
        option_is=tuple(
            (str(option), frozenset(str(v) for v in values))
            for option, values in dict(raw.get("option_is", {})).items()
        ),
    )


def _entry(name: str, raw: dict[str, Any], parent: dict[str, Any] | None) -> Entry:
    where = name
    inherited = dict(parent or {})
    value_opts = set(inherited.get("value_opts", ())) | set(raw.get("value_opts", ()))
    target_opts = set(inherited.get("target_opts", ())) | set(raw.get("target_opts", ()))
    single = bool(raw.get("single_dash_long", inherited.get("single_dash_long", False)))
    lexicon = bool(raw.get("lexicon", inherited.get("lexicon", False)))
    nouns = set(inherited.get("nouns", ())) | set(raw.get("nouns", ()))
    lower_opts = set(inherited.get("lower_opts", ())) | set(raw.get("lower_opts", ()))
    groups = set(inherited.get("groups", ())) | set(raw.get("groups", ()))
    own_scan = {str(k): _verb(v, where) for k, v in raw.get("scan", {}).items()}
    words: dict[str, Verb] = {**inherited.get("scan", {}), **own_scan} if lexicon else own_scan
    entry = Entry(
        name=name,
        verb=_verb(raw.get("verb", "unknown"), where),
        why=str(raw.get("why", "")),
        rules=tuple(_rule(r, where) for r in raw.get("rules", ())),
        nosub=_verb(raw["nosub"], where) if "nosub" in raw else None,
        unknown_sub=_verb(raw.get("unknown_sub", "unknown"), where),
        scan=words,
        value_opts=frozenset(value_opts),
        target_opts=frozenset(target_opts),
        single_dash_long=single,
        on_dynamic=_verb(raw["on_dynamic"], where) if "on_dynamic" in raw else None,
        on_fanout=_verb(raw["on_fanout"], where) if "on_fanout" in raw else None,
        guard_paths=bool(raw.get("guard_paths", False)),
        handler=str(raw.get("handler", "")),
        lexicon=lexicon,
        scans=bool(own_scan) or bool(raw.get("lexicon", False)),
        final=bool(raw.get("final", False)),
        nouns=frozenset(nouns),
        lower_opts=frozenset(lower_opts),
        groups=frozenset(groups),
    )
    context = {
        "value_opts": value_opts,
        "target_opts": target_opts,
        "single_dash_long": single,
        "lexicon": lexicon,
        "nouns": nouns,
        "lower_opts": lower_opts,
        "groups": groups,
        "scan": words,
    }
    subs: dict[str, Entry] = {}
    globs: list[tuple[str, Entry]] = []
    raw_subs: dict[str, Any] = raw.get("sub", {})
    for key, sub_raw in raw_subs.items():
        child = _entry(f"{name} {key}", sub_raw, context)
        for alias in [key, *sub_raw.get("aliases", ())]:
            if any(ch in alias for ch in "*?["):
                globs.append((alias, child))
            else:
                subs[alias] = child
    entry.sub = subs
    entry.sub_globs = tuple(globs)
    return entry


def _load() -> dict[str, Entry]:
    text = resources.files(__package__).joinpath("commands.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    table: dict[str, Entry] = {}
    for name, spec in raw.items():
        entry = _entry(name, spec, None)
        for alias in [name, *spec.get("aliases", ())]:
            table[alias] = entry
    return table


TABLE: dict[str, Entry] = _load()
