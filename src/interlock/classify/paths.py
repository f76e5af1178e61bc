"""Which paths are too important to overwrite, delete or re-permission casually (shared by
the shell classifier and the code reader).

A write to a project file is ordinary work; the same write to `/etc/passwd`, a block device
or `~/.ssh/authorized_keys` can take a machine down or lock its owner out. One list serves
every command that writes to a named path (redirections, `cp`, `mv`, `tee`, `dd of=`,
`chmod`, …), so the rule is the same wherever the write comes from.
"""

# ruff: noqa: S108  (temporary directories are named here to be recognised, not used)
from __future__ import annotations

import posixpath

# A path equal to one of these, or under one of them, is a system path.
_SYSTEM_ROOTS = (
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/opt",
    "/proc",
    "/root",
    "/sbin",
    "/srv",
    "/sys",
    "/usr",
    "/var",
    "/System",
    "/Library",
    "/Applications",
    "/private",
    "/mnt",
    "/media",
    "/snap",
)
# Home directories themselves (not the projects inside them).
_HOME_ROOTS = ("/home", "/Users")
# Harmless special files under those roots.
_HARMLESS = frozenset(
    {
        "/dev/null",
        "/dev/stdout",
        "/dev/stderr",
        "/dev/stdin",
        "/dev/tty",
        "/dev/zero",
        "/dev/random",
        "/dev/urandom",
        "/dev/fd/1",
        "/dev/fd/2",
    }
)
TEMP_ROOTS = (
    "/tmp",
    "/var/tmp",
    "/private/tmp",
    "/dev/shm",
    "/var/folders",
    "/private/var/folders",
)
# Under a home directory: files whose loss or replacement hurts (keys, shell start-up,
# credentials). Other home paths (`~/project/…`) are ordinary work.
_HOME_SENSITIVE = (
    ".ssh",
    ".gnupg",
    ".aws",
    ".kube",
    ".config/gcloud",
    ".docker",
    ".bashrc",
    ".bash_profile",
    ".profile",
    ".zshrc",
    ".zprofile",
    ".netrc",
    ".pgpass",
    ".git-credentials",
    ".gitconfig",
)
_HOME_PREFIXES = ("~/", "$HOME/", "${HOME}/")
# Targets that mean "everything": deleting or re-permissioning them is never routine.
_EVERYTHING = frozenset(
    {
        "/",
        "/*",
        "/.",
        "//",
        "~",
        "~/",
        "~/*",
        "$HOME",
        "$HOME/",
        "$HOME/*",
        "${HOME}",
        "${HOME}/",
        "${HOME}/*",
        '"$HOME"',
        '"$HOME"/',
        '"$HOME"/*',
        '"${HOME}"',
        "*",
        ".*",
        "./*",
        ".",
        "./",
        "..",
        "../",
        "../*",
        "./.",
    }
)


def _normal(path: str) -> str:
    if path.startswith("/"):
        normal = posixpath.normpath(path)
        # POSIX keeps a leading `//`; we do not need to.
        return "/" + normal.lstrip("/")
    return path


def is_everything(path: str) -> bool:
    """`/`, `~`, `*`, `.`, `..` and their spellings: a target that means "all of it"."""
    if path in _EVERYTHING:
        return True
    stripped = path.rstrip("/") or "/"
    if stripped in _EVERYTHING:
        return True
    return path.startswith("/") and _normal(path) == "/"


# The subset of system roots that hold the machine's own programs and configuration (not
# application data such as /srv or /var): a tool writing a file there replaces part of the OS.
_CRITICAL_ROOTS = tuple(
    root for root in _SYSTEM_ROOTS if root not in ("/srv", "/var", "/opt", "/mnt", "/media")
)


def is_critical_path(path: str) -> bool:
    """True for the OS's own files and a user's keys and shell start-up files."""
    return is_system_path(path, roots=_CRITICAL_ROOTS)


def is_system_path(path: str, *, roots: tuple[str, ...] = _SYSTEM_ROOTS) -> bool:
    """True for a path whose change can break the machine or its owner's access."""
    if not path:
        return False
    if path.startswith("/"):
        normal = _normal(path)
        if normal in _HARMLESS or normal.startswith("/dev/fd/"):
            return False
        if any(normal == t or normal.startswith(t + "/") for t in TEMP_ROOTS):
            return False
        if normal == "/":
            return True
        for home in _HOME_ROOTS:
            if normal == home:
                return True
            if normal.startswith(home + "/"):
                parts = normal[len(home) + 1 :].split("/", 1)
                if len(parts) == 1:
                    return True  # a user's whole home directory
                inner = parts[1]
                return any(inner == s or inner.startswith(s + "/") for s in _HOME_SENSITIVE)
        return any(normal == root or normal.startswith(root + "/") for root in roots)
    for prefix in _HOME_PREFIXES:
        if path.startswith(prefix):
            rest = path[len(prefix) :]
            return any(rest == s or rest.startswith(s + "/") for s in _HOME_SENSITIVE)
    return False


def is_device(path: str) -> bool:
    """A block or character device other than the harmless ones (`/dev/null`, …)."""
    normal = _normal(path) if path.startswith("/") else path
    return normal.startswith("/dev/") and normal not in _HARMLESS and "/dev/fd/" not in normal


def is_harmless_sink(path: str) -> bool:
    """Redirecting output here destroys nothing (`/dev/null`, the terminal, stderr)."""
    return _normal(path) in _HARMLESS if path.startswith("/") else False


def runs_code_later(path: str) -> bool:
    """A file that git reads to decide what to run: a hook, or the repository configuration
    (which can name a hooks directory, an SSH command, a pager)."""
    normal = posixpath.normpath(path) if path else path
    parts = normal.split("/")
    for index in range(len(parts) - 1):
        if parts[index] == ".git" and parts[index + 1] in ("hooks", "config"):
            return True
    return False
