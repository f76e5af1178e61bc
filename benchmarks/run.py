"""Run every `benchmarks/bench_*.py` and write `.bench/results.json`.

Each module exposes `run() -> dict[str, float]` returning flat metric names with their unit
in the name (`gate_hit_p50_us`). Results are merged into one flat JSON object.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    only = set(argv)
    results: dict[str, float] = {}
    for path in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        name = path.stem
        if only and name not in only and name.removeprefix("bench_") not in only:
            continue
        module = importlib.import_module(f"benchmarks.{name}")
        print(f"== {name}", flush=True)
        figures = module.run()
        for key, value in figures.items():
            print(f"   {key:<32} {value}")
        results.update(figures)
    out = ROOT / ".bench" / "results.json"
    out.parent.mkdir(exist_ok=True)
    previous = json.loads(out.read_text()) if out.exists() and only else {}
    previous.update(results)
    out.write_text(json.dumps(previous, indent=2, sort_keys=True) + "\n")
    print(f"wrote {out.relative_to(ROOT)} ({len(previous)} metrics)")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main(sys.argv[1:]))
