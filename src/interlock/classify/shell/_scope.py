"""Where each command of a command line acts, as the command line says it (`Action.scope`).

The shell classifier reads the clues; `interlock.targets` resolves them against the
registered resources and the facts of the working directory. A command's actions get:

- the remote clues it carries: URLs (`postgres://…`, `https://…`), database hosts and names
  (`psql -h`, `-d`), kube contexts (`--context`), Terraform var files and workspaces
  (`-var-file=prod.tfvars`, `TF_WORKSPACE`, an earlier `terraform workspace select`), cloud
  profiles and projects (`--profile`, `AWS_PROFILE`, `--project`, `CLOUDSDK_CORE_PROJECT`),
  SSH hosts, and `DATABASE_URL`-style variables (their value when the command line set it,
  else `var:NAME` for the resolver to look up in the project's env files);
- `local` when the command only touches this machine (files, git's own repository, local
  processes) and carries no remote clue; with `cwd:DIR` when the directory it runs in is
  known, so relative paths can be placed;
- nothing when it says nothing (the request's resource: the configured environment).

A command that runs another command elsewhere (`ssh host CMD`, `docker exec`, `kubectl
exec`) gives its own clues to everything it runs: `rm -rf /` inside `ssh prod-db` is not
this machine's `/`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, MutableMapping

from interlock.classify.shell._parse import Command
from interlock.model import Action

LOCAL = "local"
ENV_FILES = "env-files"
KUBE_CURRENT = "kube-current-context"
TERRAFORM_CURRENT = "terraform-current-workspace"

# Programs whose actions touch only this machine: files, the repository, local processes.
_LOCAL_PROGRAMS = frozenset(
    {"rm", "rmdir", "unlink", "shred", "truncate", "cp", "mv", "ln", "install", "mkdir",
     "touch", "chmod", "chown", "chgrp", "chattr", "setfacl", "sed", "perl", "tee", "dd",
     "tar", "zip", "unzip", "gzip", "gunzip", "bzip2", "xz", "7z", "patch", "find", "kill",
     "pkill", "killall", "fuser", "redirect", "cat", "ls", "head", "tail", "less", "more",
     "grep", "rg", "awk", "echo", "printf", "cd", "wc", "sort", "diff", "stat", "file",
     "tree", "du", "df", "srm", "wipe", "trash", "trash-put", "rsync-local", "fallocate",
     "mkfifo", "split", "csplit", "shutil.rmtree", "shutil.move", "shutil.copy",
     "shutil.copy2", "shutil.copyfile", "shutil.copytree", "shutil.chown", "os.remove",
     "os.unlink", "os.rmdir", "os.removedirs", "os.rename", "os.renames", "os.replace",
     "os.link", "os.symlink", "os.chmod", "os.chown", "os.lchown", "os.truncate", "os.kill",
     "os.killpg", "pathlib.Path.unlink", "pathlib.Path.rmdir", "open", "fs.rmSync",
     "fs.rm", "fs.rmdirSync", "fs.rmdir", "fs.unlinkSync", "fs.unlink", "fs.writeFileSync",
     "fs.writeFile", "fs.promises.rm", "fs.promises.unlink", "fs.promises.writeFile"}
)  # fmt: skip
# git subcommands that act on the local repository only (push, fetch, pull, clone do not).
_LOCAL_GIT = frozenset(
    {"reset", "clean", "checkout", "restore", "switch", "branch", "stash", "gc", "prune",
     "reflog", "rm", "mv", "add", "commit", "rebase", "merge", "cherry-pick", "revert", "tag",
     "worktree", "update-ref", "filter-branch", "filter-repo", "config", "init", "apply", "am",
     "status", "log", "diff", "show", "blame", "grep", "rev-parse", "cat-file", "ls-files",
     "notes", "replace", "symbolic-ref", "read-tree", "checkout-index", "update-index"}
)  # fmt: skip
# Programs that run the rest of their command somewhere else.
_ELSEWHERE = frozenset(
    {"ssh", "mosh", "docker", "podman", "kubectl", "oc", "vagrant", "gcloud", "aws", "az",
     "fly", "flyctl", "heroku", "railway", "lxc", "incus", "multipass", "nomad", "ansible",
     "salt", "pdsh", "pssh", "limactl", "orb", "colima", "kubectl-exec"}
)  # fmt: skip
_CONTAINERS = frozenset({"docker", "podman", "nerdctl"})
_KUBE = frozenset({"kubectl", "helm", "k9s", "kustomize", "skaffold", "flux", "argocd", "oc"})
_TERRAFORM = frozenset({"terraform", "tofu", "terragrunt"})
_DB_CLIENTS = frozenset(
    {"psql", "pg_dump", "pg_dumpall", "pg_restore", "dropdb", "createdb", "vacuumdb",
     "mysql", "mysqldump", "mariadb", "mariadb-dump", "mysqladmin", "redis-cli", "mongosh",
     "mongo", "mongodump", "mongorestore", "clickhouse-client", "cqlsh", "pgcli", "mycli"}
)  # fmt: skip
_SSH = frozenset({"ssh", "scp", "sftp", "mosh", "rsync"})
# Variables that choose a target for the programs that read them.
_PROGRAM_VARIABLES: dict[str, tuple[str, frozenset[str] | None]] = {
    "TF_WORKSPACE": ("tf-workspace", _TERRAFORM),
    "AWS_PROFILE": ("profile", None),
    "AWS_DEFAULT_PROFILE": ("profile", None),
    "CLOUDSDK_CORE_PROJECT": ("project", None),
    "GOOGLE_CLOUD_PROJECT": ("project", None),
    "GCLOUD_PROJECT": ("project", None),
    "KUBECONTEXT": ("context", _KUBE),
    "PGHOST": ("host", _DB_CLIENTS),
    "PGDATABASE": ("db", _DB_CLIENTS),
    "MYSQL_HOST": ("host", _DB_CLIENTS),
    "REDIS_HOST": ("host", None),
}
# Options naming a target, by program family (None: any program).
_OPTIONS: dict[str, tuple[str, frozenset[str] | None]] = {
    "--context": ("context", None),
    "--kube-context": ("context", None),
    "--kubecontext": ("context", None),
    "-var-file": ("tf-var-file", _TERRAFORM),
    "--var-file": ("tf-var-file", _TERRAFORM),
    "--profile": ("profile", None),
    "--project": ("project", None),
    "--project-id": ("project", None),
    "--host": ("host", _DB_CLIENTS),
    "-h": ("host", _DB_CLIENTS),
    "-H": ("host", frozenset({"clickhouse-client"})),
    "--dbname": ("db", _DB_CLIENTS),
    "-d": ("db", _DB_CLIENTS),
    "--database": ("db", _DB_CLIENTS),
    "-n": ("db", frozenset({"redis-cli"})),
    "--url": ("url", None),
    "--uri": ("url", None),
    "--server": ("url", _KUBE),
    "--cluster": ("context", None),
    "--workspace": ("tf-workspace", _TERRAFORM),
}
_URL = re.compile(r"[a-z][a-z0-9+.-]{1,15}://[^\s'\"<>]+", re.IGNORECASE)
_REFERENCE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
# Variable names that hold where a program connects (DATABASE_URL, REDIS_URI, PG_DSN, …).
_TARGET_NAME = re.compile(r"(^|_)(URL|URI|DSN|HOST|HOSTNAME|ENDPOINT|CONN|CONNECTION)(_|$)")


def is_target_variable(name: str) -> bool:
    """Whether a variable's value names where a program connects (`DATABASE_URL`)."""
    return bool(_TARGET_NAME.search(name.upper())) or name in _PROGRAM_VARIABLES


def _program(word: str) -> str:
    return word.rpartition("/")[2]


def programs_of(command: Command) -> list[str]:
    return [_program(w.value) for w in command.words if w.value]


def _clues_of_value(value: str) -> list[str]:
    """Clues in a variable's value: URLs, else a bare host name."""
    urls = _URL.findall(value)
    if urls:
        return [f"url:{u}" for u in urls]
    if "host=" in value:  # libpq conninfo: host=… dbname=…
        return [f"host:{part[5:]}" for part in value.split() if part.startswith("host=")]
    return []


def _ssh_host(args: list[str]) -> str | None:
    for arg in args:
        if arg.startswith("-"):
            continue
        host = arg.rpartition("@")[2].partition(":")[0]
        return host or None
    return None


def command_clues(
    command: Command, state: MutableMapping[str, str | None], programs: list[str]
) -> list[str]:
    """The remote clues of one command (`state`: variables the command line set before;
    `programs`: the base names of its static words, `programs_of`)."""
    present = set(programs)
    clues: list[str] = []
    values = [w.value for w in command.words]
    for index, value in enumerate(values):
        if value is None:
            continue
        name, sep, attached = value.partition("=")
        option = _OPTIONS.get(name if sep else value)
        if option is not None and (option[1] is None or present & option[1]):
            given = attached if sep else (values[index + 1] if index + 1 < len(values) else None)
            if given:
                kind = option[0]
                clues.extend(_clues_of_value(given) if "://" in given else [f"{kind}:{given}"])
                continue
        if "://" in value:
            clues.extend(f"url:{url}" for url in _URL.findall(value))
    if present & _SSH:
        first = next(i for i, p in enumerate(programs) if p in _SSH)
        host = _ssh_host([v for v in values[first + 1 :] if v])
        if host and (programs[first] != "rsync" or any(":" in (v or "") for v in values)):
            clues.append(f"host:{host}")
    if present & _TERRAFORM and "workspace" in values:
        at = values.index("workspace")
        if at + 2 < len(values) and values[at + 1] in ("select", "new") and values[at + 2]:
            state["TF_WORKSPACE"] = values[at + 2]
    if "use-context" in values and present & _KUBE:
        at = values.index("use-context")
        if at + 1 < len(values):
            state["KUBECONTEXT"] = values[at + 1]
    local_names = dict(state)
    for name, word in command.assignments:
        local_names[name] = word.value
    for word in command.words:
        if word.value is not None or "$" not in word.text:
            continue
        for name in _REFERENCE.findall(word.text):
            if is_target_variable(name):
                clues.extend(_variable_clues(name, local_names.get(name), name in local_names))
    for name, value in local_names.items():
        rule = _PROGRAM_VARIABLES.get(name)
        if rule is not None and value and (rule[1] is None or present & rule[1]):
            clues.append(f"{rule[0]}:{value}")
        elif value and rule is None and is_target_variable(name) and "://" in value:
            # DATABASE_URL=postgres://… rails db:drop: the program reads it from its environment
            clues.extend(_clues_of_value(value))
    kinds = {clue.partition(":")[0] for clue in clues}
    if present & _KUBE and "context" not in kinds and "url" not in kinds:
        clues.append(KUBE_CURRENT)  # the kubeconfig's current context
    if present & _TERRAFORM and not kinds & {"tf-workspace", "tf-var-file"}:
        clues.append(TERRAFORM_CURRENT)  # the workspace `terraform workspace select` chose
    return list(dict.fromkeys(clues))


def _variable_clues(name: str, value: str | None, known: bool) -> list[str]:
    if known and value:
        return _clues_of_value(value) or [f"var:{name}"]
    return [f"var:{name}"]


def remember_variables(command: Command, state: MutableMapping[str, str | None]) -> None:
    """Variables later commands of the line see: `export X=…`, a bare `X=…`."""
    words = [w.value for w in command.words]
    if not words or words[0] in ("export", "declare", "typeset", "readonly", "local"):
        for name, word in command.assignments:
            state[name] = word.value
    elif words[0] == "unset":
        for value in words[1:]:
            if value:
                state.pop(value, None)


def is_local_operation(operation: str) -> bool:
    """Whether an action of this shell operation touches only this machine."""
    name = operation.partition(":")[2]
    head, _, rest = name.partition(" ")
    if head == "git":
        return rest.split(" ", 1)[0] in _LOCAL_GIT
    return head in _LOCAL_PROGRAMS


def mounts_this_machine(command: Command) -> bool:
    """A container run with a bind mount (`docker run -v /:/host …`): what it deletes
    inside may be this machine's files."""
    values = [w.value or w.text for w in command.words]
    if not _CONTAINERS.intersection(v.rpartition("/")[2] for v in values[:2]):
        return False
    return any(
        v in ("-v", "--volume", "--mount") or v.startswith(("--volume=", "--mount=", "-v/"))
        for v in values
    )


def stamp(
    actions: Iterable[Action],
    programs: list[str],
    clues: list[str],
    cwd: str | None,
    mounts: bool = False,
) -> list[Action]:
    """The command's actions with their scope: its clues, `local`, or left unsaid. With
    `mounts` (`mounts_this_machine`), what runs in the container is placed on this machine."""
    elsewhere = not _ELSEWHERE.isdisjoint(programs) and not mounts
    out: list[Action] = []
    for action in actions:
        if clues:
            scope: tuple[str, ...] = tuple(clues)
        elif elsewhere:
            scope = ()  # run somewhere this command line does not name
        elif action.scope:
            out.append(action)
            continue
        elif action.protocol == "shell" and (mounts or is_local_operation(action.operation)):
            scope = (LOCAL, f"cwd:{cwd}") if cwd else (LOCAL,)
        else:
            scope = (ENV_FILES,)
        out.append(_scoped(action, scope) if scope != action.scope else action)
    return out


def _scoped(a: Action, scope: tuple[str, ...]) -> Action:
    """`a` with `scope` (`dataclasses.replace` costs several times more on the hot path)."""
    return Action(
        a.protocol, a.operation, a.verb, a.targets, a.reversible, a.blast_radius, a.reason,
        a.detail, scope, a.target,
    )  # fmt: skip
