"""This machine's fast `interlock-hook`: a small shell script holding the absolute paths.

A project's committed settings run `interlock-hook AGENT`, found on PATH. The console script
pip generates for it starts Python with `site` (every `.pth` in site-packages, the editable
install's finder, setuptools' distutils shim): about 30 ms more per tool call than the
`<python> -I -S <client.py>` form. `interlock hooks install` therefore rewrites the
`interlock-hook` of this installation (in its scripts directory, where pip put the console
script, so whatever PATH already finds) as

    #!/bin/sh
    "<python>" -I -S "<…/interlock/hooks/client.py>" "$@" && exit 0
    exit 2

The machine's paths live in that file, which is never committed; the settings stay portable.
The shell waits instead of `exec`-ing so that every way the client can fail (interpreter
gone after an upgrade, client missing, a crash, a signal) ends as exit 2, the host's deny.
A file that is neither pip's console script nor a launcher written here is left alone.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path

from interlock.hooks._install import CLIENT, LAUNCHER

MARKER = "# interlock-hook: this machine's launcher"
PIP_SCRIPT = "from interlock_hook import main"  # pip's console script for the entry point


@dataclass(frozen=True, slots=True)
class LauncherResult:
    path: Path
    state: str  # "written", "up to date", "not interlock's", "not installed", "not writable"

    @property
    def fast(self) -> bool:
        return self.state in ("written", "up to date")


def launcher_text(python: str | None = None, client: Path | None = None) -> str:
    """The launcher's whole text for this interpreter and client."""
    interpreter = shlex.quote(python or sys.executable)
    script = shlex.quote(str(client or CLIENT))
    return (
        "#!/bin/sh\n"
        f"{MARKER}, written by `interlock hooks install`\n"
        "# (refreshed by each install; pip's console script of the same name is the slow\n"
        "# fallback). Any failure, including a missing interpreter or client, is exit 2: deny.\n"
        f'{interpreter} -I -S {script} "$@" && exit 0\n'
        "exit 2\n"
    )


def launcher_path(directory: Path | None = None) -> Path:
    """This installation's `interlock-hook`: where pip installed its console script (the
    interpreter's scripts directory, a virtualenv's bin; else the user scheme's, as
    `pip install --user` does)."""
    if directory is not None:
        return directory / LAUNCHER
    candidates = [Path(sysconfig.get_path("scripts")) / LAUNCHER]
    with contextlib.suppress(KeyError):
        user = sysconfig.get_path("scripts", f"{os.name}_user")
        candidates.append(Path(user) / LAUNCHER)
    return next((path for path in candidates if os.path.lexists(path)), candidates[0])


def refresh_launcher(
    directory: Path | None = None, python: str | None = None, client: Path | None = None
) -> LauncherResult:
    """Write the fast launcher over this installation's `interlock-hook` (through a symlink,
    as pipx links it into ~/.local/bin), atomically; leave any other file of that name."""
    path = launcher_path(directory)
    target = path.resolve() if path.is_symlink() else path
    try:
        current = target.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return LauncherResult(path, "not installed")
    except OSError:
        return LauncherResult(path, "not writable")
    wanted = launcher_text(python, client)
    if current == wanted:
        return LauncherResult(path, "up to date")
    if MARKER not in current and PIP_SCRIPT not in current:
        return LauncherResult(path, "not interlock's")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{LAUNCHER}-", dir=target.parent)
    except OSError:
        return LauncherResult(path, "not writable")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(wanted)
        os.chmod(temporary, 0o755)  # noqa: S103 - a command on PATH, as pip writes it
        os.replace(temporary, target)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        return LauncherResult(path, "not writable")
    return LauncherResult(path, "written")
