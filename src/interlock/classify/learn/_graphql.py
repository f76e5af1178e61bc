"""A GraphQL schema (SDL) → a route pack with a `[graphql]` verdict per mutation.

The schema is read as a syntax tree, not validated: real published schemas are not always
valid SDL (GitHub's repeats some fields), and only names, arguments and descriptions
matter here. Each mutation is judged by its name (`deleteRepository`, `regenerate…`,
`createApiToken`) and its description; the flags that make a call destructive when set
(`force`, `replaceAll`, a replica count) are judged per call by the GraphQL classifier and
are listed in the pack as comments for a reviewer.
"""

from __future__ import annotations

from graphql.error import GraphQLError
from graphql.language import (
    FieldDefinitionNode,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InputValueDefinitionNode,
    NamedTypeNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    SchemaDefinitionNode,
    TypeNode,
    parse,
)

from interlock.classify._names import split_words
from interlock.classify._words import destructive_word
from interlock.classify.learn._judge import documented_loss, judge_command
from interlock.classify.learn._pack import Origin, render
from interlock.errors import InputError
from interlock.model import Verb

__all__ = ["from_graphql"]

GENERATOR = "interlock packs import graphql"
_FLAGS = frozenset({"force", "replace", "overwrite", "hard", "permanent", "cascade"})


def from_graphql(
    sdl: str, origin: Origin, hosts: tuple[str, ...], paths: tuple[str, ...] = ("/graphql",)
) -> str:
    """The pack for the schema `sdl`, for the GraphQL endpoint `paths` on `hosts`."""
    origin.check()
    if not hosts:
        raise InputError("a GraphQL schema names no host: give one with --host")
    try:
        document = parse(sdl, no_location=True)
    except GraphQLError as exc:
        raise InputError(f"not a GraphQL schema: {exc.message}") from None
    root = "Mutation"
    inputs: dict[str, list[InputValueDefinitionNode]] = {}
    fields: list[FieldDefinitionNode] = []
    for definition in document.definitions:
        if isinstance(definition, SchemaDefinitionNode):
            for operation in definition.operation_types:
                if operation.operation.value == "mutation":
                    root = operation.type.name.value
        elif isinstance(definition, InputObjectTypeDefinitionNode | InputObjectTypeExtensionNode):
            inputs.setdefault(definition.name.value, []).extend(definition.fields or ())
    for definition in document.definitions:
        if (
            isinstance(definition, ObjectTypeDefinitionNode | ObjectTypeExtensionNode)
            and definition.name.value == root
        ):
            fields.extend(definition.fields or ())
    if not fields:
        raise InputError(f"the schema defines no {root} type with fields: nothing to learn")
    lists: dict[str, list[str]] = {}
    notes: list[str] = []
    for field in sorted({f.name.value: f for f in fields}.values(), key=lambda f: f.name.value):
        name = field.name.value
        verb = Verb.WRITE
        judged = judge_command(split_words(name), changing=True)
        if judged is not None:
            verb = judged[0]
        description = field.description.value if field.description else ""
        if verb.severity < Verb.DESTRUCTIVE.severity and documented_loss(description):
            verb = Verb.DESTRUCTIVE
        lists.setdefault(verb.value, []).append(name)
        flags = sorted(_flags(field.arguments or (), inputs, 0, set()))
        if flags and verb is not Verb.DESTRUCTIVE:
            notes.append(f"{name}: destructive when {', '.join(flags)} is true (judged per call)")
    return render(
        origin,
        GENERATOR,
        f"{origin.name} GraphQL API (generated from its schema)",
        hosts=hosts,
        graphql_paths=paths,
        graphql=lists,
        notes=notes,
    )


def _named(node: TypeNode) -> str:
    while not isinstance(node, NamedTypeNode):
        node = node.type  # type: ignore[attr-defined]
    return node.name.value


def _flags(
    arguments: tuple[InputValueDefinitionNode, ...] | list[InputValueDefinitionNode],
    inputs: dict[str, list[InputValueDefinitionNode]],
    depth: int,
    seen: set[str],
) -> set[str]:
    """Boolean arguments (through input objects) that make a call destructive when true."""
    found: set[str] = set()
    for argument in arguments:
        type_name = _named(argument.type)
        words = split_words(argument.name.value)
        if (
            type_name == "Boolean"
            and words
            and (words[0] in _FLAGS or destructive_word(words[:1], imperative_only=True))
        ):
            found.add(argument.name.value)
        elif type_name in inputs and type_name not in seen and depth < 3:
            seen.add(type_name)
            found |= _flags(inputs[type_name], inputs, depth + 1, seen)
    return found
