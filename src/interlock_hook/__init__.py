"""`interlock-hook AGENT`: the hook command that project settings files name.

A project's `.claude/settings.json` (or Cursor's, Codex's, Gemini's) is committed and shared,
so the command in it cannot name this machine's clone or virtualenv. `interlock-hook` is found
on PATH wherever Interlock is installed; it runs `interlock/hooks/client.py` (stdlib only)
without importing the `interlock` package, so a hook call costs an interpreter start and the
daemon's answer, nothing more. Any failure to find the client is the host's explicit deny
(exit 2), never a silent allow.
"""

from __future__ import annotations

import importlib.util
import os
import runpy
import sys

DENY = 2  # every agent host reads exit status 2 from a hook as "block this tool call"


def client_path() -> str | None:
    """Where `interlock/hooks/client.py` is, found without importing `interlock`."""
    spec = importlib.util.find_spec("interlock")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(next(iter(spec.submodule_search_locations)), "hooks", "client.py")
    return path if os.path.isfile(path) else None


def main() -> None:
    client = client_path()
    if client is None:
        sys.stderr.write("interlock-hook: Interlock's hook client is not installed: denied\n")
        sys.exit(DENY)
    sys.argv = [client, *sys.argv[1:]]
    runpy.run_path(client, run_name="__main__")
    sys.exit(DENY)  # the client always exits itself; reaching here is a failure
