"""`interlock hooks install` as a team uses it: the project's committed settings name no path
of this machine (`interlock-hook AGENT`, found on PATH), the resident process is started,
and the hook then answers from the project through it. Real processes throughout."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from interlock.home import Home
from interlock.hooks import launcher_path, pid_path, ping, refresh_launcher, socket_path
from interlock.hooks._launcher import PIP_SCRIPT

BIN = Path(sys.executable).parent
CLI = [sys.executable, "-c", "from interlock.cli import main; main()"]
EVENT = {
    "session_id": "s",
    "hook_event_name": "PreToolUse",
    "tool_name": "Bash",
    "tool_input": {"command": "git status"},
}


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTERLOCK_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["COLUMNS"] = "300"
    return env


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(
        [*CLI, "init", "--home", str(root / ".interlock")], check=True, capture_output=True
    )
    yield root
    home = Home(root / ".interlock")
    if pid_path(home).exists():  # stop the daemon this test started, by its pid
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid_path(home).read_text().strip()), signal.SIGTERM)


def test_project_settings_are_portable_and_the_daemon_answers(project: Path) -> None:
    done = subprocess.run(
        [*CLI, "hooks", "install", "claude-code", "--project", str(project), "--json"],
        cwd=project,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["portable"] is True and report["notes"] == []
    assert report["daemon"].startswith("started")
    settings_text = (project / ".claude" / "settings.json").read_text()
    (group,) = json.loads(settings_text)["hooks"]["PreToolUse"]
    assert group["hooks"][0]["command"] == "interlock-hook claude-code"
    # nothing of this machine: not the clone, not the venv, not the home
    for machine_specific in (str(BIN), str(project), sys.executable, "/"):
        assert machine_specific not in group["hooks"][0]["command"]
    # this installation's `interlock-hook` became the fast launcher: the machine's paths
    # live there, on this machine only
    assert report["launcher"]["fast"] is True, report
    launcher_file = Path(report["launcher"]["path"]).read_text()
    assert launcher_file.startswith("#!/bin/sh\n") and "-I -S" in launcher_file
    home = Home(project / ".interlock")
    assert ping(socket_path(home))
    # the committed command, as the agent host runs it: a shell, in the project
    answered = subprocess.run(
        group["hooks"][0]["command"],
        shell=True,
        input=json.dumps({**EVENT, "cwd": str(project)}),
        cwd=project,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
    )
    assert answered.returncode == 0, answered.stderr
    decision = json.loads(answered.stdout)["hookSpecificOutput"]["permissionDecision"]
    assert decision == "allow"
    again = subprocess.run(
        [*CLI, "hooks", "install", "claude-code", "--project", str(project), "--json"],
        cwd=project,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
    )
    assert json.loads(again.stdout)["daemon"].startswith("already running")


def test_a_home_outside_the_project_is_named_with_a_note(tmp_path: Path, project: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    subprocess.run([*CLI, "init", "--home", str(elsewhere)], check=True, capture_output=True)
    done = subprocess.run(
        [
            *CLI,
            "hooks",
            "install",
            "claude-code",
            "--project",
            str(project),
            "--home",
            str(elsewhere),
            "--no-daemon",
            "--json",
        ],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["daemon"] is None and report["notes"]
    command = json.loads((project / ".claude" / "settings.json").read_text())["hooks"][
        "PreToolUse"
    ][0]["hooks"][0]["command"]
    assert command == f"interlock-hook claude-code --home {elsewhere.resolve()}"


def test_the_launcher_denies_when_the_client_is_missing(tmp_path: Path) -> None:
    # an interpreter that cannot see Interlock at all: the launcher must block, not allow
    launcher = tmp_path / "launcher.py"
    launcher.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parents[2] / 'src')!r})\n"
        "import interlock_hook\n"
        "interlock_hook.client_path = lambda: sys.argv.pop()\n"
        "interlock_hook.main()\n"
    )
    for missing in ("", str(tmp_path / "nowhere" / "client.py")):
        done = subprocess.run(
            [sys.executable, str(launcher), "claude-code", missing],
            input="{}",
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2 and "denied" in done.stderr


def test_up_takes_over_the_daemon_install_started(project: Path) -> None:
    home = Home(project / ".interlock")
    with home.config_path.open("a") as config:
        config.write("\n[hooks]\n")
    installed = subprocess.run(
        [*CLI, "hooks", "install", "claude-code", "--project", str(project), "--json"],
        cwd=project,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
    )
    assert json.loads(installed.stdout)["daemon"].startswith("started"), installed.stdout
    before = pid_path(home).read_text().strip()
    up = subprocess.Popen(
        [*CLI, "up", "--no-server", "--home", str(home.root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_env(),
    )
    try:
        assert up.stdout is not None
        seen = []
        for line in up.stdout:
            seen.append(line)
            if "ready on unix:" in line or "already in use" in line:
                break
        text = "".join(seen)
        assert "stopped the background daemon" in text and "ready on unix:" in text, text
        assert pid_path(home).read_text().strip() != before
        assert ping(socket_path(home))
    finally:
        up.send_signal(signal.SIGTERM)
        try:
            up.wait(30)
        except subprocess.TimeoutExpired:
            up.kill()
            up.wait(5)


def _pip_script(bin_dir: Path) -> Path:
    """A stand-in for pip's console script, as `pip install` leaves it."""
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / "interlock-hook"
    script.write_text(f"#!{sys.executable}\nimport sys\n{PIP_SCRIPT}\nsys.exit(main())\n")
    script.chmod(0o755)
    return script


def _fresh_shell(
    command: str, cwd: Path, bin_dir: Path, stdin: str
) -> subprocess.CompletedProcess[str]:
    """The command as a host runs it from a fresh login: `sh -c`, nothing but PATH set."""
    return subprocess.run(
        ["/bin/sh", "-c", command],
        input=stdin,
        cwd=cwd,
        capture_output=True,
        text=True,
        env={"PATH": f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin", "HOME": str(cwd)},
        timeout=60,
    )


def test_the_launcher_answers_from_a_fresh_shell(tmp_path: Path, project: Path) -> None:
    installed = subprocess.run(
        [*CLI, "hooks", "install", "claude-code", "--project", str(project), "--json"],
        cwd=project,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
    )
    assert json.loads(installed.stdout)["daemon"].startswith("started"), installed.stdout
    bin_dir = tmp_path / "bin"
    _pip_script(bin_dir)
    assert refresh_launcher(bin_dir).state == "written"
    assert refresh_launcher(bin_dir).state == "up to date"
    text = (bin_dir / "interlock-hook").read_text()
    assert sys.executable in text and "interlock/hooks/client.py" in text
    for command, decision in (("git status", "allow"), ("rm -rf /", "deny")):
        event = {**EVENT, "tool_input": {"command": command}, "cwd": str(project)}
        answered = _fresh_shell("interlock-hook claude-code", project, bin_dir, json.dumps(event))
        assert answered.returncode == (0 if decision == "allow" else 2), answered.stderr
        output = json.loads(answered.stdout)["hookSpecificOutput"]
        assert output["permissionDecision"] == decision


@pytest.mark.parametrize("broken", ["missing client", "broken client", "missing python"])
def test_a_broken_launcher_denies(tmp_path: Path, broken: str) -> None:
    bin_dir = tmp_path / "bin"
    _pip_script(bin_dir)
    client = tmp_path / "client.py"
    python = sys.executable
    if broken == "broken client":
        client.write_text("def (:\n")
    elif broken == "missing python":
        python = str(tmp_path / "gone" / "python3")
    assert refresh_launcher(bin_dir, python=python, client=client).fast
    done = _fresh_shell("interlock-hook claude-code", tmp_path, bin_dir, json.dumps(EVENT))
    assert done.returncode == 2, (done.stdout, done.stderr)


def test_a_file_that_is_not_interlocks_is_left_alone(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    assert refresh_launcher(bin_dir).state == "not installed"
    other = bin_dir / "interlock-hook"
    other.write_text("#!/bin/sh\necho someone else's\n")
    assert refresh_launcher(bin_dir).state == "not interlock's"
    assert other.read_text() == "#!/bin/sh\necho someone else's\n"


def test_a_linked_launcher_is_refreshed_through_the_link(tmp_path: Path) -> None:
    # pipx links ~/.local/bin/interlock-hook to its venv's script: the script is rewritten
    real = _pip_script(tmp_path / "venv-bin")
    linked = tmp_path / "local-bin"
    linked.mkdir()
    (linked / "interlock-hook").symlink_to(real)
    assert refresh_launcher(linked).state == "written"
    assert (linked / "interlock-hook").is_symlink()
    assert real.read_text().startswith("#!/bin/sh\n")


def test_an_agent_cannot_overwrite_the_launcher(tmp_path: Path) -> None:
    # the launcher decides every tool call: a shell command replacing it is self-protection
    launcher = launcher_path()
    for command in (f"cp /bin/true {launcher}", f"echo 'exit 0' > {launcher}"):
        done = subprocess.run(
            [*CLI, "check", "shell", command, "--json"],
            capture_output=True,
            text=True,
            env=_env(),
            cwd=tmp_path,
            timeout=60,
        )
        assert json.loads(done.stdout)["decision"] == "deny", done.stdout
