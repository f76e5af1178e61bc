"""Running the rules over text and over a directory tree.

One pass per text: the text is lowercased once, each rule's keywords are looked up with plain
substring search, and only the rules whose keywords occur run their regular expression. A
typical source file triggers one or two rules (usually the generic `token = …` one), so the
cost stays close to a few substring searches.
"""

from __future__ import annotations

import bisect
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from interlock.errors import InputError
from interlock.secrets._model import Confidence, Finding, preview
from interlock.secrets._rules import NEAR, RULES, TEXT, VALUE, Rule

# A line carrying this marker is never reported (for documented test fixtures).
IGNORE_MARKER = "interlock:ignore-secret"
DEFAULT_MAX_FILE_BYTES = 2_000_000
SKIPPED_DIRECTORIES = frozenset(
    {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".mypy_cache",
     ".ruff_cache", ".pytest_cache", ".hypothesis", ".tox", ".nox"}
)  # fmt: skip
_SNIFF_BYTES = 8192


@dataclass(frozen=True, slots=True)
class _Candidate:
    priority: int
    start: int
    end: int
    rule: Rule
    confidence: Confidence


_LONG_WORD = 16  # every medium- or high-confidence credential is at least this long
_KEY_WORDS_BEFORE = 5  # how many words before a long word may hold the key that names it

# (keyword, lowercase?, rule index) of every VALUE and NEAR rule, flattened once.
_VALUE_KEYS = [(k, r.fold, i) for i, r in enumerate(RULES) if r.scope == VALUE for k in r.keywords]
_NEAR_KEYS = [(k, i) for i, r in enumerate(RULES) if r.scope == NEAR for k in r.keywords]


def _candidates(text: str, *, whole_text_rules: bool) -> Iterator[_Candidate]:
    """Every match that a rule's check accepts, before overlaps are resolved.

    Cheap gates first. A credential reported at medium or high confidence is a whitespace-
    delimited word of 16 characters or more (or inside one), and the key naming it is in that
    word or the few words before. So a VALUE rule runs only if one of its prefixes occurs in
    a long word, and a NEAR rule only if one of its keywords occurs in a long word or just
    before one: both haystacks are small. A rule that runs matches only where one of its
    keywords occurs (found with `str.find`), never by scanning the text with its expression.
    """
    words = text.split()
    long_at = [i for i, word in enumerate(words) if len(word) >= _LONG_WORD]
    active: set[int] = set()
    if long_at:
        values = "\n".join(words[i] for i in long_at)
        values_folded = values.lower()
        for keyword, fold, index in _VALUE_KEYS:
            if keyword in (values_folded if fold else values):
                active.add(index)
        around = " ".join(
            " ".join(words[max(0, i - _KEY_WORDS_BEFORE) : i + 1]) for i in long_at
        ).lower()
        for keyword, index in _NEAR_KEYS:
            if keyword in around:
                active.add(index)
    lowered = text.lower()
    aligned = len(lowered) == len(text)  # lowercasing kept every offset
    for priority, rule in enumerate(RULES):
        if rule.scope == TEXT:
            if not whole_text_rules or not any(k in lowered for k in rule.keywords):
                continue
        elif priority not in active:
            continue
        haystack = lowered if rule.fold else text
        if not rule.anchored or (rule.fold and not aligned):
            yield from _accepted(priority, rule, text, rule.pattern.finditer(text))
            continue
        starts = _occurrences(haystack, rule.keywords)
        if starts:
            yield from _accepted(priority, rule, text, _anchored(rule, text, starts))


def _occurrences(haystack: str, keywords: tuple[str, ...]) -> list[int]:
    found: set[int] = set()
    for keyword in keywords:
        position = haystack.find(keyword)
        while position >= 0:
            found.add(position)
            position = haystack.find(keyword, position + 1)
    return sorted(found)


def _anchored(rule: Rule, text: str, starts: list[int]) -> Iterator[re.Match[str]]:
    covered = -1
    for start in starts:
        if start < covered:
            continue
        match = rule.pattern.match(text, start)
        if match is not None:
            covered = match.end()
            yield match


def _accepted(
    priority: int, rule: Rule, text: str, matches: Iterable[re.Match[str]]
) -> Iterator[_Candidate]:
    for match in matches:
        verdict = rule.verdict(text, match)
        if verdict is None:
            continue
        start, end, confidence = verdict
        if not _ignored(text, start):
            yield _Candidate(priority, start, end, rule, confidence)


def _ignored(text: str, offset: int) -> bool:
    if IGNORE_MARKER not in text:
        return False
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    return IGNORE_MARKER in text[line_start : line_end if line_end >= 0 else len(text)]


def _select(candidates: list[_Candidate]) -> list[_Candidate]:
    """Keep the most specific rule's candidate wherever two spans overlap."""
    candidates.sort(key=lambda c: (c.priority, c.start))
    starts: list[int] = []
    kept: list[_Candidate] = []  # sorted by start, non-overlapping
    for candidate in candidates:
        index = bisect.bisect_left(starts, candidate.start)
        if index > 0 and kept[index - 1].end > candidate.start:
            continue
        if index < len(kept) and kept[index].start < candidate.end:
            continue
        starts.insert(index, candidate.start)
        kept.insert(index, candidate)
    return kept


def find_secrets(text: str, *, path: str | None = None) -> list[Finding]:
    """Every probable credential in `text`, in order of position (all confidences).

    The findings carry the location, rule and a short preview, never the value.
    """
    findings = []
    line, line_start, scanned_to = 1, 0, 0
    for candidate in _select(list(_candidates(text, whole_text_rules=True))):
        # Count lines incrementally: candidates are in order of position.
        line += text.count("\n", scanned_to, candidate.start)
        scanned_to = candidate.start
        newline = text.rfind("\n", 0, candidate.start)
        line_start = newline + 1
        value = text[candidate.start : candidate.end]
        findings.append(
            Finding(
                rule=candidate.rule.id,
                provider=candidate.rule.provider,
                confidence=candidate.confidence,
                line=line,
                column=candidate.start - line_start + 1,
                preview=preview(value),
                length=len(value),
                start=candidate.start,
                end=candidate.end,
                path=path,
            )
        )
    return findings


def contains_secret(text: str, *, min_confidence: Confidence = Confidence.MEDIUM) -> bool:
    """True as soon as one credential of at least `min_confidence` is found (the hooks' path)."""
    floor = min_confidence.rank
    return any(c.confidence.rank >= floor for c in _candidates(text, whole_text_rules=floor == 0))


def redact_secrets(text: str) -> str:
    """`text` with every found credential replaced by `[redacted:<rule>]`.

    Masking can join text into a new match (rarely, on adversarial input), so this repeats
    until nothing is found, a few times at most; anything still found after that is masked
    as a whole line.
    """
    for _ in range(4):
        findings = find_secrets(text)
        if not findings:
            return text
        parts = []
        position = 0
        for finding in findings:
            parts.append(text[position : finding.start])
            parts.append(f"[redacted:{finding.rule}]")
            position = finding.end
        parts.append(text[position:])
        text = "".join(parts)
    lines = text.split("\n")
    for finding in find_secrets(text):
        lines[finding.line - 1] = f"[redacted:{finding.rule}]"
    return "\n".join(lines)


@dataclass(slots=True)
class ScanStats:
    """What a `scan_path` walk looked at (filled in as the iterator is consumed)."""

    files_scanned: int = 0
    files_skipped: int = 0


def scan_path(
    path: str | os.PathLike[str],
    *,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    stats: ScanStats | None = None,
) -> Iterator[Finding]:
    """Findings in a file, or in every text file under a directory.

    Skips version-control, virtualenv, dependency and cache directories, binary files
    (a NUL byte in the first 8 KiB), files larger than `max_file_bytes`, and symbolic links
    (a link is never followed, so a scan cannot leave the tree). Raises `InputError` when
    `path` does not exist or cannot be read.
    """
    root = Path(path)
    counts = stats if stats is not None else ScanStats()
    try:
        mode = root.stat().st_mode
    except OSError as exc:
        raise InputError(f"{root}: {exc.strerror or 'cannot be read'}") from None
    if stat.S_ISDIR(mode):
        yield from _scan_tree(root, max_file_bytes, counts)
    elif stat.S_ISREG(mode):
        yield from _scan_file(root, max_file_bytes, counts, explicit=True)
    else:
        raise InputError(f"{root}: not a regular file or directory")


def _scan_tree(root: Path, max_file_bytes: int, counts: ScanStats) -> Iterator[Finding]:
    def on_error(exc: OSError) -> None:
        counts.files_skipped += 1

    for directory, subdirectories, files in os.walk(root, onerror=on_error):
        subdirectories[:] = sorted(d for d in subdirectories if d not in SKIPPED_DIRECTORIES)
        for name in sorted(files):
            yield from _scan_file(Path(directory, name), max_file_bytes, counts, explicit=False)


def _scan_file(
    file: Path, max_file_bytes: int, counts: ScanStats, *, explicit: bool
) -> Iterator[Finding]:
    try:
        info = file.lstat()
        if not explicit and stat.S_ISLNK(info.st_mode):
            counts.files_skipped += 1
            return
        info = file.stat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > max_file_bytes:
            counts.files_skipped += 1
            return
        with file.open("rb") as handle:
            data = handle.read(max_file_bytes + 1)
    except OSError:
        counts.files_skipped += 1
        return
    if len(data) > max_file_bytes or b"\x00" in data[:_SNIFF_BYTES]:
        counts.files_skipped += 1
        return
    counts.files_scanned += 1
    yield from find_secrets(data.decode("utf-8", errors="replace"), path=str(file))
