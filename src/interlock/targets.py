"""Where each action acts: the target resolver (pure; the working directory's facts come in).

A coding agent's hook sees commands, not resources, so one configured environment used to
judge them all. The classifiers now say where each action acts (`Action.scope`: `local`,
or clues such as `url:postgres://…`, `context:prod-eu`, `tf-workspace:prod`,
`var:DATABASE_URL`), and this module turns those clues into a `Target`, the resource the
gate decides the action on:

- **this machine** (`local`): the action's paths place it in the workspace, the home
  directory or the system (`local:workspace`, `local:home`, `local:system`, kind `local`).
  Their environment is `production`: what they hold (uncommitted work, a user's files and
  tool state, the system) no one can restore, so destructive actions on them need a human
  whatever environment the hook is configured for. A grant's environments do not fence
  them (the machine the agent runs on is no environment of the organisation's).
- **a registered resource**, matched by host, database name or URL (its upstream), or by
  a name declared for it (`targets` of `[resources.NAME]`: kube contexts, profiles,
  projects, Terraform workspaces): that resource, with its environment. A match can make an
  action staging on a production-default hook, because a human declared it.
- **a name that says production** (`prod`, `production`, `prd`, `live` as a word of a kube
  context, profile, project, workspace, var file or host): production. A name can only make
  an action *more* guarded: the agent may write `staging.tfvars` itself.
- **anything else**, and any clue that cannot be resolved: the request's own resource (the
  configured environment; production by default, fail closed). When one clue of an action
  resolves and another does not, the action stays with the request's resource.

Variables: `var:NAME` is looked up in the project's env files (`.env`, `.env.local`); the
implicit `env-files` clue (a program that reads its environment, with no target named) only
ever tightens, from a `DATABASE_URL`-style value there that resolves to production.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol
from urllib.parse import urlsplit

from interlock.model import LOCAL_KIND, Action, Resource, Target

__all__ = [
    "LOCAL_ENVIRONMENT",
    "NO_FACTS",
    "Facts",
    "KnownTarget",
    "known_targets",
    "local_resource",
    "resolve",
]

LOCAL_ENVIRONMENT = "production"
_PRODUCTION_WORDS = frozenset({"prod", "production", "prd", "live"})
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0", "host.docker.internal"})  # noqa: S104
_NAME_KINDS = {
    "context": "kube context",
    "tf-workspace": "Terraform workspace",
    "tf-var-file": "Terraform var file",
    "profile": "cloud profile",
    "project": "cloud project",
}
_PROCESS_OPERATIONS = ("kill", "pkill", "killall", "fuser", "os.kill", "os.killpg")
_TEMP_ROOTS = ("/tmp", "/var/tmp", "/dev/shm")  # noqa: S108 (recognised, not used)


@dataclass(frozen=True, slots=True)
class KnownTarget:
    """A resource and the addresses that name it: hosts, database names, declared names."""

    resource: Resource
    hosts: frozenset[str] = frozenset()
    databases: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()


def known_targets(
    resources: Mapping[str, Resource],
    upstreams: Mapping[str, str] | None = None,
    names: Mapping[str, Iterable[str]] | None = None,
) -> tuple[KnownTarget, ...]:
    """The catalogue the resolver matches against: each resource with its upstream's host
    and database name, and the names declared for it."""
    out = []
    for name, resource in resources.items():
        hosts: set[str] = set()
        databases: set[str] = set()
        upstream = (upstreams or {}).get(name, "")
        if upstream:
            host, database = _host_and_database(upstream)
            if host:
                hosts.add(host)
            if database:
                databases.add(database)
        declared = {n.lower() for n in (names or {}).get(name, ())}
        for item in list(declared):
            kind, sep, value = item.partition(":")
            if sep and kind == "host":
                hosts.add(value)
        out.append(
            KnownTarget(resource, frozenset(hosts), frozenset(databases), frozenset(declared))
        )
    return tuple(out)


class Facts(Protocol):
    """What the resolver may ask about the place a command runs (read at the edge, bounded)."""

    @property
    def home(self) -> str: ...

    @property
    def workspace_root(self) -> str | None: ...

    def env_value(self, name: str) -> tuple[str, str] | None:
        """A variable's value in the project's env files, and the file's name."""
        ...

    def env_targets(self) -> list[tuple[str, str, str]]:
        """Every `DATABASE_URL`-style variable of the env files: (name, value, file)."""
        ...

    def kube_context(self) -> str | None: ...

    def terraform_workspace(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class _NoFacts:
    """Facts of a check without a working directory: nothing is known."""

    home: str = "~"
    workspace_root: str | None = None

    def env_value(self, name: str) -> tuple[str, str] | None:
        return None

    def env_targets(self) -> list[tuple[str, str, str]]:
        return []

    def kube_context(self) -> str | None:
        return None

    def terraform_workspace(self) -> str | None:
        return None


NO_FACTS: Facts = _NoFacts()


@dataclass(frozen=True, slots=True)
class _Found:
    target: Target
    authoritative: bool  # a registered resource (or a production name: see _combine)


WORKSPACE_PLACES = frozenset({"workspace", "scratch"})
"""The places whose environment a developer machine may configure (the home directory and the
system are always production: nothing recreates them)."""


def local_resource(place: str, workspace_environment: str = LOCAL_ENVIRONMENT) -> Resource:
    """This machine's own resource: `workspace`, `scratch`, `home` or `system`."""
    environment = workspace_environment if place in WORKSPACE_PLACES else LOCAL_ENVIRONMENT
    return Resource(f"local:{place}", environment, LOCAL_KIND, frozenset({"local"}))


def resolve(
    actions: Sequence[Action],
    default: Resource,
    catalogue: Sequence[KnownTarget] = (),
    facts: Facts = NO_FACTS,
    workspace_environment: str = LOCAL_ENVIRONMENT,
) -> tuple[Action, ...]:
    """`actions` with their `target` set from their scope; actions without a scope are left
    to the request's resource (`default`). `workspace_environment` is the environment of the
    workspace and temporary directories (`[hooks] workspace_environment`)."""
    resolver = _Resolver(default, catalogue, facts, workspace_environment)
    return tuple(
        replace(a, target=resolver.action(a)) if a.scope and a.target is None else a
        for a in actions
    )


class _Resolver:
    def __init__(
        self,
        default: Resource,
        catalogue: Sequence[KnownTarget],
        facts: Facts,
        workspace_environment: str = LOCAL_ENVIRONMENT,
    ):
        self.default = default
        self.catalogue = catalogue
        self.facts = facts
        self.workspace_environment = workspace_environment

    def action(self, action: Action) -> Target:
        if action.scope[0] == "local":
            return self._local(action)
        found: list[_Found] = []
        unresolved: list[str] = []
        for clue in action.scope:
            kind, _, value = clue.partition(":")
            if kind == "env-files":
                found.extend(self._env_files())
                continue
            answer = self._clue(kind, value)
            if answer is None:
                unresolved.append(_describe(kind, value))
            else:
                found.append(answer)
        return self._combine(found, unresolved)

    def _combine(self, found: list[_Found], unresolved: list[str]) -> Target:
        for item in found:
            if item.target.resource.environment == "production":
                return item.target
        if found and not unresolved and all(f.authoritative for f in found):
            return found[0].target
        env = self.default.environment
        if unresolved:
            why = (
                f"{unresolved[0]} matches no registered resource; the configured "
                f"environment ({env}) applies"
            )
        else:
            why = f"no target is named; the configured environment ({env}) applies"
        return Target(self.default, why)

    # -- clues

    def _clue(self, kind: str, value: str) -> _Found | None:
        if kind in ("url", "host", "db"):
            return self._address(kind, value)
        if kind == "var":
            return self._variable(value)
        if kind == "kube-current-context":
            context = self.facts.kube_context()
            return None if context is None else self._name("context", context, "current ")
        if kind == "terraform-current-workspace":
            workspace = self.facts.terraform_workspace()
            if workspace is None or workspace == "default":
                return None
            return self._name("tf-workspace", workspace, "selected ")
        if kind in _NAME_KINDS:
            return self._name(kind, value)
        return None

    def _address(self, kind: str, value: str) -> _Found | None:
        if kind == "url":
            host, database = _host_and_database(value)
        elif kind == "host":
            host, database = value.lower(), ""
        else:
            host, database = "", value
        label = _describe(kind, value)
        for known in self.catalogue:
            if (host and host in known.hosts) or (
                not host and database and database in known.databases
            ):
                return self._registered(known, label)
        if host and host not in _LOOPBACK and _says_production(host):
            return self._production(f"{label} is named as production")
        return None

    def _variable(self, name: str) -> _Found | None:
        found = self.facts.env_value(name)
        if found is None:
            return None
        value, source = found
        host, database = _host_and_database(value) if "://" in value else ("", "")
        if not host:
            return None
        answer = self._address("url", value)
        if answer is None:
            return None
        why = f"{name} in {source} points to {host}{'/' + database if database else ''}: "
        return replace(answer, target=Target(answer.target.resource, why + answer.target.why))

    def _env_files(self) -> list[_Found]:
        out = []
        for name, value, source in self.facts.env_targets():
            answer = self._address("url", value) if "://" in value else None
            if answer is not None and answer.target.resource.environment == "production":
                why = f"the program reads {name} from {source}: {answer.target.why}"
                out.append(_Found(Target(answer.target.resource, why), True))
        return out

    def _name(self, kind: str, value: str, qualifier: str = "") -> _Found | None:
        lowered = value.lower()
        what = f"the {qualifier}{_NAME_KINDS.get(kind, kind)} {value}"
        for known in self.catalogue:
            if f"{kind}:{lowered}" in known.names or lowered in known.names:
                return self._registered(known, what)
        for known in self.catalogue:
            if known.resource.name.lower() == lowered:
                return self._registered(known, what)
        if _says_production(posixpath.basename(value)) or _says_production(value):
            return self._production(f"{what} is named as production")
        return None

    def _registered(self, known: KnownTarget, what: str) -> _Found:
        resource = known.resource
        why = f"{what} is the registered resource {resource.name} ({resource.environment})"
        return _Found(Target(resource, why), True)

    def _production(self, why: str) -> _Found:
        resource = Resource("unregistered-production-target", "production")
        return _Found(Target(resource, why), True)

    # -- this machine

    def _local(self, action: Action) -> Target:
        cwd = next((c[4:] for c in action.scope if c.startswith("cwd:")), None)
        program = action.operation.partition(":")[2].split(" ", 1)[0]
        if program in _PROCESS_OPERATIONS:
            return Target(local_resource("system"), f"{program} acts on this machine's processes")
        worst, shown = "workspace", ""
        for raw in action.targets:
            place = self._place(raw, cwd)
            if not shown or _LOCAL_ORDER[place] > _LOCAL_ORDER[worst]:
                worst, shown = place, raw
        what = {
            "workspace": "the workspace",
            "scratch": "a temporary directory",
            "home": "the home directory",
            "system": "the system (outside the workspace and the home directory)",
        }[worst]
        where = f"{shown} is in {what}" if shown else f"it acts in {what}"
        resource = local_resource(worst, self.workspace_environment)
        return Target(resource, f"{program} acts on this machine: {where}")

    def _place(self, raw: str, cwd: str | None) -> str:
        home = self.facts.home.rstrip("/") or "/"
        path = raw
        for prefix in ("~", "$HOME", "${HOME}"):
            if path == prefix or path.startswith(prefix + "/"):
                if not home.startswith("/"):
                    return "home"  # where the home is was not given: it is the home still
                path = home + path[len(prefix) :]
                break
        if "$" in path or "`" in path:
            return "system"  # a path known only at run time could be anything
        if not path.startswith("/"):
            if cwd is None:
                return "workspace"
            path = posixpath.join(cwd, path)
        path = posixpath.normpath(path)
        root = self.facts.workspace_root
        if root and _under(path, root) and path != "/":
            return "workspace"
        if home.startswith("/") and _under(path, home):
            return "workspace" if cwd and _under(path, cwd) and cwd != home else "home"
        if any(_under(path, t) for t in _TEMP_ROOTS):
            return "scratch" if path not in _TEMP_ROOTS else "system"
        return "system"


_LOCAL_ORDER = {"workspace": 0, "scratch": 1, "home": 2, "system": 3}


def _under(path: str, directory: str) -> bool:
    directory = directory.rstrip("/") or "/"
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def _says_production(name: str) -> bool:
    return bool(_PRODUCTION_WORDS & set(re.split(r"[^a-z0-9]+", name.lower())))


def _host_and_database(url: str) -> tuple[str, str]:
    """The host and the database (first path segment) of a URL; never its credentials."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return "", ""
    database = parts.path.lstrip("/").split("/", 1)[0]
    if parts.scheme in ("http", "https"):
        database = ""
    return host, database


def _describe(kind: str, value: str) -> str:
    if kind == "url":
        host, database = _host_and_database(value)
        value = f"{host}/{database}" if database else host
        return f"the address {value}"
    if kind == "host":
        return f"the host {value}"
    if kind == "db":
        return f"the database {value}"
    if kind == "var":
        return f"the variable {value}"
    if kind == "kube-current-context":
        return "the current kube context"
    if kind == "terraform-current-workspace":
        return "the selected Terraform workspace"
    return f"the {_NAME_KINDS.get(kind, kind)} {value}"
