"""Other guards' own test suites, run through the real `interlock check --batch`.

The cases in `guards/*.jsonl` were extracted from the test suites of open-source guards for
coding agents' shell commands (`scripts/extract_guard_suites.py`; provenance and licences in
`guards/SOURCES.toml`). Each line is one labelled command: `destructive` (the guard blocks
it) or `harmless` (the guard lets it through). "Stopped" means Interlock holds or denies a
destructive case on production; "passed" means it allows a harmless one. A case whose label
Interlock's documented semantics disagree with carries a `disagree` reason and is counted
apart. A case the guard's own test ran inside a directory (`cwd`) is run in the everyday
workspace (`workspace.py`) as well as without one.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tests.field_data import field_path

HERE = field_path("guards")  # other projects' suites: kept outside the repository


@dataclass(frozen=True)
class Case:
    suite: str
    command: str
    label: str  # "destructive" | "harmless"
    path: str
    cwd: bool = False
    disagree: str | None = None


@dataclass
class Verdict:
    case: Case
    decision: str
    risk: str
    reasons: list[str] = field(default_factory=list)

    @property
    def agrees(self) -> bool:
        """A destructive case is stopped (hold or deny); a harmless one is allowed."""
        if self.case.label == "destructive":
            return self.decision != "allow"
        return self.decision == "allow"


def cases() -> list[Case]:
    out: list[Case] = []
    for path in sorted(HERE.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            out.append(
                Case(
                    suite=path.stem,
                    command=row["command"],
                    label=row["label"],
                    path=row["path"],
                    cwd=bool(row.get("cwd")),
                    disagree=row.get("disagree"),
                )
            )
    return out


def interlock_bin() -> str:
    return str(Path(sys.executable).with_name("interlock"))


def run(all_cases: list[Case], cwd: Path | None) -> list[Verdict]:
    """Decide every case with one real `interlock check --batch -` process.

    Without `cwd` every case runs without a working directory (the production default, code
    unseen); with it, the cases whose guard test ran in a directory run there.
    """
    lines = []
    for case in all_cases:
        line: dict[str, object] = {"kind": "shell", "payload": case.command}
        if cwd is not None and case.cwd:
            line["cwd"] = str(cwd)
        lines.append(json.dumps(line))
    # The process runs in an empty directory: the checkout's own Makefile or package.json
    # must not answer for cases that name no working directory.
    with tempfile.TemporaryDirectory(prefix="interlock-guards-") as neutral:
        done = subprocess.run(
            [interlock_bin(), "check", "--batch", "-"],
            input="\n".join(lines) + "\n",
            capture_output=True,
            text=True,
            check=True,
            cwd=neutral,
        )
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(answers) == len(all_cases), done.stderr[-2000:]
    return [
        Verdict(case, a["decision"], a["risk"], list(a.get("reasons", [])))
        for case, a in zip(all_cases, answers, strict=True)
    ]


@dataclass(frozen=True)
class Score:
    """Counts over the cases Interlock agrees are labelled right, and (`raw_*`) over all."""

    stopped: int
    destructive: int
    passed: int
    harmless: int
    disagreements: int
    raw_stopped: int = 0
    raw_destructive: int = 0
    raw_passed: int = 0
    raw_harmless: int = 0

    @property
    def stopped_pct(self) -> float:
        return 100 * self.stopped / max(self.destructive, 1)

    @property
    def passed_pct(self) -> float:
        return 100 * self.passed / max(self.harmless, 1)

    @property
    def raw_stopped_pct(self) -> float:
        return 100 * self.raw_stopped / max(self.raw_destructive, 1)

    @property
    def raw_passed_pct(self) -> float:
        return 100 * self.raw_passed / max(self.raw_harmless, 1)


def score(verdicts: list[Verdict]) -> Score:
    counted = [v for v in verdicts if v.case.disagree is None]
    destructive = [v for v in counted if v.case.label == "destructive"]
    harmless = [v for v in counted if v.case.label == "harmless"]
    raw_destructive = [v for v in verdicts if v.case.label == "destructive"]
    raw_harmless = [v for v in verdicts if v.case.label == "harmless"]
    return Score(
        stopped=sum(v.agrees for v in destructive),
        destructive=len(destructive),
        passed=sum(v.agrees for v in harmless),
        harmless=len(harmless),
        disagreements=len(verdicts) - len(counted),
        raw_stopped=sum(v.agrees for v in raw_destructive),
        raw_destructive=len(raw_destructive),
        raw_passed=sum(v.agrees for v in raw_harmless),
        raw_harmless=len(raw_harmless),
    )


def main(argv: list[str]) -> int:
    """Print each suite's figures (and with `--misses`, every case Interlock gets wrong)."""
    from tests.classify.corpus import workspace

    all_cases = cases()
    root = workspace.build(Path(tempfile.mkdtemp(prefix="interlock-guards-")))
    for title, cwd in (("no cwd", None), ("cwd where the guard's test had one", root)):
        verdicts = run(all_cases, cwd)
        print(f"== {title}")
        for suite in sorted({c.suite for c in all_cases}):
            mine = [v for v in verdicts if v.case.suite == suite]
            s = score(mine)
            print(
                f"{suite:<28} destructive stopped {s.stopped}/{s.destructive}"
                f" ({s.stopped_pct:.1f}%)  harmless passed {s.passed}/{s.harmless}"
                f" ({s.passed_pct:.1f}%)  disagreements {s.disagreements}"
                f"  [every label as given: {s.raw_stopped_pct:.1f}% / {s.raw_passed_pct:.1f}%]"
            )
        s = score(verdicts)
        print(
            f"{'all':<28} {s.stopped_pct:.1f}% stopped, {s.passed_pct:.1f}% passed"
            f"  [every label as given: {s.raw_stopped_pct:.1f}% / {s.raw_passed_pct:.1f}%]"
        )
        if "--misses" in argv:
            for v in verdicts:
                if not v.agrees and v.case.disagree is None:
                    why = "; ".join(v.reasons)[:150]
                    print(f"  MISS {v.case.label:<11} {v.risk:<11} {v.case.command!r}  # {why}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
