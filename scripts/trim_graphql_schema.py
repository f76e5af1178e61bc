"""Trim a GraphQL schema (SDL) to its mutations: used once to make the GitHub fixture in
the field data's `schemas/` (kept outside the repository:
tests/field_data.py) from GitHub's public schema (github.com/octokit/graphql-schema,
MIT):

    python scripts/trim_graphql_schema.py schema.graphql OUT.graphql

The `Mutation` type is kept as published (names, arguments, descriptions, directives), with
every input object, enum and scalar its arguments reach; each output type it returns is
declared as a scalar of the same name (the importer does not read what a mutation returns).
"""

from __future__ import annotations

import sys
from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLScalarType,
    build_ast_schema,
    get_named_type,
    parse,
    print_type,
)

_BUILT_IN = {"String", "Int", "Float", "Boolean", "ID"}


def main(argv: list[str]) -> int:
    source, out = argv
    # real schemas are not always valid SDL (GitHub's repeats fields): read, do not validate
    schema = build_ast_schema(
        parse(Path(source).read_text(encoding="utf-8")), assume_valid_sdl=True
    )
    mutation = schema.mutation_type
    if mutation is None:
        raise SystemExit(f"{source}: the schema has no Mutation type")
    inputs: dict[str, object] = {}
    outputs: set[str] = set()
    pending = [get_named_type(a.type) for f in mutation.fields.values() for a in f.args.values()]
    for field in mutation.fields.values():
        outputs.add(get_named_type(field.type).name)
    while pending:
        named = pending.pop()
        if named.name in inputs or named.name in _BUILT_IN:
            continue
        inputs[named.name] = named
        if isinstance(named, GraphQLInputObjectType):
            pending.extend(get_named_type(f.type) for f in named.fields.values())
    parts = [print_type(mutation)]
    for name in sorted(inputs):
        named = inputs[name]
        if isinstance(named, GraphQLInputObjectType | GraphQLEnumType | GraphQLScalarType):
            parts.append(print_type(named))
    parts.extend(f"scalar {name}" for name in sorted(outputs - set(inputs) - _BUILT_IN))
    Path(out).write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
