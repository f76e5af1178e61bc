"""The facts of a working directory the target resolver asks for (`interlock.targets`).

Read lazily, through the check's bounded `Workspace`, only when a clue needs them: the
project's env files (`.env`, `.env.local`, in the directory and at the top of its git
worktree), the kubeconfig's `current-context` (`$KUBECONFIG`'s first file, else
`~/.kube/config`), and the Terraform workspace `terraform workspace select` recorded in
`.terraform/environment`. Values never leave this object except as the resolver's input;
the resolver shows hosts and database names, never a whole value (it may hold a password).
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass, field

from interlock.classify.code._workspace import Workspace

ENV_FILES = (".env", ".env.local")
_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")
_TARGET_NAME = re.compile(r"(^|_)(URL|URI|DSN|HOST|HOSTNAME|ENDPOINT)(_|$)")


@dataclass(slots=True)
class WorkspaceFacts:
    """What the resolver may know about `workspace` (each file read at most once)."""

    workspace: Workspace
    _env: dict[str, tuple[str, str]] | None = field(default=None, repr=False)

    @property
    def home(self) -> str:
        return os.path.expanduser("~")

    @property
    def workspace_root(self) -> str | None:
        return self.workspace.git_root() or self.workspace.cwd

    def _variables(self) -> dict[str, tuple[str, str]]:
        if self._env is None:
            self._env = {}
            places = [self.workspace.cwd]
            root = self.workspace.git_root()
            if root and root not in places:
                places.append(root)
            for directory in places:
                for name in ENV_FILES:
                    path = posixpath.join(directory, name)
                    text = self.workspace.read_text(path)
                    if text is None:
                        continue
                    shown = name if directory == self.workspace.cwd else path
                    for key, value in parse_env_file(text).items():
                        self._env.setdefault(key, (value, shown))
        return self._env

    def env_value(self, name: str) -> tuple[str, str] | None:
        return self._variables().get(name)

    def env_targets(self) -> list[tuple[str, str, str]]:
        return [
            (name, value, source)
            for name, (value, source) in self._variables().items()
            if _TARGET_NAME.search(name.upper()) and "://" in value
        ]

    def kube_context(self) -> str | None:
        configured = os.environ.get("KUBECONFIG", "").split(os.pathsep)[0]
        path = configured or posixpath.join(self.home, ".kube", "config")
        text = self.workspace.read_text(path)
        if text is None:
            return None
        for line in text.splitlines():
            if line.startswith("current-context:"):
                value = line.partition(":")[2].strip().strip("'\"")
                return value or None
        return None

    def terraform_workspace(self) -> str | None:
        text = self.workspace.read_text(".terraform/environment")
        return text.strip() or None if text is not None else None


def parse_env_file(text: str) -> dict[str, str]:
    """`KEY=value` lines of a dotenv file (quotes removed, comments and others ignored)."""
    out: dict[str, str] = {}
    for line in text.splitlines()[:2000]:
        match = _LINE.match(line)
        if match is None:
            continue
        key, value = match.groups()
        if value[:1] in ("'", '"') and value.endswith(value[0]) and len(value) > 1:
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        out[key] = value
    return out


def target_facts(cwd: str) -> WorkspaceFacts:
    """The facts of the directory `cwd` (absolute), read lazily and bounded."""
    return WorkspaceFacts(Workspace.at(cwd))
