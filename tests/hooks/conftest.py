from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from interlock.checking import Checker
from interlock.gate import Gate
from interlock.home import Home, init_home
from interlock.hooks._daemon import ping, socket_path
from interlock.hooks._decide import HookDecider
from tests._wait import wait_until
from tests.secrets._fakes import plants

FIXTURES = Path(__file__).parent / "fixtures"
CLIENT = Path(__file__).resolve().parents[2] / "src" / "interlock" / "hooks" / "client.py"

Event = Callable[..., bytes]


def railway_plant() -> tuple[str, str]:
    """(the fake token, the line it appears on), generated at test time."""
    plant = next(p for p in plants() if p.rule == "railway-token")
    return plant.value, plant.line


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A project directory with a file holding a cloud token and a harmless file."""
    root = tmp_path / "project"
    (root / "src").mkdir(parents=True)
    _value, line = railway_plant()
    (root / "deploy.json").write_text("{\n  " + line + "\n}\n")
    (root / "README.md").write_text("# app\n\nNothing secret here.\n")
    return root


@pytest.fixture
def event(workspace: Path) -> Event:
    """A captured event from fixtures/, with __CWD__, __FILE__, __CONTENT__ filled in."""

    def load(name: str, file: str = "deploy.json", content: str = "") -> bytes:
        text = (FIXTURES / f"{name}.json").read_text()
        path = str(workspace / file)
        text = text.replace("__CWD__", str(workspace)).replace("__FILE__", path)
        text = text.replace("__CONTENT__", json.dumps(content)[1:-1])
        return text.encode()

    return load


@pytest.fixture(scope="session")
def gate() -> Gate:
    return Gate()


@pytest.fixture
def decider(gate: Gate) -> HookDecider:
    """The built-in policies, no home, nothing recorded."""
    return HookDecider(Checker(gate))


@pytest.fixture
def home(tmp_path: Path) -> Home:
    made, _ = init_home(tmp_path / "home" / ".interlock")
    return made


def start_daemon(home: Home, *extra: str, timeout: float = 20.0) -> subprocess.Popen[bytes]:
    """`interlock hooks serve` as a real process on `home`, once it answers pings."""
    code = (
        "import sys; from pathlib import Path; from interlock.home import Home; "
        "from interlock.hooks._daemon import serve; "
        "serve(Home(Path(sys.argv[1])), budget=float(sys.argv[2]) if len(sys.argv) > 2 else None)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(home.root), *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_until(
            lambda: proc.poll() is not None or ping(socket_path(home), timeout=0.2),
            timeout,
            what="the hook daemon to answer pings",
        )
    except AssertionError:
        proc.kill()
        raise
    if proc.poll() is not None:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise AssertionError(f"the hook daemon did not start: {err}")
    return proc


def stop_daemon(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    if proc.stderr:
        proc.stderr.close()


@pytest.fixture
def daemon(home: Home) -> Iterator[subprocess.Popen[bytes]]:
    proc = start_daemon(home)
    try:
        yield proc
    finally:
        stop_daemon(proc)


def run_client(
    agent: str,
    stdin: bytes,
    *,
    home: Path | None = None,
    python: str = sys.executable,
    cwd: Path | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[bytes]:
    """The installed hook command, exactly: `<python> -I -S client.py AGENT [--home H]`."""
    args = [python, "-I", "-S", str(CLIENT), agent]
    if home is not None:
        args += ["--home", str(home)]
    env = {k: v for k, v in os.environ.items() if k != "INTERLOCK_HOME"}
    return subprocess.run(
        args, input=stdin, capture_output=True, timeout=timeout, cwd=cwd, env=env, check=False
    )
