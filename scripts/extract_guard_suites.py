"""Extract the labelled cases of other guards' test suites into the field data's guards/ folder.

Usage:
    python scripts/extract_guard_suites.py SUITE=GIT_DIR[@COMMIT] ...

SUITE is one of the suites below; GIT_DIR a clone (or bare mirror) of its repository. Each
suite's cases are written to `guards/SUITE.jsonl`: the command, its label (`destructive`
when the guard's test asserts it is blocked, `harmless` when it asserts it is allowed), the
file it came from, `cwd` when the guard's test ran it inside a directory, and `disagree`
when Interlock's documented semantics disagree with the label (from `disagreements.toml`,
kept by hand). `SOURCES.toml` records the repository, commit and licence of each suite.
Only suites whose licence allows redistribution (MIT, Apache-2.0, BSD) are listed here.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import yaml

OUT = Path(__file__).resolve().parent.parent / "tests" / "classify" / "corpus" / "guards"


def _git(repo: str, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", repo, *args], capture_output=True, text=True, check=True
    ).stdout


def _files(repo: str, commit: str, under: str, suffix: str) -> list[str]:
    names = _git(repo, "ls-tree", "-r", "--name-only", commit, under).split("\n")
    return [name for name in names if name.endswith(suffix)]


# ---------------------------------------------------------------- destructive_command_guard
_RUST_STRING = re.compile(r'r(#*)"(.*?)"\1|"((?:[^"\\]|\\.)*)"', re.S)
_RUST_CALL = re.compile(
    r"\b(assert_blocks_with_pattern|assert_blocks_with_severity|assert_blocks|assert_allows"
    r"|assert_safe_pattern_matches|assert_no_match|test_batch_blocks|test_batch_allows)"
    r"\s*\(\s*&?\w+\s*,(.*?)\)\s*;",
    re.S,
)


def _rust_strings(text: str) -> list[str]:
    out = []
    for match in _RUST_STRING.finditer(text):
        if match.group(2) is not None:
            out.append(match.group(2))
            continue
        raw = re.sub(r"\\\n\s*", "", match.group(3))
        out.append(raw.encode().decode("unicode_escape") if "\\" in raw else raw)
    return out


def dcg(repo: str, commit: str) -> list[dict[str, object]]:
    """Pack unit tests, the regression corpus, the YAML fixtures and the e2e command lists."""
    cases: list[dict[str, object]] = []
    for name in _files(repo, commit, "src/packs", ".rs"):
        for match in _RUST_CALL.finditer(_git(repo, "show", f"{commit}:{name}")):
            function, args = match.groups()
            label = "destructive" if "blocks" in function else "harmless"
            if function.startswith("test_batch"):
                commands = _rust_strings(args[: args.rfind("]") + 1])
            else:
                commands = _rust_strings(args)[:1]
            cases += [{"command": c, "label": label, "path": name} for c in commands]
    for name in ("tests/fixtures/destructive_commands.yaml", "tests/fixtures/safe_commands.yaml"):
        label = "destructive" if "destructive" in name else "harmless"
        # Read line by line: one of the files is not valid YAML as a whole.
        for line in _git(repo, "show", f"{commit}:{name}").splitlines():
            found = re.match(r"^\s*- command:\s*(.*)$", line)
            if not found:
                continue
            try:
                command = yaml.safe_load(found.group(1))
            except yaml.YAMLError:
                continue
            if isinstance(command, str):
                cases.append({"command": command, "label": label, "path": name})
    for name in _files(repo, commit, "tests/corpus", ".toml"):
        if "/edge_cases/" in name:  # must not crash; no label
            continue
        for case in tomllib.loads(_git(repo, "show", f"{commit}:{name}")).get("case", []):
            expected = case.get("expected") or case.get("expected_decision")
            if expected in ("allow", "deny") and "command" in case:
                label = "destructive" if expected == "deny" else "harmless"
                cases.append({"command": case["command"], "label": label, "path": name})
    for name, label in (
        ("tests/e2e/fixtures/commands/dangerous.txt", "destructive"),
        ("tests/e2e/fixtures/commands/safe.txt", "harmless"),
    ):
        for line in _git(repo, "show", f"{commit}:{name}").splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                cases.append({"command": line.strip(), "label": label, "path": name})
    return cases


# ---------------------------------------------------------------- claude-code-safety-net
_TS_CALL = re.compile(
    r"\b(assertBlocked|assertAllowed)\s*\(\s*"
    r"('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`(?:[^`\\]|\\.)*`)(\s*,\s*[^)]*)?\)",
    re.S,
)


def safety_net(repo: str, commit: str) -> list[dict[str, object]]:
    """assertBlocked / assertAllowed calls of the default rules (custom-rule tests left out)."""
    cases: list[dict[str, object]] = []
    for name in _files(repo, commit, "tests", ".test.ts"):
        if "rules-custom" in name:  # a user's own rules, not the guard's
            continue
        text = _git(repo, "show", f"{commit}:{name}")
        starts = [m.start() for m in re.finditer(r"\b(?:test|it)\(", text)] + [len(text)]
        for match in _TS_CALL.finditer(text):
            # A test that sets environment variables (paranoid modes, HOME) checks a
            # configuration of the guard, not its default: left out.
            begin = max((at for at in starts if at <= match.start()), default=0)
            end = min(at for at in starts if at > match.start())
            if "withEnv(" in text[begin:end]:
                continue
            function, literal, rest = match.groups()
            if literal.startswith("`") and "${" in literal:
                continue
            body = literal[1:-1]
            body = body.encode().decode("unicode_escape") if "\\" in body else body
            extra = [part for part in (rest or "").split(",") if part.strip()]
            blocked = function == "assertBlocked"
            row: dict[str, object] = {
                "command": body,
                "label": "destructive" if blocked else "harmless",
                "path": name,
            }
            if len(extra) >= (2 if blocked else 1):
                row["cwd"] = True
            cases.append(row)
    return cases


# ---------------------------------------------------------------- destructive-command-guard-go
# Its privacy rules (reading personal files, keys, mail) are a separate policy, allow-all by
# default: cases labelled only by them are not destructive cases and are left out.
_DCG_GO_PRIVACY = frozenset({
    "icloud-access", "keychain-dump", "keychain-read-password", "messages-db-access",
    "private-data-access", "spotlight-search", "ssh-private-key-access",
})  # fmt: skip


def _dcg_go_privacy(pack: str, rule: str) -> bool:
    return rule in _DCG_GO_PRIVACY or (pack == "personal.files" and rule.endswith("-access"))


def dcg_go(repo: str, commit: str) -> list[dict[str, object]]:
    """The golden files of every pack (`decision: Allow` harmless, `Ask`/`Deny` destructive),
    the guard's golden command list and the expanded corpus (rows with a rule destructive,
    rows without one harmless); privacy-only rules left out."""
    cases: list[dict[str, object]] = []
    for name in _files(repo, commit, ".", ".txt"):
        if "/testdata/golden/" not in name:
            continue
        text = _git(repo, "show", f"{commit}:{name}")
        if name.endswith("guard/testdata/golden/commands.txt"):
            for line in text.splitlines():
                decision, _, command = line.partition("|")
                if decision in ("Allow", "Ask", "Deny") and command:
                    label = "harmless" if decision == "Allow" else "destructive"
                    cases.append({"command": command, "label": label, "path": name})
            continue
        for block in text.split("\n---\n"):
            fields = dict(
                line.split(": ", 1)
                for line in block.splitlines()
                if ": " in line and line[0] != "#"
            )
            if _dcg_go_privacy(fields.get("pack", ""), fields.get("rule", "")):
                continue
            if fields.get("decision") in ("Allow", "Ask", "Deny") and fields.get("command"):
                label = "harmless" if fields["decision"] == "Allow" else "destructive"
                cases.append({"command": fields["command"], "label": label, "path": name})
    # The expanded corpus repeats each case with a counter (`/tmp/fdp3-1` … `-60`): one case
    # per shape is kept, so a repeated case does not weigh sixty times.
    shapes: set[str] = set()
    name = "internal/integration/testdata/golden/expanded_corpus.tsv"
    for line in _git(repo, "show", f"{commit}:{name}").splitlines():
        parts = line.split("\t")
        if line.startswith("#") or len(parts) != 4 or _dcg_go_privacy(parts[1], parts[2]):
            continue
        shape = re.sub(r"\d+", "N", parts[3])
        if shape in shapes:
            continue
        shapes.add(shape)
        label = "harmless" if parts[2] == "-" else "destructive"
        cases.append({"command": parts[3], "label": label, "path": name})
    return cases


SUITES: dict[str, tuple[str, str, Callable[[str, str], list[dict[str, object]]]]] = {
    "destructive_command_guard": ("Dicklesworthstone/destructive_command_guard", "MIT", dcg),
    "claude-code-safety-net": ("kenryu42/claude-code-safety-net", "MIT", safety_net),
    "destructive-command-guard-go": ("dcosson/destructive-command-guard-go", "MIT", dcg_go),
}


def _disagreements() -> dict[tuple[str, str], str]:
    data = tomllib.loads((OUT / "disagreements.toml").read_text())
    out = {}
    for entry in data.get("disagree", []):
        for command in entry["commands"]:
            out[(entry["label"], command)] = entry["reason"]
    return out


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 1
    disagree = _disagreements()
    sources = []
    for arg in argv:
        suite, _, location = arg.partition("=")
        repo, _, commit = location.partition("@")
        github, licence, extract = SUITES[suite]
        commit = _git(repo, "rev-parse", commit or "HEAD").strip()
        seen: set[tuple[str, str]] = set()
        lines = []
        for row in extract(repo, commit):
            key = (str(row["label"]), str(row["command"]))
            if key in seen or not str(row["command"]).strip():
                continue
            seen.add(key)
            if key in disagree:
                row["disagree"] = disagree[key]
            lines.append(json.dumps(row, ensure_ascii=False))
        (OUT / f"{suite}.jsonl").write_text("\n".join(lines) + "\n")
        sources.append(
            f'[{suite}]\nrepository = "https://github.com/{github}"\n'
            f'commit = "{commit}"\nlicense = "{licence}"\ncases = {len(lines)}\n'
        )
        print(f"{suite}: {len(lines)} cases at {commit[:12]}")
    header = (
        "# Where each suite's cases come from (written by scripts/extract_guard_suites.py).\n\n"
    )
    (OUT / "SOURCES.toml").write_text(header + "\n".join(sources))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
