"""From a command line to the simple commands it runs, using tree-sitter-bash.

The shell runs simple commands (a name and its arguments) wherever they sit: in pipelines,
lists, subshells, command and process substitutions, function bodies, loops, conditions,
heredoc bodies. The extractor walks the whole syntax tree and returns every one of them in
source order, each with its resolved words, its redirections and where its standard input
comes from (a heredoc, a here-string, a file, or the previous stage of a pipeline), because
carriers such as `psql` or `sh` run whatever arrives on standard input.

Nothing here decides risk; it only says what would run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import tree_sitter
import tree_sitter_bash
from tree_sitter import Node

from interlock.classify.shell._words import Word, literal, node_text, parser_input, resolve

MAX_COMMANDS = 256

_PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))

_REDIRECT_TYPES = frozenset({"file_redirect", "heredoc_redirect", "herestring_redirect"})
_SUBSTITUTIONS = frozenset({"command_substitution", "process_substitution"})


@dataclass(frozen=True, slots=True)
class Redirect:
    """One redirection: `op` is the operator (`>`, `>>`, `&>`, `<`, `>&`, …)."""

    op: str
    fd: str | None
    target: Word | None


@dataclass(frozen=True, slots=True)
class Stdin:
    """Where a command's standard input comes from.

    `kind` is `heredoc`, `herestring`, `file` or `pipe`. `text` is the input when it is
    fixed in the command line (a quoted heredoc, a static here-string); for a pipe,
    `producer` is the previous stage when that stage is a simple command (None when it is
    a compound statement, whose output nobody can predict).
    """

    kind: str
    text: str | None = None
    producer: Command | None = None
    source: str = ""


@dataclass(slots=True)
class Command:
    """One simple command as the shell would run it."""

    words: list[Word]
    assignments: list[tuple[str, Word]] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)
    stdin: Stdin | None = None
    text: str = ""


@dataclass(slots=True)
class Script:
    """Everything a command line would run, plus what made the analysis incomplete."""

    commands: list[Command]
    functions: frozenset[str]
    has_error: bool
    truncated: bool


def parse(source: str) -> Script:
    """Parse `source` once and extract every simple command it contains."""
    tree = _PARSER.parse(parser_input(source))
    root = tree.root_node
    extractor = _Extractor()
    extractor.statement(root, None)
    return Script(
        commands=extractor.commands,
        functions=frozenset(extractor.functions),
        has_error=root.has_error or extractor.has_error,
        truncated=extractor.truncated,
    )


def _text(node: Node) -> str:
    return node_text(node)


class _Extractor:
    """Walks statements in source order, collecting `Command`s."""

    def __init__(self) -> None:
        self.commands: list[Command] = []
        self.functions: set[str] = set()
        self.truncated = False
        self.has_error = False

    def _add(self, command: Command) -> bool:
        if len(self.commands) >= MAX_COMMANDS:
            self.truncated = True
            return False
        self.commands.append(command)
        return True

    def statement(self, node: Node, stdin: Stdin | None) -> Command | None:
        """Visit any node; return the Command when the node is one simple command."""
        kind = node.type
        if kind == "command":
            return self._command(node, [], stdin, node)
        if kind == "redirected_statement":
            return self._redirected(node, stdin)
        if kind == "pipeline":
            self._pipeline(node.named_children, stdin)
            return None
        if kind == "function_definition":
            self._function(node)
            return None
        if kind == "variable_assignment":
            self._add(Command(words=[], assignments=[_assignment(node)], text=_text(node)))
            self._substitutions(node)
            return None
        if kind in ("declaration_command", "unset_command"):
            self._declaration(node)
            return None
        if kind in _SUBSTITUTIONS:
            self._substitution(node)
            return None
        if kind in ("comment", "heredoc_start", "heredoc_end"):
            return None
        for child in node.named_children:
            self.statement(child, stdin)
        return None

    def _pipeline(self, stages: list[Node], stdin: Stdin | None) -> None:
        previous: Command | None = None
        first = True
        for stage in stages:
            if stage.type == "comment":
                continue
            stage_stdin = stdin if first else Stdin(kind="pipe", producer=previous)
            first = False
            previous = self.statement(stage, stage_stdin)

    def _function(self, node: Node) -> None:
        name = node.child_by_field_name("name")
        if name is not None:
            self.functions.add(_text(name))
        for child in node.named_children:
            if child is not name:
                self.statement(child, None)

    def _redirected(self, node: Node, stdin: Stdin | None) -> Command | None:
        body = node.child_by_field_name("body")
        redirects: list[Redirect] = []
        continuation: list[Node] = []
        extra: list[Word] = []
        for index, child in enumerate(node.children):
            if node.field_name_for_child(index) == "redirect" or child.type in _REDIRECT_TYPES:
                stdin = self._redirect(child, redirects, continuation, extra) or stdin
        command: Command | None = None
        if body is not None and body.type == "command":
            command = self._command(body, redirects, stdin, node, extra)
        else:
            if extra:
                # `{ ls; } >f rm -rf x` is not valid bash; what follows is not run as words.
                self.has_error = True
            if body is not None:
                self.statement(body, stdin)
            # Redirections of a compound statement, or alone (`> file` truncates a file).
            self._add(Command(words=[], redirects=redirects, text=_text(node)))
        self._continue_after_heredoc(continuation, command)
        return command

    def _continue_after_heredoc(self, nodes: list[Node], command: Command | None) -> None:
        """tree-sitter nests what follows `<<EOF` on its line inside the heredoc node."""
        for extra in nodes:
            if extra.type == "pipeline":
                self._pipeline(extra.named_children, Stdin(kind="pipe", producer=command))
            else:
                self.statement(extra, None)

    def _redirect(
        self,
        node: Node,
        redirects: list[Redirect],
        continuation: list[Node],
        extra: list[Word],
    ) -> Stdin | None:
        """Record one redirection; return the standard input it supplies, if any.

        tree-sitter-bash attaches the words that follow a redirection (`git >/dev/null reset
        --hard`) to the redirect node as further destinations; bash passes them to the
        command as arguments, so they go to `extra`.
        """
        kind = node.type
        stdin: Stdin | None = None
        if kind == "file_redirect":
            op = ""
            fd: str | None = None
            target: Word | None = None
            for child in node.children:
                if child.type == "file_descriptor":
                    fd = _text(child)
                elif not child.is_named:
                    op = child.type
                elif target is None:
                    target = resolve(child)
                elif child.type != "comment":
                    extra.append(resolve(child))
            redirects.append(Redirect(op=op, fd=fd, target=target))
            if op in ("<", "<>") and target is not None:
                stdin = Stdin(kind="file", source=target.shown)
            self._substitutions(node)
        elif kind == "herestring_redirect":
            word_nodes = node.named_children
            word = resolve(word_nodes[-1]) if word_nodes else literal("")
            text = None if word.value is None else word.value + "\n"
            stdin = Stdin(kind="herestring", text=text, source=word.text)
            self._substitutions(node)
        elif kind == "heredoc_redirect":
            stdin = self._heredoc(node, redirects, continuation, extra)
        return stdin

    def _heredoc(
        self, node: Node, redirects: list[Redirect], continuation: list[Node], extra: list[Word]
    ) -> Stdin:
        strip_tabs = False
        quoted = False
        body_text = ""
        dynamic = False
        for child in node.children:
            kind = child.type
            if kind == "<<-":
                strip_tabs = True
            elif kind == "heredoc_start":
                start = _text(child)
                quoted = any(q in start for q in "'\"\\")
            elif kind == "heredoc_body":
                body_text = _text(child)
                dynamic = any(c.type != "heredoc_content" for c in child.named_children)
                if not quoted:
                    self._substitutions(child)
            elif kind in _REDIRECT_TYPES:
                self._redirect(child, redirects, continuation, extra)
            elif child.is_named and kind != "heredoc_end":
                continuation.append(child)
        if strip_tabs:
            body_text = "\n".join(line.lstrip("\t") for line in body_text.split("\n"))
        static = quoted or not dynamic
        return Stdin(kind="heredoc", text=body_text if static else None, source=body_text[:80])

    def _command(
        self,
        node: Node,
        redirects: list[Redirect],
        stdin: Stdin | None,
        whole: Node,
        trailing: list[Word] | None = None,
    ) -> Command | None:
        words: list[Word] = []
        assignments: list[tuple[str, Word]] = []
        redirects = list(redirects)
        continuation: list[Node] = []
        extra: list[Word] = []
        for child in node.children:
            kind = child.type
            if kind == "variable_assignment":
                assignments.append(_assignment(child))
            elif kind in _REDIRECT_TYPES:
                stdin = self._redirect(child, redirects, continuation, extra) or stdin
            elif child.is_named and kind != "comment":
                words.extend(extra)
                extra.clear()
                words.append(resolve(child))
        words.extend(extra)
        words.extend(trailing or ())
        command = Command(
            words=words,
            assignments=assignments,
            redirects=redirects,
            stdin=stdin,
            text=_text(whole),
        )
        added = self._add(command)
        for child in node.named_children:
            if child.type in _SUBSTITUTIONS:
                self._substitution(child)
            elif child.type not in _REDIRECT_TYPES:
                self._substitutions(child)
        self._continue_after_heredoc(continuation, command)
        return command if added else None

    def _declaration(self, node: Node) -> None:
        """`export`/`local`/`declare`/`readonly`/`typeset`/`unset`: shell state only."""
        keyword = node.children[0].type if node.children else "declare"
        words = [literal(keyword)]
        assignments: list[tuple[str, Word]] = []
        for child in node.named_children:
            if child.type == "variable_assignment":
                assignments.append(_assignment(child))
            else:
                words.append(resolve(child))
        self._add(Command(words=words, assignments=assignments, text=_text(node)))
        self._substitutions(node)

    def _substitutions(self, node: Node) -> None:
        """Visit the command and process substitutions nested anywhere inside `node`."""
        for child in node.named_children:
            if child.type in _SUBSTITUTIONS:
                self._substitution(child)
            elif child.named_child_count:
                self._substitutions(child)

    def _substitution(self, node: Node) -> None:
        # `>(cmd)` feeds cmd with output nobody can predict; `$(cmd)` and `<(cmd)` read
        # the terminal's standard input, which we treat as absent.
        opener = node.children[0].type if node.children else ""
        stdin = Stdin(kind="pipe", producer=None) if opener == ">(" else None
        for child in node.named_children:
            self.statement(child, stdin)


def _assignment(node: Node) -> tuple[str, Word]:
    name_node = node.child_by_field_name("name")
    value_node = node.child_by_field_name("value")
    name = _text(name_node) if name_node is not None else ""
    value = resolve(value_node) if value_node is not None else literal("")
    return name, value
