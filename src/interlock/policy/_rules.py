"""Rules: a human teaches Interlock the verb class of a command family or an API route.

A rule is one line of knowledge — `rm -rf node_modules` is a write, `minsky tasks *` only
reads, `DELETE /v2/cache/*` is a write — applied to each classified action before the gate
decides, without writing Cedar. Rules live in `policies/rules.toml` in the Interlock home,
which only a human changes (`interlock rules add | remove` ask for the human proof, and the
home is Interlock's own: no agent may write it).

Patterns, one language per kind (see docs/classifiers/tuning.md):

- **shell**: the command's words as written (`rm -rf node_modules`). A word may hold `*`
  (any characters but `/`); a last word `*` stands for any further words, none included.
  A word an agent's shell would expand (`$X`, a backtick, a glob) never matches a `*`.
- **http**: `METHOD /path` (`DELETE /v2/cache/*`, `* /internal/**`): the method (or `*`),
  then the path with `*` for one segment's characters and `**` for any number of segments;
  a pattern without a leading `/` names the host too (`GET api.example.com/v1/**`).
- **mcp**: `server.tool` (`minsky.list_*`), `*.tool`, or a bare tool name on any server.

Limits, on purpose:

- A rule re-classes one action: a compound command (`a && b`, `a; b`, a pipeline) is split
  into its actions first and each is judged on its own, so a rule for `a` never covers `b`.
- Attempts on Interlock itself are never matched (the gate refuses them first).
- A rule lowering a `privilege` action (credentials, grants) must say `privilege = true`.
- A rule never widens an agent's grant: the grant is asked about the new verb class.
"""

from __future__ import annotations

import hashlib
import re
import shlex
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from interlock.errors import PolicyError
from interlock.model import SELF_PROTOCOL, Action, Verb

RULES_FILE = "rules.toml"
RULE_KINDS = ("shell", "http", "mcp")
HTTP_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT", "*"}
)
_EXPANDS = re.compile(r"[$`*?\[]")
_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_MCP_HEAD = re.compile(r"^([^/()\s]+)/")
_KEYS = {"id", "match", "kind", "risk", "privilege", "note", "added_by", "added_at"}
_HEADER = (
    "# Interlock rules: the verb class of command families and API routes, set by a human.\n"
    "# Only humans change this file: `interlock rules add | remove` (it asks for the human\n"
    "# proof). See docs/classifiers/tuning.md.\n"
)


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: actions of `kind` matching `match` are `risk`."""

    id: str
    match: str
    kind: str
    risk: Verb
    privilege: bool = False  # may lower a privilege action
    note: str = ""
    added_by: str = ""
    added_at: str = ""
    _matcher: _Matcher = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_matcher", _compile(self.kind, self.match))

    def matches(self, action: Action) -> bool:
        """Whether this rule applies to `action` (its kind, its pattern, its limits)."""
        if action.protocol != self.kind or action.protocol == SELF_PROTOCOL:
            return False
        if action.verb is Verb.PRIVILEGE and not self.privilege and self.risk is not Verb.PRIVILEGE:
            return False
        return self._matcher.matches(action)

    def apply(self, action: Action) -> Action:
        """The action as this rule classes it (the classifier's reason kept, the rule named)."""
        why = f"rule {self.id} ({self.match!r}) sets {self.risk.value}"
        if self.note:
            why += f": {self.note}"
        reason = f"{why}; classified {action.verb.value}: {action.reason}" if action.reason else why
        return replace(action, verb=self.risk, reason=reason)

    def to_toml(self) -> str:
        lines = ["[[rule]]", f"id = {_quote(self.id)}", f"kind = {_quote(self.kind)}"]
        lines += [f"match = {_quote(self.match)}", f"risk = {_quote(self.risk.value)}"]
        if self.privilege:
            lines.append("privilege = true")
        for key in ("note", "added_by", "added_at"):
            value = getattr(self, key)
            if value:
                lines.append(f"{key} = {_quote(value)}")
        return "\n".join(lines) + "\n"


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The rules in force, in file order; the first that matches an action applies.

    Indexed by kind and, for shell rules, by the command name (which a pattern must spell
    out): an action only meets the few rules that could match it, so hundreds of rules cost
    the gate a dictionary look-up, not hundreds of pattern matches.
    """

    rules: tuple[Rule, ...] = ()
    source: str = ""
    digest: str = field(default="", compare=False)
    _index: dict[tuple[str, str], tuple[Rule, ...]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        index: dict[tuple[str, str], list[Rule]] = {}
        for rule in self.rules:
            index.setdefault((rule.kind, _index_word(rule)), []).append(rule)
        object.__setattr__(self, "_index", {k: tuple(v) for k, v in index.items()})

    def __bool__(self) -> bool:
        return bool(self.rules)

    def match(self, action: Action) -> Rule | None:
        word = (
            action.detail.split(None, 1)[0] if action.protocol == "shell" and action.detail else ""
        )
        candidates = self._index.get((action.protocol, word), ())
        for rule in candidates:
            if rule.matches(action):
                return rule
        return None

    def get(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def to_toml(self) -> str:
        return _HEADER + "".join("\n" + r.to_toml() for r in self.rules)


def _index_word(rule: Rule) -> str:
    """A shell rule's command name (literal, first word); "" for other kinds."""
    if rule.kind != "shell":
        return ""
    return shlex.split(rule.match)[0]


def guess_kind(pattern: str) -> str:
    """`http` for `METHOD /path` (or `METHOD host/path`), else `shell`; MCP is asked for."""
    words = pattern.split()
    if len(words) == 2 and words[0].upper() in HTTP_METHODS and "/" in words[1]:
        return "http"
    return "shell"


def make_rule(
    rule_id: str,
    pattern: str,
    kind: str,
    risk: str,
    *,
    privilege: bool = False,
    note: str = "",
    added_by: str = "",
    added_at: str = "",
) -> Rule:
    """A checked rule; raises `PolicyError` naming what is wrong."""
    if kind not in RULE_KINDS:
        raise PolicyError(f"rule kind {kind!r}: expected one of {', '.join(RULE_KINDS)}")
    try:
        verb = Verb(risk)
    except ValueError:
        choices = ", ".join(v.value for v in Verb)
        raise PolicyError(f"rule risk {risk!r}: expected one of {choices}") from None
    if not _ID.fullmatch(rule_id):
        raise PolicyError(f"rule id {rule_id!r}: lower-case letters, digits and '-'")
    # The pattern is compiled here: a bad one is refused when it is written, not used.
    return Rule(rule_id, pattern.strip(), kind, verb, privilege, note, added_by, added_at)


def next_rule_id(rules: RuleSet) -> str:
    taken = {r.id for r in rules.rules}
    number = len(rules.rules) + 1
    while f"rule-{number}" in taken:
        number += 1
    return f"rule-{number}"


def parse_rules(text: str, source: str = RULES_FILE) -> RuleSet:
    """The rules of a rules file's text; raises `PolicyError` naming the file and rule."""
    try:
        document = tomllib.loads(text)
    except ValueError as exc:
        raise PolicyError(f"not valid TOML ({exc})", path=source) from None
    unknown = set(document) - {"rule"}
    if unknown:
        raise PolicyError(
            f"unknown key(s) {', '.join(sorted(unknown))} (expected [[rule]])", path=source
        )
    raw = document.get("rule", [])
    if not isinstance(raw, list):
        raise PolicyError("`rule` must be an array of tables ([[rule]])", path=source)
    rules: list[Rule] = []
    for index, entry in enumerate(raw, 1):
        where = f"rule {index}"
        if not isinstance(entry, dict):
            raise PolicyError(f"{where}: expected a table", path=source)
        extra = set(entry) - _KEYS
        if extra:
            raise PolicyError(f"{where}: unknown key(s) {', '.join(sorted(extra))}", path=source)
        for key in ("match", "risk"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise PolicyError(f"{where}: `{key}` must be a non-empty string", path=source)
        if not isinstance(entry.get("privilege", False), bool):
            raise PolicyError(f"{where}: `privilege` must be true or false", path=source)
        pattern = entry["match"]
        try:
            rule = make_rule(
                str(entry.get("id") or f"rule-{index}"),
                pattern,
                str(entry.get("kind") or guess_kind(pattern)),
                entry["risk"],
                privilege=entry.get("privilege", False),
                note=str(entry.get("note", "")),
                added_by=str(entry.get("added_by", "")),
                added_at=str(entry.get("added_at", "")),
            )
        except PolicyError as exc:
            raise PolicyError(f"{where}: {exc.args[0]}", path=source) from None
        if any(r.id == rule.id for r in rules):
            raise PolicyError(f"{where}: duplicate rule id {rule.id!r}", path=source)
        rules.append(rule)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16] if rules else ""
    return RuleSet(tuple(rules), source, digest)


def load_rules(path: Path) -> RuleSet:
    """The rules file at `path`; no file is no rules."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return RuleSet(source=str(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"cannot read the rules file: {exc}", path=str(path)) from None
    return parse_rules(text, str(path))


def find_rules_file(paths: Iterable[Path]) -> Path | None:
    """The rules file beside the policies: `rules.toml` in the first policy directory."""
    for path in paths:
        if path.is_dir():
            return path / RULES_FILE
    return None


# -- patterns


class _Matcher:
    def matches(self, action: Action) -> bool:  # pragma: no cover - interface
        raise NotImplementedError


def _compile(kind: str, pattern: str) -> _Matcher:
    if not pattern.strip():
        raise PolicyError("a rule needs a pattern")
    if kind == "shell":
        return _ShellMatcher.parse(pattern)
    if kind == "http":
        return _HttpMatcher.parse(pattern)
    return _McpMatcher.parse(pattern)


def _word_regex(word: str, *, slash: bool = False) -> re.Pattern[str]:
    """`*` is any characters (but `/` unless `slash`); everything else is literal."""
    star = ".*" if slash else "[^/]*"
    return re.compile("".join(star if c == "*" else re.escape(c) for c in word))


@dataclass(frozen=True, slots=True)
class _ShellMatcher(_Matcher):
    words: tuple[re.Pattern[str], ...]
    literal: tuple[str, ...]
    rest: bool  # a last `*`: any further words

    @classmethod
    def parse(cls, pattern: str) -> _ShellMatcher:
        try:
            words = shlex.split(pattern)
        except ValueError as exc:
            raise PolicyError(f"shell pattern {pattern!r}: {exc}") from None
        if not words:
            raise PolicyError("a rule needs a pattern")
        if any(w in (";", "&&", "||", "|", "&") or w.endswith(";") for w in words):
            raise PolicyError(
                f"shell pattern {pattern!r}: one command only (each command of a compound "
                "line is judged on its own; add a rule for each)"
            )
        rest = len(words) > 1 and words[-1] == "*"
        if rest:
            words = words[:-1]
        if words[0] == "*" or "*" in words[0]:
            raise PolicyError(f"shell pattern {pattern!r}: the command name must be spelt out")
        return cls(tuple(_word_regex(w) for w in words), tuple(words), rest)

    def matches(self, action: Action) -> bool:
        detail = action.detail
        if not detail or detail.endswith(("…", "...")):
            return False  # shortened: what was cut could be anything
        try:
            words = shlex.split(detail)
        except ValueError:
            return False
        if len(words) < len(self.words) or (len(words) > len(self.words) and not self.rest):
            return False
        for index, word in enumerate(words):
            if index >= len(self.words):
                if _EXPANDS.search(word):
                    return False  # `*` never stands for what the shell would expand
                continue
            if word == self.literal[index]:
                continue
            if _EXPANDS.search(word) or not self.words[index].fullmatch(word):
                return False
        return True


@dataclass(frozen=True, slots=True)
class _HttpMatcher(_Matcher):
    method: str
    path: re.Pattern[str]
    with_host: bool

    @classmethod
    def parse(cls, pattern: str) -> _HttpMatcher:
        parts = pattern.split()
        if len(parts) != 2 or parts[0].upper() not in HTTP_METHODS:
            raise PolicyError(
                f"http pattern {pattern!r}: expected `METHOD /path` (e.g. `DELETE /v2/cache/*`)"
            )
        method, path = parts[0].upper(), parts[1]
        if "?" in path or "#" in path:
            raise PolicyError(f"http pattern {pattern!r}: a path without query or fragment")
        regex = ""
        index = 0
        while index < len(path):
            if path.startswith("**", index):
                regex += ".*"
                index += 2
            elif path[index] == "*":
                regex += "[^/]*"
                index += 1
            else:
                regex += re.escape(path[index])
                index += 1
        return cls(method, re.compile(regex), not path.startswith("/"))

    def matches(self, action: Action) -> bool:
        method = action.operation.partition(":")[2].upper()
        if self.method != "*" and method != self.method:
            return False
        if len(action.targets) != 1:
            return False
        target = action.targets[0]
        _host, slash, rest = target.partition("/")
        path = target if self.with_host else slash + rest
        if ".." in path.split("/") or "%2e" in path.lower() or "%2f" in path.lower():
            return False  # a path that walks elsewhere than it reads is never a match
        return bool(self.path.fullmatch(path))


@dataclass(frozen=True, slots=True)
class _McpMatcher(_Matcher):
    server: re.Pattern[str] | None
    tool: re.Pattern[str]
    whole: re.Pattern[str]

    @classmethod
    def parse(cls, pattern: str) -> _McpMatcher:
        if any(c.isspace() for c in pattern) or "/" in pattern:
            raise PolicyError(f"mcp pattern {pattern!r}: expected `server.tool` or `tool`")
        server, dot, tool = pattern.partition(".")
        if not dot:
            return cls(None, _word_regex(pattern), _word_regex(pattern))
        if not tool:
            raise PolicyError(f"mcp pattern {pattern!r}: the tool name is missing")
        return cls(_word_regex(server), _word_regex(tool), _word_regex(pattern))

    def matches(self, action: Action) -> bool:
        tool = action.operation.partition(":")[2]
        if not tool:
            return False
        head = _MCP_HEAD.match(action.detail)
        server = head.group(1) if head and action.detail[head.end() :].startswith(tool) else ""
        if self.server is None:
            return bool(self.tool.fullmatch(tool))
        if server and self.server.fullmatch(server) and self.tool.fullmatch(tool):
            return True
        return bool(self.whole.fullmatch(tool))  # a tool named `server.tool` itself


def _quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def apply_rules(rules: RuleSet, actions: Sequence[Action]) -> list[tuple[Action, Rule | None]]:
    """Each action as the rules class it, with the rule that applied (or None)."""
    out: list[tuple[Action, Rule | None]] = []
    for action in actions:
        rule = rules.match(action) if rules else None
        out.append((rule.apply(action), rule) if rule is not None else (action, None))
    return out
