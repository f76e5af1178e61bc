"""Other guards' own test suites (the field data's `guards/`, kept outside the repository:
see tests/field_data.py; without it this benchmark reports nothing), through the real
`interlock check --batch`, without a working directory (the production default).

`guards_destructive_stopped_pct` and `guards_harmless_passed_pct` leave out the cases whose
label Interlock's semantics disagree with (each with its reason in disagreements.toml);
the `_raw_` figures count every label as the guards gave it. Issue 16's goals: at least 95%
stopped and 90% passed.
"""

from __future__ import annotations

from tests.classify.corpus import guard_suites


def run() -> dict[str, float]:
    if not guard_suites.HERE.is_dir():
        return {}
    score = guard_suites.score(guard_suites.run(guard_suites.cases(), None))
    return {
        "guards_destructive_stopped_pct": round(score.stopped_pct, 2),
        "guards_harmless_passed_pct": round(score.passed_pct, 2),
        "guards_raw_destructive_stopped_pct": round(score.raw_stopped_pct, 2),
        "guards_raw_harmless_passed_pct": round(score.raw_passed_pct, 2),
        "guards_cases": float(len(guard_suites.cases())),
    }
