"""`interlock-hook AGENT`: the hook command that project settings files name.

A project's `.claude/settings.json` (or Cursor's, Codex's, Gemini's) is committed and shared,
so the command in it cannot name this machine's clone or virtualenv. `interlock-hook` is found
on PATH wherever Interlock is installed; it runs `interlock/hooks/client.py` (stdlib only)
without importing the `interlock` package, so a hook call costs an interpreter start and the
daemon's answer, nothing more. Any failure to find the client is the host's explicit deny
(exit 2), never a silent allow.

This is what pip installs as the console script, and it pays for a Python start with `site`
(every `.pth`): `interlock hooks install` rewrites the file into this machine's faster
launcher (`interlock/hooks/_launcher.py`); this entry point is what runs until it does.
"""

from __future__ import annotations

import sys

DENY = 2  # every agent host reads exit status 2 from a hook as "block this tool call"


def client_path() -> str | None:
    """Where `interlock/hooks/client.py` is, found without importing `interlock` (asking the
    import system's finders directly: importlib.util and runpy would cost milliseconds)."""
    for finder in sys.meta_path:
        find = getattr(finder, "find_spec", None)
        spec = find("interlock", None) if find is not None else None
        if spec is not None and spec.submodule_search_locations:
            return str(next(iter(spec.submodule_search_locations))) + "/hooks/client.py"
    return None


def main() -> None:
    client = client_path()
    try:
        with open(client or "", "rb") as handle:
            code = compile(handle.read(), client or "", "exec")
    except (OSError, SyntaxError, ValueError):
        sys.stderr.write("interlock-hook: Interlock's hook client is not installed: denied\n")
        sys.exit(DENY)
    sys.argv = [client or "", *sys.argv[1:]]
    exec(code, {"__name__": "__main__", "__file__": client})  # noqa: S102 - our own client
    sys.exit(DENY)  # the client always exits itself; reaching here is a failure
