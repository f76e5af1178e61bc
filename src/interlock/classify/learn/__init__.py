"""Learn an API from its definition: turn an OpenAPI description, a GraphQL schema or an MCP
server's `tools/list` result into a route pack (TOML) the classifiers load.

Each operation's verb comes from the same reading Interlock applies to live calls: its
method, its name (`operationId`, mutation or tool name) and path words, the discriminating
fields of its request body (an action `type` enum, a replica count, a value that may be
null) and its documented semantics ("permanently deletes"). Declared MCP annotations only
raise. The pack records where it came from (`[origin]`), and a generated pack's verdicts
settle an `unknown` and raise, never lower what Interlock reads in the call itself.

Pure: documents in (already parsed, or SDL text), pack text out. Reading files is the
caller's (`interlock packs import`, `scripts/regenerate_packs.py`).
"""

from __future__ import annotations

from interlock.classify.learn._graphql import from_graphql
from interlock.classify.learn._mcp import from_mcp_tools
from interlock.classify.learn._openapi import from_openapi
from interlock.classify.learn._pack import Origin

__all__ = ["Origin", "from_graphql", "from_mcp_tools", "from_openapi"]
