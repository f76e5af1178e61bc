"""Regenerate the route packs Interlock ships from the providers' public definitions.

The definitions are other projects' material and are kept outside the repository, in the
field data's `schemas/` folder (`.field-data/schemas/` at the top of the checkout, or
`$INTERLOCK_FIELD_DATA/schemas/`; its README gives each file's source, version and licence).

    .venv/bin/python scripts/regenerate_packs.py          # rewrite the generated packs
    .venv/bin/python scripts/regenerate_packs.py --check  # exit 1 if any would change

The same code as `interlock packs import` makes them, so a shipped pack is exactly what a
user importing the same definition gets. A test runs `--check`.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from interlock.classify.learn import Origin, from_graphql, from_mcp_tools, from_openapi

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(os.environ.get("INTERLOCK_FIELD_DATA") or ROOT / ".field-data") / "schemas"
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


def _mcp(
    fixture: str, pack: str, source: str, version: str, licence: str, *servers: str
) -> Generated:
    name = fixture.removesuffix(".tools.json")
    return Generated("mcp", fixture, pack, Origin(name, source, version, licence), servers=servers)


GENERATED += (
    _mcp(
        "mcp-github.tools.json",
        "mcp_github.toml",
        "github.com/github/github-mcp-server@64a49f34d076b6f5917dae1424521d43c7bcae84 pkg/github",
        "2026-08-20",
        "MIT",
        "github",
        "github-mcp-server",
        "*github*",
    ),
    _mcp(
        "mcp-kubernetes.tools.json",
        "mcp_kubernetes.toml",
        "github.com/containers/kubernetes-mcp-server@55749981693f71c9f9a573bfab229eccd4f124ea "
        "pkg/toolsets",
        "2026-08-21",
        "Apache-2.0",
        "kubernetes",
        "kubernetes-mcp-server",
        "*kubernetes*",
        "k8s",
        "*k8s*",
    ),
    _mcp(
        "mcp-kubernetes-flux159.tools.json",
        "mcp_kubernetes_flux159.toml",
        "github.com/Flux159/mcp-server-kubernetes@1ece64e6a9a52b62c9d1ac39e38331a357f89666 "
        "src/tools",
        "2026-08-08",
        "MIT",
        "mcp-server-kubernetes",
        "kubernetes",
        "*kubernetes*",
        "k8s",
        "*k8s*",
    ),
    _mcp(
        "mcp-cloudflare.tools.json",
        "mcp_cloudflare.toml",
        "github.com/cloudflare/mcp-server-cloudflare@70ff690553722f731849ede6ba9ce98958395a23 "
        "apps/*/src/tools",
        "2026-07-30",
        "Apache-2.0",
        "cloudflare",
        "*cloudflare*",
    ),
    _mcp(
        "mcp-neon.tools.json",
        "mcp_neon.toml",
        "github.com/neondatabase/mcp-server-neon@94928121944167d82d9b2b865bcdc5469631557d "
        "mcp/tools/definitions.ts",
        "2026-08-03",
        "MIT",
        "neon",
        "*neon*",
    ),
    _mcp(
        "mcp-stripe.tools.json",
        "mcp_stripe.toml",
        "github.com/stripe/agent-toolkit@57599ddf4e666528da7cc1abbfc1a96ea02610f7 "
        "tools/typescript/src/shared",
        "2025-12-19",
        "MIT",
        "stripe",
        "*stripe*",
    ),
    _mcp(
        "mcp-aws.tools.json",
        "mcp_aws.toml",
        "github.com/awslabs/mcp@100b55b6d92f731bc8d23486ce9efd5bbf90c606 "
        "src/{iam,ccapi,ecs,aws-api,memcached,postgres,aws-support}-mcp-server",
        "2026-08-21",
        "Apache-2.0",
        "awslabs.*",
        "awslabs-*",
        "*aws*",
    ),
    _mcp(
        "mcp-mongodb.tools.json",
        "mcp_mongodb.toml",
        "github.com/mongodb-js/mongodb-mcp-server@36a405e33817577f0c5a34d6d9479c0285fac5e4 "
        "packages/tools-*/src/tools",
        "2026-08-21",
        "Apache-2.0",
        "mongodb",
        "*mongodb*",
        "*mongo*",
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
