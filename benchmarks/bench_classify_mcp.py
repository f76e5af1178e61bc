"""Cost of classifying a typical MCP tool call with no embedded language.

The call is a GitHub `get_issue` with a few arguments, classified through the module (not
the registry's cache), so the figure is the classifier's own work: name reading, the
argument walk, targets and the redacted detail.
"""

from __future__ import annotations

from benchmarks._timing import percentiles_us
from interlock.classify import mcp

PAYLOAD = {
    "tool": "get_issue",
    "server": "github",
    "arguments": {"owner": "acme", "repo": "api", "issue_number": 42, "include_comments": True},
    "annotations": {"readOnlyHint": True, "openWorldHint": True},
}


# The same call as `interlock check mcp` usually gets it: no server, no annotations, so what
# every pack knows of the tool's name is looked up.
SERVERLESS = {"tool": "get_issue", "arguments": PAYLOAD["arguments"]}


def run() -> dict[str, float]:
    result = percentiles_us(lambda: mcp.classify(PAYLOAD, 0), iterations=20000)
    bare = percentiles_us(lambda: mcp.classify(SERVERLESS, 0), iterations=20000)
    return {
        "classify_mcp_p50_us": result["p50"],
        "classify_mcp_p99_us": result["p99"],
        "classify_mcp_serverless_p50_us": bare["p50"],
    }
