"""Reading code a command runs: a 200-line Python script judged with ast, and the flag rate
of the everyday corpus (tests/classify/corpus) in its workspace.

`classify_code_python_p50_us` reads and judges the script on every call (the registry's
cache is bypassed whenever a cwd is given). `classify_shell_everyday_flag_pct` is the share
of everyday commands held as unknown or destructive; the issue's target is at most 3%.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.classify.corpus import workspace

from benchmarks._timing import percentiles_us
from interlock.classify import classify
from interlock.model import Verb, most_severe

_BLOCK = '''
def step_{n}(rows, out_dir):
    """Transform the rows and write a report."""
    total = 0
    for row in rows:
        if row.get("kind") == "x":
            total += int(row["value"])
    path = os.path.join(out_dir, "report_{n}.txt")
    with open(path, "w") as handle:
        handle.write(str(total))
    result = subprocess.run(["git", "status", "--short"], capture_output=True, text=True)
    print(result.stdout, json.dumps({{"total": total}}))
    return total

'''


def script_of_200_lines() -> str:
    head = "import json\nimport os\nimport subprocess\nimport tempfile\n\n"
    body = "".join(_BLOCK.format(n=n) for n in range(14))
    tail = "out = tempfile.mkdtemp()\nfor n in range(14):\n    globals()['step_%d' % n]([], out)\n"
    return head + body + tail


def run() -> dict[str, float]:
    root = Path(tempfile.mkdtemp(prefix="interlock-bench-"))
    (root / "report.py").write_text(script_of_200_lines())
    cwd = str(root)
    python = percentiles_us(
        lambda: classify("shell", "python report.py", cwd=cwd), iterations=400, warmup=20
    )
    corpus_root = workspace.build(Path(tempfile.mkdtemp(prefix="interlock-everyday-")))
    commands = workspace.commands()
    flagged = 0
    for command in commands:
        actions = classify("shell", command, cwd=str(corpus_root))
        if most_severe(a.verb for a in actions) in (Verb.UNKNOWN, Verb.DESTRUCTIVE):
            flagged += 1
    return {
        "classify_code_python_p50_us": python["p50"],
        "classify_code_python_p99_us": python["p99"],
        "classify_shell_everyday_flag_pct": round(100 * flagged / len(commands), 2),
    }
