"""What a local snapshot adds to a hook's answer.

`hook_snapshot_added_ms`: the whole hook command (`client.py` relaying to the resident
process) for an allowed `git reset --hard` in a repository with a small patch (three
modified files, two untracked ones), in two homes that differ in one thing: the first
home's policy asks for a snapshot (the default pack, `[hooks] environment = "staging"`),
the second's does not. The figure is the difference of the p50s: the git commands that
read the work (config check, diff, untracked files, refs) and the sealed, signed write to
the vault. `hook_snapshot_p50_ms` is the snapshotting hook's own p50. Reads and ordinary
writes pay nothing (`hook_daemon_*` in bench_hooks).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.bench_hooks import _daemon, _event, _time_hook

ROOT = Path(__file__).resolve().parent.parent
RUNS = 30


def _repo(root: Path) -> Path:
    repo = root / "project"
    (repo / "src").mkdir(parents=True)
    for i in range(20):
        (repo / "src" / f"m{i}.py").write_text(f"def f{i}():\n    return {i}\n" * 20)
    env = ["-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True)
    subprocess.run(["git", "-C", str(repo), *env, "commit", "-qm", "first"], check=True)
    for i in range(3):
        path = repo / "src" / f"m{i}.py"
        path.write_text(path.read_text() + f"# work in progress {i}\n")
    (repo / "notes.md").write_text("untracked notes\n" * 10)
    (repo / "src" / "new.py").write_text("NEW = True\n")
    return repo


def run() -> dict[str, float]:
    sys.path.insert(0, str(ROOT / "src"))
    from interlock.home import init_home

    with tempfile.TemporaryDirectory(prefix="ilhs-") as tmp:
        repo = _repo(Path(tmp))
        event = [_event("git reset --hard", repo)]
        medians = []
        for name, snapshot in (("with", True), ("without", False)):
            home, _ = init_home(Path(tmp) / name / ".interlock")
            home.config_path.write_text(
                home.config_path.read_text() + '\n[hooks]\nenvironment = "staging"\n'
            )
            if not snapshot:
                pack = home.root / "policies" / "protect-production.cedar"
                text = pack.read_text().replace('@safeguard("snapshot")\n', "")
                pack.write_text(text)
            with _daemon(home.root, None):
                _time_hook(home.root, event, 4)
                medians.append(statistics.median(_time_hook(home.root, event, RUNS)))
        return {
            "hook_snapshot_p50_ms": round(medians[0], 1),
            "hook_snapshot_added_ms": round(medians[0] - medians[1], 1),
        }


if __name__ == "__main__":
    print(run())
