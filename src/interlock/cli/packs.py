"""`interlock packs`: see the route packs in force, and learn new APIs from their schemas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.markup import escape

from interlock.classify.http import configure, parse_pack
from interlock.classify.learn import Origin, from_graphql, from_mcp_tools, from_openapi
from interlock.cli._common import JsonOption, fail, fail_from, out, print_json
from interlock.errors import InterlockError

app = typer.Typer(
    help="Route packs: what an API's routes, GraphQL mutations and MCP tools do.",
    no_args_is_help=True,
)
import_app = typer.Typer(
    help="Turn an API's definition into a route pack (TOML) Interlock loads. Each operation's "
    "verb comes from its method, name, path words, request body (action `type` enums, replica "
    "counts, values that may be null) and documentation; declared MCP annotations only raise. "
    "Put the pack in a directory named by INTERLOCK_ROUTE_PACKS.",
    no_args_is_help=True,
)
app.add_typer(import_app, name="import")

NameOption = Annotated[
    str, typer.Option("--name", help="The pack's name (letters, digits, '-', '_').")
]
OutOption = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write the pack here instead of printing it."),
]
SourceOption = Annotated[
    str | None,
    typer.Option("--source", help="Where the definition came from (default: the file name)."),
]
VersionOption = Annotated[
    str | None, typer.Option("--version", help="The definition's version, recorded in the pack.")
]
LicenceOption = Annotated[
    str, typer.Option("--licence", help="The definition's licence, recorded in the pack.")
]


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{path}: cannot read it ({exc.__class__.__name__})")


def _emit(text: str, output: Path | None) -> None:
    try:
        parse_pack(text, str(output or "generated pack"))
    except InterlockError as exc:  # a generator bug must not hand out a broken pack
        fail_from(exc)
    if output is None:
        typer.echo(text, nl=False)
        return
    try:  # `-o packs/corp.toml` in a fresh directory: the packs directory is made too
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"{output}: cannot write it ({exc.__class__.__name__})")
    out.print(f"wrote {escape(str(output))}")


@import_app.command("openapi")
def import_openapi(
    file: Annotated[Path, typer.Argument(help="An OpenAPI 3.x or Swagger 2.0 file, JSON or YAML.")],
    name: NameOption,
    host: Annotated[
        list[str] | None,
        typer.Option("--host", help="API host (repeatable); default: the description's servers."),
    ] = None,
    source: SourceOption = None,
    version: VersionOption = None,
    licence: LicenceOption = "",
    output: OutOption = None,
) -> None:
    """Learn a REST API from its OpenAPI description: one rule per operation."""
    text = _read(file)
    try:
        document: Any = yaml.safe_load(text)  # YAML is a superset of JSON
    except yaml.YAMLError as exc:
        fail(f"{file}: not JSON or YAML ({str(exc).splitlines()[0]})")
    if not isinstance(document, dict):
        fail(f"{file}: not an OpenAPI description (no top-level object)")
    info = document.get("info")
    info = info if isinstance(info, dict) else {}
    origin = Origin(name, source or file.name, version or str(info.get("version", "")), licence)
    try:
        _emit(from_openapi(document, origin, tuple(host or ())), output)
    except InterlockError as exc:
        fail_from(exc)


@import_app.command("graphql")
def import_graphql(
    schema: Annotated[Path, typer.Argument(help="The schema in SDL (schema.graphql).")],
    name: NameOption,
    host: Annotated[list[str], typer.Option("--host", help="API host (repeatable).")],
    path: Annotated[
        list[str] | None, typer.Option("--path", help="GraphQL endpoint path (default /graphql).")
    ] = None,
    source: SourceOption = None,
    version: VersionOption = None,
    licence: LicenceOption = "",
    output: OutOption = None,
) -> None:
    """Learn a GraphQL API from its schema: a verdict per mutation."""
    origin = Origin(name, source or schema.name, version or "", licence)
    try:
        pack = from_graphql(_read(schema), origin, tuple(host), tuple(path or ("/graphql",)))
    except InterlockError as exc:
        fail_from(exc)
    _emit(pack, output)


@import_app.command("mcp")
def import_mcp(
    tools: Annotated[Path, typer.Argument(help='A tools/list result as JSON ({"tools": [...]}).')],
    name: NameOption,
    server: Annotated[
        list[str],
        typer.Option("--server", help="The server's name as agents call it (glob, repeatable)."),
    ],
    source: SourceOption = None,
    version: VersionOption = None,
    licence: LicenceOption = "",
    output: OutOption = None,
) -> None:
    """Learn an MCP server's tools from its tools/list: a verdict per tool."""
    try:
        result = json.loads(_read(tools))
    except ValueError as exc:
        fail(f"{tools}: not JSON ({exc})")
    origin = Origin(name, source or tools.name, version or "", licence)
    try:
        pack = from_mcp_tools(result, origin, tuple(server))
    except InterlockError as exc:
        fail_from(exc)
    _emit(pack, output)


@app.command("list")
def list_packs(as_json: JsonOption = False) -> None:
    """List the route packs in force (INTERLOCK_ROUTE_PACKS first, then the shipped ones)."""
    try:
        table = configure()
    except InterlockError as exc:
        fail_from(exc)
    rows = [
        {
            "name": pack.name,
            "file": pack.source,
            "hosts": list(pack.hosts),
            "servers": list(pack.servers),
            "rules": len(pack.rules),
            "graphql_fields": len(pack.graphql_fields),
            "mcp_tools": len(pack.mcp_tools),
            "origin": dict(pack.origin),
        }
        for pack in table.packs
    ]
    if as_json:
        print_json(rows)
        return
    for pack in table.packs:
        where = ", ".join(pack.hosts or pack.servers) or "any host"
        counts = f"{len(pack.rules)} rules"
        if pack.graphql_fields:
            counts += f", {len(pack.graphql_fields)} GraphQL fields"
        if pack.mcp_tools:
            counts += f", {len(pack.mcp_tools)} MCP tools"
        out.print(escape(f"{pack.name}: {where} ({counts})"), soft_wrap=True)
        if "source" in pack.origin:
            out.print(escape(f"  generated from {pack.origin['source']}"), soft_wrap=True)
