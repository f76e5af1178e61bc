"""Parse a GraphQL document once and reduce it to what the classifier needs.

A server executes one operation of a document, and of that operation only the root fields
that survive fragment expansion and `@skip`/`@include`. This module walks the real AST
(graphql-core's parser, bounded by `max_tokens`) into a small immutable summary per
operation: its type, its root fields (real names, not aliases, with their argument nodes)
and the destructive-sounding commands nested under a mutation's root field (namespaced
mutations such as `mutation { volume { delete(id: 1) } }`).

The summary depends only on the document text, so it is cached by text in a bounded LRU;
what depends on the request (which operation, variable values) is applied per call by
`interlock.classify.graphql`.

Conservative choices, because a field that might run must count:
- `@skip(if: true)` and `@include(if: false)` written as literals remove a field; a
  condition on a variable never does (a server and this classifier could read the
  variables differently, e.g. duplicate JSON keys).
- Fragment type conditions are ignored: a fragment on another type is invalid at the root
  and would be rejected, but counting it costs nothing.
- A spread of a fragment that is not defined makes the operation unanalysable (`problem`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType

from graphql.error import GraphQLError
from graphql.language import (
    ArgumentNode,
    BooleanValueNode,
    DirectiveNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    parse,
)

from interlock.classify._words import destructive_word, split_words

__all__ = ["MAX_TOKENS", "Document", "Operation", "RootField", "analyse"]

MAX_TOKENS = 20_000
"""Documents with more lexical tokens than this are not parsed (hostile-input bound)."""

_CACHE_SIZE = 2048
_STEP_BUDGET = 100_000  # selections visited per document before giving up (unknown)


@dataclass(frozen=True, slots=True)
class RootField:
    """One root field an operation selects (after fragments and literal @skip/@include)."""

    name: str
    alias: str | None
    arguments: tuple[ArgumentNode, ...]
    nested_commands: tuple[str, ...] = ()
    """Names of nested fields that read as destructive commands (mutations only)."""


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation definition of a document, reduced to what it executes."""

    name: str | None
    kind: str  # "query" | "mutation" | "subscription"
    fields: tuple[RootField, ...]
    defaults: Mapping[str, ValueNode] = field(default_factory=lambda: MappingProxyType({}))
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class Document:
    """A parsed document: its operations, or why it could not be parsed."""

    operations: tuple[Operation, ...] = ()
    error: str | None = None


@lru_cache(maxsize=_CACHE_SIZE)
def analyse(text: str) -> Document:
    """Parse `text` and summarise every operation in it. Never raises."""
    try:
        ast = parse(text, no_location=True, max_tokens=MAX_TOKENS)
    except GraphQLError as exc:
        return Document(error=exc.message[:200])
    except RecursionError:
        return Document(error="document nested too deeply to parse")
    fragments: dict[str, list[FragmentDefinitionNode]] = {}
    operations: list[OperationDefinitionNode] = []
    for definition in ast.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            fragments.setdefault(definition.name.value, []).append(definition)
        elif isinstance(definition, OperationDefinitionNode):
            operations.append(definition)
    if not operations:
        return Document(error="the document defines no operation")
    cycle = _fragment_cycle(fragments)
    if cycle:
        # Invalid GraphQL (servers reject it); refusing it keeps the walk linear.
        return Document(error=f"fragment {cycle!r} spreads itself through a cycle")
    walker = _Walker(fragments)
    return Document(operations=tuple(walker.operation(op) for op in operations))


def _spreads(selection_set: SelectionSetNode) -> set[str]:
    """Names of fragments spread anywhere inside `selection_set`."""
    names: set[str] = set()
    stack = [selection_set]
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                names.add(selection.name.value)
            elif isinstance(selection, InlineFragmentNode | FieldNode) and selection.selection_set:
                stack.append(selection.selection_set)
    return names


def _fragment_cycle(fragments: dict[str, list[FragmentDefinitionNode]]) -> str | None:
    """The name of a fragment on a spread cycle, or None (iterative three-colour DFS)."""
    edges = {
        name: set().union(*(_spreads(d.selection_set) for d in defs))
        for name, defs in fragments.items()
    }
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start in edges:
        if start in state:
            continue
        path: list[tuple[str, list[str]]] = [(start, sorted(edges[start]))]
        state[start] = 1
        while path:
            node, pending = path[-1]
            if not pending:
                state[node] = 2
                path.pop()
                continue
            nxt = pending.pop()
            if nxt not in edges:
                continue
            if state.get(nxt) == 1:
                return nxt
            if nxt not in state:
                state[nxt] = 1
                path.append((nxt, sorted(edges[nxt])))
    return None


def _excluded(directives: Iterable[DirectiveNode] | None) -> bool:
    """True only when a literal @skip(if: true) or @include(if: false) removes the node."""
    for directive in directives or ():
        name = directive.name.value
        if name not in ("skip", "include"):
            continue
        for argument in directive.arguments or ():
            if argument.name.value != "if" or not isinstance(argument.value, BooleanValueNode):
                continue
            if argument.value.value is (name == "skip"):
                return True
    return False


class _Walker:
    """Expands fragments for one document; memoises nested-command scans per fragment."""

    def __init__(self, fragments: dict[str, list[FragmentDefinitionNode]]) -> None:
        self._fragments = fragments
        self._fragment_commands: dict[str, tuple[str, ...]] = {}
        self._in_progress: set[str] = set()
        self._budget = _STEP_BUDGET
        self.problem: str | None = None

    def operation(self, op: OperationDefinitionNode) -> Operation:
        self.problem = None
        kind = op.operation.value
        roots: list[tuple[FieldNode, str | None]] = []
        self._collect_roots(op.selection_set, roots, set())
        fields: list[RootField] = []
        for node, alias in roots:
            commands: tuple[str, ...] = ()
            if kind == "mutation" and node.selection_set is not None:
                commands = tuple(dict.fromkeys(self._commands(node.selection_set)))
            fields.append(
                RootField(
                    name=node.name.value,
                    alias=alias,
                    arguments=tuple(node.arguments or ()),
                    nested_commands=commands,
                )
            )
        defaults = {
            d.variable.name.value: d.default_value
            for d in op.variable_definitions or ()
            if d.default_value is not None
        }
        return Operation(
            name=op.name.value if op.name else None,
            kind=kind,
            fields=tuple(fields),
            defaults=MappingProxyType(defaults),
            problem=self.problem,
        )

    def _collect_roots(
        self,
        selection_set: SelectionSetNode,
        out: list[tuple[FieldNode, str | None]],
        seen_fragments: set[str],
    ) -> None:
        """Root fields reachable from `selection_set`, each fragment expanded once."""
        for selection in selection_set.selections:
            if _excluded(selection.directives):
                continue
            if isinstance(selection, FieldNode):
                alias = selection.alias.value if selection.alias else None
                out.append((selection, alias))
            elif isinstance(selection, InlineFragmentNode):
                self._collect_roots(selection.selection_set, out, seen_fragments)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in seen_fragments:
                    continue  # cycles and repeats: a field selected twice runs once
                seen_fragments.add(name)
                definitions = self._fragments.get(name)
                if not definitions:
                    self.problem = f"fragment {name!r} is used but not defined"
                    continue
                for definition in definitions:
                    if not _excluded(definition.directives):
                        self._collect_roots(definition.selection_set, out, seen_fragments)

    def _commands(self, selection_set: SelectionSetNode) -> list[str]:
        """Nested field names that read as destructive commands, through fragments."""
        found: list[str] = []
        stack = [selection_set]
        while stack:
            current = stack.pop()
            self._budget -= len(current.selections)
            if self._budget < 0:
                self.problem = "the document is too complex to analyse"
                return found
            for selection in current.selections:
                if _excluded(selection.directives):
                    continue
                if isinstance(selection, FieldNode):
                    name = selection.name.value
                    if destructive_word(split_words(name), imperative_only=True):
                        found.append(name)
                    if selection.selection_set is not None:
                        stack.append(selection.selection_set)
                elif isinstance(selection, InlineFragmentNode):
                    stack.append(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    found.extend(self._fragment(selection.name.value))
        return found

    def _fragment(self, name: str) -> tuple[str, ...]:
        cached = self._fragment_commands.get(name)
        if cached is not None:
            return cached
        if name in self._in_progress:
            return ()  # unreachable: `analyse` refuses documents with fragment cycles
        definitions = self._fragments.get(name)
        if not definitions:
            self.problem = f"fragment {name!r} is used but not defined"
            return ()
        self._in_progress.add(name)
        found: list[str] = []
        for definition in definitions:
            found.extend(self._commands(definition.selection_set))
        self._in_progress.discard(name)
        result = tuple(dict.fromkeys(found))
        self._fragment_commands[name] = result
        return result
