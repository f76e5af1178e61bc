"""Turn published coding-agent trajectories into the replay format the trajectory flag-rate
test and benchmark read (tests/classify/corpus/trajectories/README.md):

    python scripts/trajectories_to_replay.py OUT.jsonl TRAJ_FILE_OR_DIR ...

Reads SWE-agent trajectories (`*.traj`: a `trajectory` of actions, with the editor's view
of each file it shows) and mini-SWE-agent trajectories (`*.traj.json`: `messages` whose
assistant turns hold one bash block each), such as those of the SWE-bench experiments.
Each trajectory becomes one JSON line: its `source`, its `working_dir`, and its `steps`:

- `{"run": COMMAND}`: a shell command exactly as the agent ran it;
- `{"write": PATH, "text": TEXT}`: a file the agent wrote, so the commands after it run the
  code the agent just wrote: a SWE-agent file shown whole by its editor (`create`, `open`,
  `edit` print the file with line numbers; these editor calls are the agent's file tools,
  which a hook judges as file writes, not shell), or a `cat <<'EOF' > PATH` heredoc.

SWE-agent's navigation and editor tools (`find_file`, `goto`, `submit`…) are not shell
commands and are left out.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_EDITOR = frozenset(
    [
        "create",
        "open",
        "edit",
        "insert",
        "goto",
        "scroll_up",
        "scroll_down",
        "find_file",
        "search_file",
        "search_dir",
        "submit",
        "set_cursors",
        "str_replace_editor",
        "decompile",
        "disassemble",
        "connect_start",
        "connect_sendline",
        "connect_stop",
        "exit_forfeit",
        "debug_start",
        "debug_stop",
    ]
)
_HEADER = re.compile(r"^\[File: (?P<path>\S+) \((?P<n>\d+) lines total\)\]$", re.M)
_NUMBERED = re.compile(r"^(\d+):(.*)$")
_BLOCK = re.compile(r"```bash\s*\n(.*?)\n```", re.S)
_HEREDOC = re.compile(
    r"cat\s+(?:>\s*(?P<a>[^\s<>|;&]+)\s+)?<<-?\s*(?P<q>['\"]?)(?P<tag>\w+)(?P=q)\s*"
    r"(?:>\s*(?P<b>[^\s<>|;&]+))?[^\n]*\n(?P<body>.*?)\n(?P=tag)[ \t]*(?:\n|$)",
    re.S,
)


def _whole_file(observation: str) -> tuple[str, str] | None:
    """(path, text) when an editor observation shows a file from its first to last line."""
    header = _HEADER.search(observation or "")
    if header is None:
        return None
    total = int(header.group("n"))
    lines: dict[int, str] = {}
    for line in observation[header.end() :].split("\n"):
        numbered = _NUMBERED.match(line)
        if numbered:
            lines.setdefault(int(numbered.group(1)), numbered.group(2))
    if any(i not in lines for i in range(1, total + 1)):
        return None
    text = "".join(lines[i] + "\n" for i in range(1, total + 1))
    return header.group("path"), text


def _relative(path: str, working_dir: str) -> str:
    return path[len(working_dir) + 1 :] if path.startswith(working_dir + "/") else path


def swe_agent(data: dict[str, Any]) -> tuple[str, list[dict[str, str]]]:
    trajectory = data.get("trajectory") or []
    state = trajectory[0].get("state") if trajectory else None
    state = json.loads(state) if isinstance(state, str) else (state or {})
    working_dir = str(state.get("working_dir") or "")
    steps: list[dict[str, str]] = []
    shown: dict[str, str] = {}
    for step in trajectory:
        action = (step.get("action") or "").strip()
        if not action:
            continue
        if action.split(None, 1)[0] not in _EDITOR:
            steps.append({"run": action})
            continue
        whole = _whole_file(step.get("observation") or "")
        if whole is None or shown.get(whole[0]) == whole[1]:
            continue
        if not working_dir and whole[0].count("/") > 1:
            working_dir = "/" + whole[0].split("/")[1]
        shown[whole[0]] = whole[1]
        steps.append({"write": _relative(whole[0], working_dir), "text": whole[1]})
    return working_dir or "/repo", steps


def mini_swe_agent(data: dict[str, Any]) -> tuple[str, list[dict[str, str]]]:
    steps: list[dict[str, str]] = []
    for message in data.get("messages") or []:
        if message.get("role") != "assistant":
            continue
        blocks = _BLOCK.findall(str(message.get("content") or ""))
        if len(blocks) != 1:  # the agent runs exactly one block; other turns ran nothing
            continue
        command = blocks[0].strip()
        if not command or "COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT" in command:
            continue
        steps.append({"run": command})
        for heredoc in _HEREDOC.finditer(command):
            target = heredoc.group("a") or heredoc.group("b")
            if target and not target.startswith(("/dev/", "$")):
                text = heredoc.group("body") + "\n"
                steps.append({"write": _relative(target, "/testbed"), "text": text})
    return "/testbed", steps


def records(paths: list[Path]) -> Iterator[dict[str, Any]]:
    for root in paths:
        files = sorted(root.rglob("*.traj*")) if root.is_dir() else [root]
        for path in files:
            if not path.name.endswith((".traj", ".traj.json")):
                continue
            data = json.loads(path.read_text())
            if not isinstance(data, dict):
                continue
            reader = swe_agent if "trajectory" in data else mini_swe_agent
            working_dir, steps = reader(data)
            if any("run" in step for step in steps):
                yield {"source": str(path), "working_dir": working_dir, "steps": steps}


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    out = Path(argv[0])
    count = 0
    with out.open("w") as handle:
        for record in records([Path(p) for p in argv[1:]]):
            handle.write(json.dumps(record) + "\n")
            count += 1
    print(f"wrote {count} trajectories to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
