"""Reading the code a command runs (`interlock.classify.code` and the shell's use of it).

The corpus of cases with files lives in cases/shell-code.yaml; here are the properties and
the pieces that a case file cannot express (the check contract, bounds, state across a
command line).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlock.checking import Checker, CheckRequest, parse_batch_line
from interlock.classify import classify
from interlock.classify.code import Workspace, judge_delete, regenerable
from interlock.errors import InputError
from interlock.model import Verb, most_severe


def verb(command: str, cwd: Path | None = None) -> Verb:
    actions = classify("shell", command, cwd=str(cwd) if cwd is not None else None)
    return most_severe(a.verb for a in actions)


def python_verb(source: str, tmp_path: Path) -> Verb:
    (tmp_path / "script.py").write_text(source)
    return verb("python script.py", tmp_path)


def git_repo(path: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        target = path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.test", "-C", str(path)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "x"], check=True)
    return path


# --- Python ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("print('hello')", Verb.WRITE),
        ("import shutil\nshutil.rmtree('/srv/data')", Verb.DESTRUCTIVE),
        ("from shutil import rmtree as r\nr('/var/lib/postgresql')", Verb.DESTRUCTIVE),
        (
            "import os\nos.remove(os.path.expanduser('~/.local/state/app/db.json'))",
            Verb.DESTRUCTIVE,
        ),
        ("import tempfile, shutil\nd = tempfile.mkdtemp()\nshutil.rmtree(d)", Verb.WRITE),
        ("import os\nos.system('rm -rf /srv')", Verb.DESTRUCTIVE),
        ("import subprocess\nsubprocess.run(['git', 'status'])", Verb.READ),
        ("import subprocess\nsubprocess.run(['git', 'push', '--force'])", Verb.DESTRUCTIVE),
        (
            "import subprocess\nsubprocess.run(f'kubectl delete ns {ns}', shell=True)",
            Verb.DESTRUCTIVE,
        ),
        ("import subprocess\nsubprocess.run(cmd, shell=True)", Verb.UNKNOWN),
        ("open('/etc/hosts', 'w').write('x')", Verb.DESTRUCTIVE),
        ("open('out.txt', 'w').write('x')", Verb.WRITE),
        ("import requests\nrequests.get('https://example.test/api')", Verb.READ),
        ("exec(open('x.py').read())", Verb.UNKNOWN),
        ("eval('1 + 1')", Verb.UNKNOWN),
        ("getattr(os, name)('x')", Verb.UNKNOWN),
        ("__import__(module_name)", Verb.UNKNOWN),
        ("import importlib\nimportlib.import_module('json')", Verb.WRITE),
        ("User.objects.all().delete()", Verb.DESTRUCTIVE),
        (
            "from django.conf import settings\n"
            "settings.configure(DATABASES={'default': {'NAME': ':memory:'}})\n"
            "User.objects.all().delete()",
            Verb.WRITE,
        ),
        ("import pandas as pd\ndf = pd.DataFrame()\ndf.drop_duplicates()", Verb.WRITE),
        ("print 'python 2'", Verb.UNKNOWN),
        ("import os\nf = os.system\nf('rm -rf /srv')", Verb.DESTRUCTIVE),
        ("import os\ngetattr(os, 'system')('rm -rf /srv')", Verb.DESTRUCTIVE),
        ("getattr(__import__('os'), 'system')('rm -rf /srv')", Verb.DESTRUCTIVE),
        ("__import__('shutil').rmtree('/srv')", Verb.DESTRUCTIVE),
        ("from subprocess import *\nrun('rm -rf /srv', shell=True)", Verb.DESTRUCTIVE),
        ("import sys\nsys.modules['os'].system('ls')", Verb.UNKNOWN),
        ("vars(os)['system']('ls')", Verb.UNKNOWN),
    ],
)
def test_python_is_judged_by_its_calls(source: str, expected: Verb, tmp_path: Path) -> None:
    assert python_verb(source, tmp_path) is expected


def test_python_sql_and_http_go_to_their_classifiers(tmp_path: Path) -> None:
    source = (
        "import psycopg2\nconn = psycopg2.connect('postgresql://db/prod')\n"
        "conn.cursor().execute('DROP TABLE orders')\n"
        "import requests\nrequests.delete('https://api.example.test/v1/projects/1')\n"
    )
    (tmp_path / "x.py").write_text(source)
    actions = classify("shell", "python x.py", cwd=str(tmp_path))
    protocols = {a.protocol for a in actions}
    assert {"sql", "http"} <= protocols
    assert any(a.operation == "sql:DROP TABLE" for a in actions)


def test_python_one_liners_are_read_without_a_cwd() -> None:
    assert verb('python -c "import sys; print(sys.version)"') is Verb.WRITE
    assert verb("python3 -c 'import shutil; shutil.rmtree(\"/srv\")'") is Verb.DESTRUCTIVE
    assert verb("python - <<'EOF'\nimport os\nos.system('rm -rf /srv')\nEOF") is Verb.DESTRUCTIVE


def test_a_script_is_unknown_without_a_cwd_or_a_file(tmp_path: Path) -> None:
    assert verb("python check_fix.py") is Verb.UNKNOWN
    assert verb("python check_fix.py", tmp_path) is Verb.UNKNOWN


_DYNAMIC = [
    "exec(code)",
    "eval(expression)",
    "getattr(obj, attribute_name)()",
    "__import__(module_name)",
    "compile(text, 'x', 'exec')",
]
_SAFE_LINES = st.sampled_from(
    ["x = 1", "print(x)", "import json", "y = [i for i in range(3)]", "def f(a):\n    return a",
     "class C:\n    pass", "s = 'text'.upper()", "import os\np = os.path.join('a', 'b')"]
)  # fmt: skip


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=st.lists(_SAFE_LINES, max_size=6),
    dynamic=st.sampled_from(_DYNAMIC),
    position=st.integers(0, 6),
)
def test_a_dynamic_construct_always_yields_unknown(
    lines: list[str], dynamic: str, position: int, tmp_path: Path
) -> None:
    body = list(lines)
    body.insert(min(position, len(body)), dynamic)
    source = "\n".join(body) + "\n"
    assert python_verb(source, tmp_path) in (Verb.UNKNOWN, Verb.DESTRUCTIVE)
    assert any(a.verb is Verb.UNKNOWN for a in classify("shell", "python -c " + _quote(source)))


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_reading_python_never_raises(text: str) -> None:
    actions = classify("shell", "python -c " + _quote(text))
    assert actions
    assert all(a.reason for a in actions)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.text(alphabet="abc:=\t\n$()@-%. /", max_size=200),
    target=st.sampled_from(["", "all", "x"]),
)
def test_reading_a_makefile_never_raises(text: str, target: str, tmp_path: Path) -> None:
    (tmp_path / "Makefile").write_text(text)
    assert classify("shell", f"make {target}".strip(), cwd=str(tmp_path))


def test_code_too_large_is_unknown(tmp_path: Path) -> None:
    assert python_verb("x = 1\n" * 60_000, tmp_path) is Verb.UNKNOWN


def test_reading_is_bounded_in_files(tmp_path: Path) -> None:
    for index in range(40):
        (tmp_path / f"s{index}.py").write_text("print(1)\n")
    command = " && ".join(f"python s{index}.py" for index in range(40))
    actions = classify("shell", command, cwd=str(tmp_path))
    assert any(a.verb is Verb.UNKNOWN for a in actions)  # past the file budget: not read


# --- shell scripts, make, package.json ------------------------------------------------------


def test_shell_scripts_are_read_recursively_with_their_arguments(tmp_path: Path) -> None:
    (tmp_path / "clean.sh").write_text('#!/bin/sh\nrm -rf "$1"\n')
    (tmp_path / "clean.sh").chmod(0o755)
    assert verb("bash clean.sh /srv/data", tmp_path) is Verb.DESTRUCTIVE
    assert verb("./clean.sh /tmp/scratch", tmp_path) is Verb.WRITE
    (tmp_path / "outer.sh").write_text("sh clean.sh /var/lib/app\n")
    assert verb("sh outer.sh", tmp_path) is Verb.DESTRUCTIVE


def test_make_runs_the_recipes_of_the_goal_and_its_prerequisites(tmp_path: Path) -> None:
    (tmp_path / "Makefile").write_text(
        "DB := prod\n.PHONY: test deploy\n\ntest: build\n\tpytest -q\n\n"
        "build:\n\tcc -o app main.c\n"
        "\ndeploy: test\n\t@psql -h $(DB) -c 'DROP TABLE sessions'\n\nall:\n\t$(MAKE) test\n"
    )
    assert verb("make test", tmp_path) is Verb.WRITE
    assert verb("make deploy", tmp_path) is Verb.DESTRUCTIVE
    assert verb("make all", tmp_path) is Verb.WRITE
    assert verb("make nosuchtarget", tmp_path) is Verb.UNKNOWN
    assert verb("make -n deploy", tmp_path) is Verb.READ
    assert verb("make test") is Verb.UNKNOWN  # no cwd: the recipe cannot be seen


def test_package_json_scripts_with_pre_and_post(tmp_path: Path) -> None:
    scripts = {"build": "tsc", "prebuild": "rm -rf /srv/cache", "test": "vitest run"}
    (tmp_path / "package.json").write_text(json.dumps({"scripts": scripts}))
    assert verb("npm run build", tmp_path) is Verb.DESTRUCTIVE
    assert verb("npm test", tmp_path) is Verb.WRITE
    assert verb("yarn test", tmp_path) is Verb.WRITE
    assert verb("npm run nosuch", tmp_path) is Verb.UNKNOWN
    assert verb("npm install", tmp_path) is Verb.WRITE


def test_conftest_is_read_for_pytest(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "conftest.py").write_text("import shutil\nshutil.rmtree('/srv/data')\n")
    assert verb("pytest tests", tmp_path) is Verb.DESTRUCTIVE
    assert verb("python -m pytest tests/test_x.py", tmp_path) is Verb.DESTRUCTIVE


def test_a_file_written_earlier_in_the_command_line_is_read_from_its_text(tmp_path: Path) -> None:
    (tmp_path / "t.py").write_text("print('old, harmless')\n")
    written = "cat > t.py <<'EOF'\nimport shutil\nshutil.rmtree('/srv/data')\nEOF\npython t.py"
    assert verb(written, tmp_path) is Verb.DESTRUCTIVE
    assert verb('echo "$X" > t.py && python t.py', tmp_path) is Verb.UNKNOWN


def test_cd_moves_the_workspace(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.py").write_text("print(1)\n")
    assert verb("cd sub && python x.py", tmp_path) is Verb.WRITE
    assert verb("python x.py", tmp_path) is Verb.UNKNOWN
    assert verb('cd "$SOMEWHERE" && python x.py', tmp_path / "sub") is Verb.UNKNOWN


# --- paths --------------------------------------------------------------------------------


def test_deletions_inside_a_worktree_follow_git(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo", {"src/app.py": "x = 1\n", ".gitignore": "out/\n"})
    (repo / "out").mkdir()
    (repo / "out" / "a.bin").write_text("x")
    assert verb("rm -rf build node_modules .venv", repo) is Verb.WRITE
    assert verb("rm -rf out", repo) is Verb.WRITE  # ignored by git: generated
    assert verb("rm -rf src", repo) is Verb.WRITE  # tracked and clean: git restores it
    (repo / "src" / "new.py").write_text("y = 2\n")
    assert verb("rm -rf src", repo) is Verb.DESTRUCTIVE  # untracked work would be lost
    assert verb("rm -rf src") is Verb.DESTRUCTIVE  # no cwd: fail closed


def test_paths_outside_the_workspace(tmp_path: Path) -> None:
    workspace = Workspace.at(str(tmp_path))
    home = judge_delete("~/.local/state/tool/session-db.json", recursive=False, workspace=workspace)
    assert home is not None and home.verb is Verb.DESTRUCTIVE
    cache = judge_delete("~/.cache/pip", recursive=True, workspace=None)
    assert cache is not None and cache.verb is Verb.WRITE
    scratch = judge_delete("/tmp/run-1", recursive=True, workspace=None)
    assert scratch is not None and scratch.verb is Verb.WRITE
    assert judge_delete("build", recursive=True, workspace=None) is None
    assert regenerable("a/node_modules/x") and not regenerable("src/app")


# --- the check contract -------------------------------------------------------------------


def test_check_request_carries_cwd(tmp_path: Path) -> None:
    (tmp_path / "x.py").write_text("import os\nos.system('rm -rf /srv')\n")
    checker = Checker()
    with_cwd = checker.check(CheckRequest("shell", "python x.py", cwd=str(tmp_path)))
    without = checker.check(CheckRequest("shell", "python x.py"))
    assert with_cwd.risk is Verb.DESTRUCTIVE
    assert without.risk is Verb.UNKNOWN


def test_batch_lines_take_an_absolute_cwd(tmp_path: Path) -> None:
    line = json.dumps({"kind": "shell", "payload": "ls", "cwd": str(tmp_path)})
    assert parse_batch_line(line).cwd == str(tmp_path)
    with pytest.raises(InputError, match="absolute"):
        parse_batch_line(json.dumps({"kind": "shell", "payload": "ls", "cwd": "rel/dir"}))
    with pytest.raises(InputError, match="cwd"):
        parse_batch_line(json.dumps({"kind": "shell", "payload": "ls", "cwd": 3}))


def test_the_cli_takes_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from interlock.cli import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INTERLOCK_HOME", raising=False)
    (tmp_path / "x.py").write_text("print(1)\n")
    runner = CliRunner()
    with_cwd = runner.invoke(app, ["check", "shell", "python x.py", "--cwd", ".", "--json"])
    assert json.loads(with_cwd.stdout)["risk"] == "write", with_cwd.stdout
    without = runner.invoke(app, ["check", "shell", "python x.py", "--json"])
    assert json.loads(without.stdout)["risk"] == "unknown", without.stdout


# --- secret reads ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        "awk 1 .env",
        "cat < .env",
        "git show HEAD:.env",
        "git log -p -- .env",
        "cp .env x && cat x",
        "tar cf - .env | cat",
    ],
)
def test_every_way_of_printing_a_file_names_it_as_read(command: str) -> None:
    # The hooks look inside the files that read actions name (and refuse credentials).
    actions = classify("shell", command)
    assert any(a.verb is Verb.READ and ".env" in a.targets for a in actions), actions


def test_printing_the_whole_environment_is_not_a_plain_read() -> None:
    assert verb("env") is Verb.UNKNOWN
    assert verb("printenv") is Verb.UNKNOWN
    assert verb("printenv PATH") is Verb.READ


def test_writing_onto_the_path_or_home_data_is_destructive(tmp_path: Path) -> None:
    assert verb("cat > ~/.local/bin/ls <<'EOF'\nrm -rf ~\nEOF") is Verb.DESTRUCTIVE
    assert verb("cp tool ~/.local/bin/git", tmp_path) is Verb.DESTRUCTIVE
    assert verb("echo note > ~/notes-of-the-user.txt") is Verb.DESTRUCTIVE
    assert verb("cp ~/notes.txt .", tmp_path) is Verb.WRITE
    assert (
        verb(
            "python -m evil --help",
            _with(tmp_path, "evil.py", "import os\nos.system('rm -rf /srv')\n"),
        )
        is Verb.DESTRUCTIVE
    )


def _with(root: Path, name: str, text: str) -> Path:
    (root / name).write_text(text)
    return root


def test_a_fifo_is_never_read(tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / "script.py")  # reading it would block the check forever
    assert verb("python script.py", tmp_path) is Verb.UNKNOWN


def test_git_is_not_run_where_the_repository_names_programs(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo", {"src/app.py": "x = 1\n", ".gitattributes": "* filter=x\n"})
    marker = tmp_path / "ran"
    for key in ("core.fsmonitor", "filter.x.clean"):
        subprocess.run(["git", "-C", str(repo), "config", key, f"touch {marker}"], check=True)
    (repo / "src" / "app.py").write_text("x = 2\n")  # a change git would hash through the filter
    assert verb("rm -rf src", repo) is Verb.DESTRUCTIVE  # no git facts: fail closed
    assert not marker.exists()


def test_help_belongs_to_the_program_named(tmp_path: Path) -> None:
    assert verb("kubectl delete --help") is Verb.READ
    assert verb("npx some-package --help") is Verb.UNKNOWN  # npx runs the package
    assert verb("go run main.go --help") is not Verb.READ  # go runs main.go
    scripts = '{"scripts": {"dev": "rm -rf /srv/data && vite"}}'
    assert verb("yarn dev --help", _with(tmp_path, "package.json", scripts)) is Verb.DESTRUCTIVE


_WORKSPACE = Path(tempfile.mkdtemp(prefix="interlock-code-"))
(_WORKSPACE / "x.py").write_text("import os\nos.system('ls')\n")
(_WORKSPACE / "Makefile").write_text("all:\n\tpython x.py\n")
(_WORKSPACE / "package.json").write_text('{"scripts": {"build": "make"}}')
_COMMANDS = st.sampled_from(
    ["python x.py", "make", "npm run build", "./x.py", "bash x.py", "rm -rf ", "cd .. && ", ""]
)


@settings(max_examples=200, deadline=None)
@given(prefix=_COMMANDS, text=st.text(max_size=80))
def test_classifying_with_a_cwd_never_raises(prefix: str, text: str) -> None:
    actions = classify("shell", prefix + text, cwd=str(_WORKSPACE))
    assert actions
    assert all(a.reason for a in actions)
