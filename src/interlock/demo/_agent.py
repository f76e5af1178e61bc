"""The scripted agent: what a coding agent does, as plain HTTP calls and file reads."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?([A-Z0-9_]*TOKEN[A-Z0-9_]*)\s*=\s*(\S+)", re.M)


def graphql(
    url: str, token: str, query: str, *, wait: float | None = None, timeout: float = 30
) -> tuple[int, dict[str, Any]]:
    """POST a GraphQL request as `curl -H "Authorization: Bearer …" -d …` would."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if wait is not None:
        headers["Prefer"] = f"wait={wait:g}"
    request = urllib.request.Request(  # noqa: S310 (loopback URLs the demo started itself)
        url, data=json.dumps({"query": query}).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def find_tokens(workspace: Path) -> list[tuple[Path, str, str]]:
    """`grep -rn TOKEN .`: every `…TOKEN…=value` assignment in the workspace's files."""
    found = []
    for path in sorted(workspace.rglob("*")):
        if path.is_file():
            for name, value in _ASSIGNMENT.findall(path.read_text(errors="replace")):
                found.append((path.relative_to(workspace), name, value))
    return found


def shown(secret: str) -> str:
    """How the demo prints a secret: its first characters only."""
    return secret[:10] + "…"
