"""Regenerate the route packs Interlock ships from the provider definitions kept in
`tests/fixtures/schemas/` (their provenance and licences: that folder's README.md).

    .venv/bin/python scripts/regenerate_packs.py          # rewrite the generated packs
    .venv/bin/python scripts/regenerate_packs.py --check  # exit 1 if any would change

The same code as `interlock packs import` makes them, so a shipped pack is exactly what a
user importing the same definition gets. A test runs `--check`.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from interlock.classify.learn import Origin, from_graphql, from_mcp_tools, from_openapi

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "schemas"
PACKS = ROOT / "src" / "interlock" / "classify" / "packs"
_MCP_SERVERS = "github.com/modelcontextprotocol/servers@76d64c822f5125032f89eb71dbdb94e42b434821"


@dataclass(frozen=True)
class Generated:
    kind: str  # openapi | graphql | mcp
    fixture: str
    pack: str
    origin: Origin
    hosts: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    servers: tuple[str, ...] = ()


GENERATED = (
    Generated(
        "openapi",
        "digitalocean.openapi.yaml",
        "digitalocean.toml",
        Origin(
            "digitalocean",
            "github.com/digitalocean/openapi@7c1300c479fed9c353cda9fc21cd968619552304 "
            "specification/DigitalOcean-public.v2.yaml (subset)",
            "2.0",
            "Apache-2.0",
        ),
    ),
    Generated(
        "graphql",
        "github.graphql",
        "github_graphql.toml",
        Origin(
            "github-graphql",
            "github.com/octokit/graphql-schema@82ff2d4780080e6929ebb95608cefa22dfa05ac7 "
            "schema.graphql (mutations)",
            "2026-07-22",
            "MIT",
        ),
        hosts=("api.github.com",),
        paths=("/graphql",),
    ),
    Generated(
        "mcp",
        "mcp-filesystem.tools.json",
        "mcp_filesystem.toml",
        Origin("mcp-filesystem", f"{_MCP_SERVERS} src/filesystem", "2026-07-29", "MIT"),
        servers=("filesystem", "*filesystem*"),
    ),
    Generated(
        "mcp",
        "mcp-git.tools.json",
        "mcp_git.toml",
        Origin("mcp-git", f"{_MCP_SERVERS} src/git", "2026-07-29", "MIT"),
        servers=("git", "mcp-server-git", "git-*", "*-git"),
    ),
    Generated(
        "mcp",
        "mcp-memory.tools.json",
        "mcp_memory.toml",
        Origin("mcp-memory", f"{_MCP_SERVERS} src/memory", "2026-07-29", "MIT"),
        servers=("memory", "*memory*"),
    ),
    Generated(
        "mcp",
        "mcp-supabase.tools.json",
        "mcp_supabase.toml",
        Origin(
            "mcp-supabase",
            "github.com/supabase-community/supabase-mcp@17fb90f8655ad1ce7ee320614d22eb68bb26e510 "
            "packages/mcp-server-supabase/src/tools",
            "2026-04-21",
            "Apache-2.0",
        ),
        servers=("supabase", "*supabase*"),
    ),
)


def render(item: Generated) -> str:
    text = (FIXTURES / item.fixture).read_text(encoding="utf-8")
    if item.kind == "openapi":
        return from_openapi(yaml.safe_load(text), item.origin, item.hosts)
    if item.kind == "graphql":
        return from_graphql(text, item.origin, item.hosts, item.paths)
    return from_mcp_tools(json.loads(text), item.origin, item.servers)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for item in GENERATED:
        text = render(item)
        target = PACKS / item.pack
        if check:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                stale.append(item.pack)
        else:
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target.relative_to(ROOT)}")
    if stale:
        print(f"out of date: {', '.join(stale)} (run scripts/regenerate_packs.py)")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
