"""`interlock service install | status | uninstall`: the hook daemon as its own OS user.

    user     interlock: a system user (created with useradd when missing)
    home     /var/lib/interlock: that user's, mode 0700 (`interlock init` run as it), so the
             keys, the state and the audit log are out of the agents' users' reach
    sockets  /run/interlock: owner root, group the service's, mode 0775; hooks.sock in it is
             0666, so an agent's user can connect but can neither unlink nor replace it
    unit     /etc/systemd/system/interlock-hooks.service runs `interlock hooks serve` as that
             user (with --launchd: /Library/LaunchDaemons/dev.interlock.hooks.plist)

The hook client (`interlock hooks install --service`) trusts an answer only from a process
of that user (SO_PEERCRED); see docs/hooks.md, "Service mode". The plan is computed first
(`plan_install`, pure) and printed by --dry-run; `_apply` is the only part that changes the
system.
"""

from __future__ import annotations

import os
import plistlib
import shlex
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from interlock.cli._common import JsonOption, fail, out, print_json

DEFAULT_SERVICE_USER = "interlock"
DEFAULT_HOME = Path("/var/lib/interlock")
DEFAULT_SOCKET_DIR = Path("/run/interlock")
SOCKET_NAME = "hooks.sock"
DEFAULT_SOCKET = DEFAULT_SOCKET_DIR / SOCKET_NAME
UNIT_NAME = "interlock-hooks.service"
DEFAULT_UNIT_DIR = Path("/etc/systemd/system")
LAUNCHD_LABEL = "dev.interlock.hooks"
DEFAULT_LAUNCHD_DIR = Path("/Library/LaunchDaemons")
# macOS empties /var/run at boot and launchd cannot recreate a root-owned directory before a
# job that runs as another user: there, both live in /var/db (root-owned, kept).
LAUNCHD_HOME = Path("/var/db/interlock")
LAUNCHD_SOCKET_DIR = Path("/var/db/interlock-run")
SOCKET_DIR_MODE = 0o775
HOME_MODE = 0o700

app = typer.Typer(
    rich_markup_mode=None,
    help="Run the hook daemon as its own OS user, out of the agents' reach.",
    no_args_is_help=True,
)


# --- the plan (pure) --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServiceLayout:
    """Where everything of one service installation lives, and how it runs."""

    user: str
    group: str  # the user's own group: the only one that may write the socket directory
    home: Path
    socket_dir: Path
    program: tuple[str, ...]  # how to run `interlock`
    allowed_uids: tuple[int, ...] = ()

    @property
    def socket(self) -> Path:
        return self.socket_dir / SOCKET_NAME

    def serve_argv(self) -> list[str]:
        argv = [*self.program, "hooks", "serve", "--home", str(self.home)]
        argv += ["--socket", str(self.socket)]
        for uid in self.allowed_uids:
            argv += ["--allow-uid", str(uid)]
        return argv


@dataclass(frozen=True, slots=True)
class CreateUser:
    """Create the service's system user and its own group."""

    name: str
    home: Path
    shell: str

    def describe(self) -> str:
        return f"create the system user {self.name} ({shlex.join(self.argv())})"

    def argv(self) -> list[str]:
        return [
            "useradd",
            "--system",
            "--user-group",
            "--home-dir",
            str(self.home),
            "--no-create-home",
            "--shell",
            self.shell,
            self.name,
        ]


@dataclass(frozen=True, slots=True)
class CheckRunnable:
    """Make sure the service's user can run this Interlock (every directory on the way to
    the interpreter and the package must be searchable by it)."""

    user: str
    program: tuple[str, ...]

    def describe(self) -> str:
        return f"check that {self.user} can run {shlex.join(self.program)}"


@dataclass(frozen=True, slots=True)
class MakeDirectory:
    """Create a directory (or fix an existing one) with exactly this owner, group and mode."""

    path: Path
    owner: str
    group: str
    mode: int

    def describe(self) -> str:
        return (
            f"directory {self.path}: owner {self.owner}, group {self.group}, mode {self.mode:04o}"
        )


@dataclass(frozen=True, slots=True)
class RunAs:
    """Run a command as the service's user, with its home as $HOME (`stdin` is a password:
    never shown; `show_output` for what a human must see once, such as a TOTP enrolment)."""

    user: str
    home: Path
    argv: tuple[str, ...]
    stdin: str | None = field(default=None, repr=False)
    show_output: bool = False

    def describe(self) -> str:
        return f"run as {self.user}: {shlex.join(self.argv)}"


@dataclass(frozen=True, slots=True)
class WriteFile:
    """Write a root-owned file (the unit or the plist)."""

    path: Path
    text: str
    mode: int = 0o644

    def describe(self) -> str:
        return f"write {self.path} (mode {self.mode:04o})"


@dataclass(frozen=True, slots=True)
class RunCommand:
    """Run a command as root (systemctl, launchctl)."""

    argv: tuple[str, ...]
    required: bool = True

    def describe(self) -> str:
        return f"run {shlex.join(self.argv)}"


@dataclass(frozen=True, slots=True)
class RemovePath:
    """Remove a file, or an empty directory (never a tree: a wrong path must not cost more
    than an error)."""

    path: Path

    def describe(self) -> str:
        return f"remove {self.path}"


Step = CreateUser | CheckRunnable | MakeDirectory | RunAs | WriteFile | RunCommand | RemovePath


def _systemd_word(word: str) -> str:
    """One argument of an Exec line: specifiers and variables escaped, quoted when needed."""
    word = word.replace("%", "%%").replace("$", "$$")
    if word and not any(c in word for c in " \t\"'\\;"):
        return word
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'


def systemd_unit(layout: ServiceLayout, install_tool: str = "/usr/bin/install") -> str:
    """The unit: `interlock hooks serve` as the service's user, its socket directory made
    (as root) before each start, since /run is emptied at boot."""
    group = layout.group
    make_dir = [install_tool, "-d", "-o", "root", "-g", group, "-m", f"{SOCKET_DIR_MODE:04o}"]
    make_dir.append(str(layout.socket_dir))
    return "\n".join(
        [
            "# Written by `interlock service install`; `interlock service uninstall` removes it.",
            "[Unit]",
            f"Description=Interlock hook decisions for coding agents (as {layout.user})",
            "After=local-fs.target",
            "",
            "[Service]",
            "Type=simple",
            f"User={layout.user}",
            f"Group={group}",
            "ExecStartPre=+" + " ".join(_systemd_word(w) for w in make_dir),
            "ExecStart=" + " ".join(_systemd_word(w) for w in layout.serve_argv()),
            f"Environment={_systemd_word('HOME=' + str(layout.home))}",
            "UMask=0077",
            "Restart=always",
            "RestartSec=1",
            "NoNewPrivileges=yes",
            "ProtectSystem=full",
            "ProtectHome=read-only",
            "",
            "[Install]",
            "WantedBy=multi-user.target",
            "",
        ]
    )


def launchd_plist(layout: ServiceLayout) -> str:
    """The launchd job: the same command as the service's user, kept alive."""
    job = {
        "Label": LAUNCHD_LABEL,
        "UserName": layout.user,
        "GroupName": layout.group,
        "ProgramArguments": layout.serve_argv(),
        "EnvironmentVariables": {"HOME": str(layout.home)},
        "Umask": 0o077,
        "RunAtLoad": True,
        "KeepAlive": True,
        "StandardErrorPath": str(layout.home / "hooks-service.log"),
    }
    return plistlib.dumps(job).decode()


def plan_install(
    layout: ServiceLayout,
    *,
    user_exists: bool,
    unit: Path | None,
    plist: Path | None,
    start: bool,
    shell: str = "/usr/sbin/nologin",
    install_tool: str = "/usr/bin/install",
    admin: str | None = None,
    password: str | None = None,
) -> list[Step]:
    """Every change `service install` makes, in order (with `admin`, `init` enrols that
    human in the service's home, with `password`)."""
    steps: list[Step] = []
    if not user_exists:
        steps.append(CreateUser(layout.user, layout.home, shell))
    steps.append(CheckRunnable(layout.user, layout.program))
    steps.append(MakeDirectory(layout.home, layout.user, layout.group, HOME_MODE))
    init = (*layout.program, "init", "--home", str(layout.home))
    if admin is None:
        steps.append(RunAs(layout.user, layout.home, init))
    else:
        enrol = (*init, "--admin", admin, "--password-stdin")
        stdin = (password or "") + "\n"
        steps.append(RunAs(layout.user, layout.home, enrol, stdin=stdin, show_output=True))
    steps.append(MakeDirectory(layout.socket_dir, "root", layout.group, SOCKET_DIR_MODE))
    if unit is not None:
        steps.append(WriteFile(unit, systemd_unit(layout, install_tool)))
        if start:
            steps.append(RunCommand(("systemctl", "daemon-reload")))
            steps.append(RunCommand(("systemctl", "enable", "--now", unit.name)))
    if plist is not None:
        steps.append(WriteFile(plist, launchd_plist(layout)))
        if start:
            steps.append(RunCommand(("launchctl", "bootstrap", "system", str(plist))))
    return steps


def plan_uninstall(
    socket_dir: Path, *, unit: Path | None, plist: Path | None, running_manager: bool
) -> list[Step]:
    """What `service uninstall` removes: the unit or plist and the socket directory. The
    home (audit log, keys, approvals) and the user stay: removing evidence is a human's
    decision."""
    steps: list[Step] = []
    if unit is not None:
        if running_manager:
            steps.append(RunCommand(("systemctl", "disable", "--now", unit.name), required=False))
        steps.append(RemovePath(unit))
        if running_manager:
            steps.append(RunCommand(("systemctl", "daemon-reload"), required=False))
    if plist is not None:
        if running_manager:
            steps.append(
                RunCommand(("launchctl", "bootout", f"system/{LAUNCHD_LABEL}"), required=False)
            )
        steps.append(RemovePath(plist))
    steps.append(RemovePath(socket_dir / SOCKET_NAME))
    steps.append(RemovePath(socket_dir))
    return steps


# --- who can reach what -----------------------------------------------------------------


def blocked_directory(path: Path, uid: int, gids: set[int]) -> Path | None:
    """The first directory on the way to `path` (symlinks followed) that `uid` cannot search,
    from the mode bits alone (ACLs are not read: use it to explain a failure, not to decide)."""
    if uid == 0:
        return None
    seen: set[Path] = set()
    pending = [Path(os.path.abspath(path))]
    while pending:
        current = pending.pop()
        for directory in [*reversed(current.parents)]:
            try:
                info = directory.stat()
            except OSError:
                return directory
            if info.st_uid == uid:
                bits = info.st_mode >> 6
            elif info.st_gid in gids:
                bits = info.st_mode >> 3
            else:
                bits = info.st_mode
            if not bits & 1:
                return directory
        if current.is_symlink() and current not in seen:
            seen.add(current)
            pending.append(current.parent / os.readlink(current))
    return None


def _ids(user: str) -> tuple[int, int, set[int]]:
    """(uid, gid, every gid) of `user`; KeyError when there is no such user."""
    import grp
    import pwd

    entry = pwd.getpwnam(user)
    gids = {entry.pw_gid} | {g.gr_gid for g in grp.getgrall() if user in g.gr_mem}
    return entry.pw_uid, entry.pw_gid, gids


def run_as(
    user: str, argv: list[str], *, home: Path, timeout: float = 120, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`argv` as `user` (its own groups only, none of root's), with a minimal environment."""
    uid, gid, gids = _ids(user)
    env = {"HOME": str(home), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
    return subprocess.run(
        argv,
        user=uid,
        group=gid,
        extra_groups=sorted(gids - {gid}),
        env=env,
        cwd="/",
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _program() -> tuple[str, ...]:
    """How to run this Interlock: the `interlock` script beside this interpreter."""
    script = Path(sys.executable).parent / "interlock"
    if script.is_file():
        return (str(script),)
    found = shutil.which("interlock")
    if found is None:
        fail("cannot find the `interlock` command of this installation")
    return (found,)


# --- applying (the only part that changes the system) -----------------------------------


class StepFailed(Exception):
    pass


def _apply(step: Step) -> None:
    match step:
        case CreateUser():
            _checked(subprocess.run(step.argv(), capture_output=True, text=True, check=False))
        case CheckRunnable():
            _check_runnable(step)
        case MakeDirectory():
            import grp

            uid = 0 if step.owner == "root" else _ids(step.owner)[0]
            gid = grp.getgrnam(step.group).gr_gid
            step.path.mkdir(parents=True, exist_ok=True)
            if step.path.is_symlink() or not step.path.is_dir():
                raise StepFailed(f"{step.path} is not a directory")
            os.chown(step.path, uid, gid)
            os.chmod(step.path, step.mode)
        case RunAs():
            result = run_as(step.user, list(step.argv), home=step.home, stdin=step.stdin)
            _checked(result)
            if step.show_output:
                sys.stdout.write(result.stdout)
                sys.stdout.flush()
        case WriteFile():
            step.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = step.path.with_name(f".{step.path.name}.tmp")
            tmp.write_text(step.text)
            os.chmod(tmp, step.mode)
            os.replace(tmp, step.path)
        case RunCommand():
            result = subprocess.run(list(step.argv), capture_output=True, text=True, check=False)
            if step.required:
                _checked(result)
        case RemovePath():
            if step.path.is_dir() and not step.path.is_symlink():
                step.path.rmdir()
            else:
                step.path.unlink(missing_ok=True)


def _checked(result: subprocess.CompletedProcess[str]) -> None:
    if result.returncode != 0:
        lines = (result.stderr or result.stdout or "").strip().splitlines()
        raise StepFailed(lines[-1] if lines else f"exit status {result.returncode}")


def _check_runnable(step: CheckRunnable) -> None:
    import interlock

    result = run_as(step.user, [*step.program, "version"], home=Path("/"))
    if result.returncode == 0:
        return
    uid, _gid, gids = _ids(step.user)
    for needed in (Path(step.program[0]), Path(interlock.__file__)):
        blocked = blocked_directory(needed, uid, gids)
        if blocked is not None:
            raise StepFailed(
                f"{step.user} cannot run Interlock from {step.program[0]}: {blocked} is not "
                f"searchable by it. Install Interlock where every user can read it (e.g. a "
                "virtual environment in /opt/interlock) and run `service install` from there"
            )
    _checked(result)


def _run_plan(steps: list[Step], dry_run: bool) -> None:
    if dry_run:
        out.print("dry run: nothing is changed. The steps, in order:")
    for number, step in enumerate(steps, 1):
        out.print(f"{number}. {escape(step.describe())}", soft_wrap=True)
        if dry_run:
            if isinstance(step, WriteFile):
                sys.stdout.write(step.text)
                sys.stdout.flush()
            continue
        try:
            _apply(step)
        except (StepFailed, OSError, KeyError, subprocess.SubprocessError) as exc:
            fail(f"step {number} ({step.describe()}) failed: {exc}")


# --- commands ---------------------------------------------------------------------------

UserOption = Annotated[str, typer.Option("--user", help="The service's OS user.")]
HomeDirOption = Annotated[
    Path | None,
    typer.Option(
        "--home",
        help=f"The service's home (default {DEFAULT_HOME}; with --launchd {LAUNCHD_HOME}).",
        show_default=False,
    ),
]
SocketDirOption = Annotated[
    Path | None,
    typer.Option(
        "--socket-dir",
        help=f"Where hooks.sock lives (default {DEFAULT_SOCKET_DIR}; with --launchd "
        f"{LAUNCHD_SOCKET_DIR}).",
        show_default=False,
    ),
]
UnitDirOption = Annotated[
    Path, typer.Option("--unit-dir", help="Where the systemd unit is written.")
]
LaunchdOption = Annotated[
    bool, typer.Option("--launchd", help="Write a launchd plist (macOS) instead of a unit.")
]
LaunchdDirOption = Annotated[
    Path, typer.Option("--launchd-dir", help="Where the launchd plist is written.")
]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Print what would be done; change nothing.")
]


def _dirs(home: Path | None, socket_dir: Path | None, launchd: bool) -> tuple[Path, Path]:
    home = home or (LAUNCHD_HOME if launchd else DEFAULT_HOME)
    socket_dir = socket_dir or (LAUNCHD_SOCKET_DIR if launchd else DEFAULT_SOCKET_DIR)
    if not home.is_absolute() or not socket_dir.is_absolute():
        fail("--home and --socket-dir must be absolute paths")
    if socket_dir == home or home in socket_dir.parents:
        fail("--socket-dir must be outside the home (the home is closed to every other user)")
    return home, socket_dir


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first: str = typer.prompt("Password of the first human", hide_input=True)
    if first != typer.prompt("Repeat password", hide_input=True):
        fail("the passwords do not match")
    return first


def _check_targets(home: Path, socket_dir: Path, uid: int | None) -> None:
    """Refuse to take over a directory that is someone else's: `install` chowns and chmods
    the home and the socket directory, which must not be, say, a developer's home or /tmp."""
    try:
        info = home.lstat()
    except FileNotFoundError:
        pass
    else:
        if not stat.S_ISDIR(info.st_mode):
            fail(f"--home {home}: exists and is not a directory")
        if info.st_uid not in (0, uid) and any(home.iterdir()):
            fail(
                f"--home {home}: not empty and owned by uid {info.st_uid}; give the "
                "service a directory of its own"
            )
    if socket_dir.is_symlink() or (socket_dir.exists() and not socket_dir.is_dir()):
        fail(f"--socket-dir {socket_dir}: exists and is not a directory")
    if socket_dir.is_dir():
        others = sorted(p.name for p in socket_dir.iterdir() if p.name != SOCKET_NAME)
        if others:
            fail(
                f"--socket-dir {socket_dir}: already holds {', '.join(others[:3])}; give "
                "the socket a directory of its own"
            )


def _systemd_running() -> bool:
    return Path("/run/systemd/system").is_dir()


@app.command()
def install(
    user: UserOption = DEFAULT_SERVICE_USER,
    home: HomeDirOption = None,
    socket_dir: SocketDirOption = None,
    allow_user: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-user",
            help="Answer only these users' agents (repeatable; default: any local user).",
        ),
    ] = None,
    unit_dir: UnitDirOption = DEFAULT_UNIT_DIR,
    launchd: LaunchdOption = False,
    launchd_dir: LaunchdDirOption = DEFAULT_LAUNCHD_DIR,
    start: Annotated[
        bool, typer.Option("--start/--no-start", help="Enable and start the service now.")
    ] = True,
    admin: Annotated[
        str | None,
        typer.Option(
            "--admin",
            help="Enrol this human in the service's home (password + TOTP, shown once): "
            "deciding approvals needs one.",
            show_default=False,
        ),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read --admin's password from stdin.")
    ] = False,
    dry_run: DryRunOption = False,
) -> None:
    """Create the service's user, its home (0700) and socket directory, and the unit that
    runs `interlock hooks serve` as that user. Then: `interlock hooks install AGENT --service`.

    \b
    Examples:
      sudo interlock service install --dry-run
      sudo interlock service install --allow-user alice
    """
    home, socket_dir = _dirs(home, socket_dir, launchd)
    if not dry_run and os.geteuid() != 0:
        fail("run it as root (it creates a user and writes a system unit), or use --dry-run")
    allowed: list[int] = []
    for name in allow_user or []:
        try:
            allowed.append(_ids(name)[0])
        except KeyError:
            fail(f"--allow-user {name}: no such user")
    uid: int | None = None
    try:
        import grp

        uid, gid, _gids = _ids(user)
        group = grp.getgrgid(gid).gr_name
        exists = True
    except KeyError:
        group, exists = user, False  # useradd --user-group names it after the user
    _check_targets(home, socket_dir, uid)
    if not exists and not dry_run and shutil.which("useradd") is None:
        fail(f"no user {user!r}, and no useradd here: create it, then run this again")
    layout = ServiceLayout(user, group, home, socket_dir, _program(), tuple(allowed))
    password = None
    if admin is not None and not dry_run:
        password = _read_password(password_stdin)
    manager = _systemd_running() if not launchd else Path("/bin/launchctl").exists()
    steps = plan_install(
        layout,
        user_exists=exists,
        unit=None if launchd else unit_dir / UNIT_NAME,
        plist=launchd_dir / f"{LAUNCHD_LABEL}.plist" if launchd else None,
        start=start and manager,
        shell=shutil.which("nologin") or "/usr/sbin/nologin",
        install_tool=shutil.which("install") or "/usr/bin/install",
        admin=admin,
        password=password,
    )
    _run_plan(steps, dry_run)
    if dry_run:
        return
    out.print(f"Interlock service installed: {escape(str(layout.socket))} as {escape(user)}")
    if start and not manager:
        out.print(
            "[yellow]no service manager running here:[/] start it yourself, as "
            f"{escape(user)}: {escape(shlex.join(layout.serve_argv()))}"
        )
    out.print(
        "Next, as each developer: interlock hooks install AGENT --service"
        + (f" --service-user {escape(user)}" if user != DEFAULT_SERVICE_USER else "")
        + (f" --socket {escape(str(layout.socket))}" if layout.socket != DEFAULT_SOCKET else "")
    )


@dataclass(frozen=True, slots=True)
class Finding:
    ok: bool
    what: str


def inspect(user: str, home: Path, socket_dir: Path) -> list[Finding]:
    """What `service status` checks: the user, the home's and keys' modes, the socket
    directory's owner and mode, and a daemon of that user answering on the socket."""
    from interlock.hooks import ping

    try:
        uid, gid, _gids = _ids(user)
    except KeyError:
        return [Finding(False, f"no user {user!r}")]
    found = [Finding(True, f"user {user}: uid {uid}")]
    try:
        info = home.stat()
        mode = stat.S_IMODE(info.st_mode)
        good = info.st_uid == uid and mode == HOME_MODE
        found.append(Finding(good, f"home {home}: owner uid {info.st_uid}, mode {mode:04o}"))
    except OSError as exc:
        found.append(Finding(False, f"home {home}: {exc.strerror}"))
    try:
        for key in sorted((home / "keys").glob("*.key")):
            mode = stat.S_IMODE(key.stat().st_mode)
            found.append(Finding(mode & 0o077 == 0, f"key {key.name}: mode {mode:04o}"))
    except OSError:
        found.append(Finding(True, "keys: not visible to this user (as intended)"))
    try:
        info = socket_dir.lstat()
        mode = stat.S_IMODE(info.st_mode)
        good = stat.S_ISDIR(info.st_mode) and info.st_uid == 0 and info.st_gid == gid
        good = good and not mode & 0o002
        found.append(
            Finding(
                good,
                f"socket directory {socket_dir}: owner uid {info.st_uid}, group gid "
                f"{info.st_gid}, mode {mode:04o}",
            )
        )
    except OSError as exc:
        found.append(Finding(False, f"socket directory {socket_dir}: {exc.strerror}"))
    socket = socket_dir / SOCKET_NAME
    answering = ping(socket, peer_uid=uid)
    found.append(
        Finding(answering, f"daemon on {socket}: {'answering' if answering else 'not answering'}")
    )
    return found


@app.command()
def status(
    user: UserOption = DEFAULT_SERVICE_USER,
    home: HomeDirOption = None,
    socket_dir: SocketDirOption = None,
    launchd: LaunchdOption = False,
    as_json: JsonOption = False,
) -> None:
    """Check the service: its user, home and keys (modes), socket directory, and that a
    daemon of that user answers. Exits 1 when anything is wrong."""
    home, socket_dir = _dirs(home, socket_dir, launchd)
    findings = inspect(user, home, socket_dir)
    if as_json:
        print_json([{"ok": f.ok, "what": f.what} for f in findings])
        raise typer.Exit(0 if all(f.ok for f in findings) else 1)
    for finding in findings:
        mark = "[green]ok[/]     " if finding.ok else "[red]problem[/]"
        out.print(f"{mark} {escape(finding.what)}")
    if _systemd_running() and not launchd:
        active = subprocess.run(
            ["systemctl", "is-active", UNIT_NAME], capture_output=True, text=True, check=False
        )
        out.print(f"unit    {UNIT_NAME}: {escape(active.stdout.strip() or 'unknown')}")
    if not all(f.ok for f in findings):
        raise typer.Exit(1)


@app.command()
def uninstall(
    home: HomeDirOption = None,
    socket_dir: SocketDirOption = None,
    unit_dir: UnitDirOption = DEFAULT_UNIT_DIR,
    launchd: LaunchdOption = False,
    launchd_dir: LaunchdDirOption = DEFAULT_LAUNCHD_DIR,
    user: UserOption = DEFAULT_SERVICE_USER,
    dry_run: DryRunOption = False,
) -> None:
    """Stop the service and remove its unit and socket directory. The home (audit log,
    keys, approvals) and the user are kept."""
    home, socket_dir = _dirs(home, socket_dir, launchd)
    if not dry_run and os.geteuid() != 0:
        fail("run it as root, or use --dry-run")
    manager = Path("/bin/launchctl").exists() if launchd else _systemd_running()
    steps = plan_uninstall(
        socket_dir,
        unit=None if launchd else unit_dir / UNIT_NAME,
        plist=launchd_dir / f"{LAUNCHD_LABEL}.plist" if launchd else None,
        running_manager=manager,
    )
    _run_plan(steps, dry_run)
    if not dry_run:
        out.print(
            f"kept {escape(str(home))} (audit log, keys, approvals) and the user "
            f"{escape(user)}: archive the audit log, then remove them yourself "
            f"(userdel {escape(user)}; rm -r {escape(str(home))})"
        )
