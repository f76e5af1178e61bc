"""The static word resolver: what a shell word means before the shell runs.

Bash removes quotes, decodes escapes and joins adjacent pieces before it looks a command up,
so `'r''m'`, `"rm"`, `r\\m` and `$'\\x72m'` all run `rm`. Classification must see the same
word the shell will see, so every word is resolved here from the syntax tree, never from the
raw text. A word whose value depends on the run time (a variable, a command substitution, a
brace or arithmetic expansion) has no static value: `Word.value` is None and the callers
treat it as "could be anything".
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass

from tree_sitter import Node

# Node types whose value is only known when the shell runs.
_DYNAMIC_TYPES = frozenset(
    {
        "simple_expansion",
        "expansion",
        "command_substitution",
        "process_substitution",
        "arithmetic_expansion",
        "brace_expression",
        "array",
    }
)
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True, slots=True)
class Word:
    """One shell word: its static value (None when it depends on run time) and its source.

    `glob` is true when unquoted `*`, `?` or `[` make the shell expand it to file names;
    `fanout` marks the placeholder for arguments a wrapper supplies at run time (the file
    names `find -exec` or `xargs` pass), which callers may judge more severely than an
    ordinary unknown word.
    """

    value: str | None
    text: str
    glob: bool = False
    fanout: bool = False

    @property
    def static(self) -> bool:
        return self.value is not None

    @property
    def shown(self) -> str:
        """The word as a human should read it: its value, or its source when dynamic."""
        return self.value if self.value is not None else self.text


def literal(value: str) -> Word:
    """A word built from text that is already resolved (an argument split from a string)."""
    return Word(value=value, text=value)


def fanout_word(description: str) -> Word:
    """The placeholder for arguments a wrapper such as `xargs` adds at run time."""
    return Word(value=None, text=description, fanout=True)


def resolve(node: Node) -> Word:
    """Resolve a word-like node (word, string, raw_string, concatenation, …) to a `Word`."""
    parts: list[str] = []
    state = _State()
    _collect(node, parts, state)
    text = node_text(node)
    if state.dynamic:
        return Word(value=None, text=text, glob=state.glob)
    return Word(value="".join(parts), text=text, glob=state.glob)


class _State:
    __slots__ = ("dynamic", "glob")

    def __init__(self) -> None:
        self.dynamic = False
        self.glob = False


# The bytes of the command line being analysed. tree-sitter parses a copy in which
# characters outside the Basic Multilingual Plane are masked (see `parser_input`), so node
# text is read from the original bytes by offset.
_SOURCE: ContextVar[bytes] = ContextVar("shell_source", default=b"")

# One character above U+FFFF: four bytes in UTF-8, masked by four ASCII letters.
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def parser_input(source: str) -> bytes:
    """The bytes to give tree-sitter for `source`, and remember the original for `_text`.

    tree-sitter-bash 0.25 reads memory it should not on some inputs holding characters
    above U+FFFF (a hypothesis run found `t{` followed by such characters crashing the
    process with SIGSEGV, intermittently). Bash treats every non-ASCII character as a word
    character, as it does ASCII letters, so masking each one with four letters keeps the
    syntax tree and every byte offset the same while keeping them away from the scanner.
    """
    original = source.encode("utf-8", "surrogatepass")
    _SOURCE.set(original)
    if source.isascii() or not _ASTRAL.search(source):
        return original
    return _ASTRAL.sub("xxxx", source).encode("utf-8", "surrogatepass")


def node_text(node: Node) -> str:
    """The original source text of `node`."""
    raw = _SOURCE.get()[node.start_byte : node.end_byte]
    return raw.decode("utf-8", "replace")


def _collect(node: Node, parts: list[str], state: _State) -> None:
    kind = node.type
    if kind in _DYNAMIC_TYPES:
        state.dynamic = True
        return
    if kind == "raw_string":
        parts.append(node_text(node)[1:-1])
    elif kind == "ansi_c_string":
        parts.append(decode_ansi_c(node_text(node)[2:-1]))
    elif kind in ("string", "translated_string"):
        # The text between the parts tree-sitter names (the newlines of a multi-line string
        # among them) is literal too: keep it, so `python -c "…"` keeps its lines.
        source = _SOURCE.get()
        opening = node_text(node).find('"')
        position = node.start_byte + opening + 1
        for child in node.named_children:
            gap = source[position : child.start_byte].decode("utf-8", "replace")
            if gap:
                parts.append(_unescape_double(gap))
            if child.type == "string_content":
                parts.append(_unescape_double(node_text(child)))
            else:
                _collect(child, parts, state)
            position = max(position, child.end_byte)
        tail = source[position : max(position, node.end_byte - 1)].decode("utf-8", "replace")
        if tail:
            parts.append(_unescape_double(tail))
    elif kind == "concatenation":
        children = node.named_children
        if _is_brace_expansion(children):
            # `a{b,c}` is brace expansion: one source word, several shell words.
            state.dynamic = True
            return
        for child in children:
            _collect(child, parts, state)
    elif kind in ("word", "number", "command_name"):
        if kind == "command_name":
            for child in node.named_children:
                _collect(child, parts, state)
            return
        text = node_text(node)
        if any(ch in _GLOB_CHARS for ch in _unquoted_specials(text)):
            state.glob = True
        parts.append(_unescape_bare(text))
    elif kind == "string_content":
        parts.append(_unescape_double(node_text(node)))
    else:
        # Anything else (a subscript, an unfamiliar node) is not something we can vouch for.
        state.dynamic = True


def _is_brace_expansion(children: list[Node]) -> bool:
    """True for `{a,b}` / `{1..3}` pieces; `{}` (find's placeholder) stays a literal."""
    opened = False
    for child in children:
        if child.type != "word":
            continue
        text = node_text(child)
        if text == "{":
            opened = True
        elif opened and ("," in text or ".." in text):
            return True
    return False


def _unquoted_specials(text: str) -> str:
    """The characters of a bare word that are not escaped by a backslash."""
    out = []
    escaped = False
    for ch in text:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        else:
            out.append(ch)
    return "".join(out)


def _unescape_bare(text: str) -> str:
    """Backslash in a bare word quotes the next character; backslash-newline vanishes."""
    if "\\" not in text:
        return text
    out = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            if text[i + 1] != "\n":
                out.append(text[i + 1])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


_DOUBLE_ESCAPABLE = frozenset('$`"\\')


def _unescape_double(text: str) -> str:
    """Inside double quotes, backslash only escapes $ ` " \\ and newline."""
    if "\\" not in text:
        return text
    out = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "\n":
                i += 2
                continue
            if nxt in _DOUBLE_ESCAPABLE:
                out.append(nxt)
                i += 2
                continue
        out.append(ch)
        i += 1
    return "".join(out)


_SIMPLE_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "e": "\x1b",
    "E": "\x1b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "?": "?",
}
_HEX = frozenset("0123456789abcdefABCDEF")


def decode_ansi_c(body: str) -> str:
    """Decode the inside of `$'…'` the way bash does (\\xHH, \\NNN, \\uHHHH, \\cX, …)."""
    out: list[str] = []
    i = 0
    n = len(body)
    while i < n:
        ch = body[i]
        if ch != "\\" or i + 1 >= n:
            out.append(ch)
            i += 1
            continue
        esc = body[i + 1]
        i += 2
        if esc in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[esc])
        elif esc in "xuU":
            limit = {"x": 2, "u": 4, "U": 8}[esc]
            j = i
            while j < n and j - i < limit and body[j] in _HEX:
                j += 1
            if j == i:
                out.append("\\" + esc)
            else:
                out.append(_chr(int(body[i:j], 16)))
                i = j
        elif esc in "01234567":
            j = i
            while j < n and j - i < 2 and body[j] in "01234567":
                j += 1
            out.append(_chr(int(esc + body[i:j], 8) & 0xFF))
            i = j
        elif esc == "c" and i < n:
            out.append(_chr(ord(body[i]) & 0x1F))
            i += 1
        else:
            out.append("\\" + esc)
    return "".join(out)


def _chr(code: int) -> str:
    try:
        return chr(code)
    except (ValueError, OverflowError):
        return "\ufffd"
