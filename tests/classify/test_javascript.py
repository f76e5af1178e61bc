"""Reading JavaScript (`node -e`, `node x.js`) with tree-sitter's grammar, when installed."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interlock.classify import classify
from interlock.model import Verb, most_severe

pytest.importorskip("tree_sitter_javascript")


def verb(command: str, cwd: Path | None = None) -> Verb:
    actions = classify("shell", command, cwd=str(cwd) if cwd is not None else None)
    return most_severe(a.verb for a in actions)


def node_e(code: str) -> Verb:
    return verb("node -e '" + code.replace("'", "'\\''") + "'")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("console.log(process.version)", Verb.WRITE),
        ("console.log(require('./package.json').version)", Verb.WRITE),
        ("require('child_process').execSync('rm -rf /srv/data')", Verb.DESTRUCTIVE),
        ("const {execSync: run} = require('node:child_process'); run('git status')", Verb.READ),
        (
            "const {rmSync} = require('fs'); rmSync('/var/lib/x', {recursive: true})",
            Verb.DESTRUCTIVE,
        ),
        (
            "const fs = require('fs'); fs.rmSync('dist', {recursive: true, force: true})",
            Verb.DESTRUCTIVE,
        ),
        ("import {writeFileSync} from 'fs'; writeFileSync('/etc/hosts', 'x')", Verb.DESTRUCTIVE),
        ("require('fs').writeFileSync('out.json', '{}')", Verb.WRITE),
        (
            "const d = require('fs').mkdtempSync('/tmp/x'); "
            "require('fs').rmSync(d, {recursive: true})",
            Verb.WRITE,
        ),
        ("fetch('https://api.example.test/v1/projects/1', {method: 'DELETE'})", Verb.DESTRUCTIVE),
        ("fetch('https://api.example.test/v1/projects')", Verb.READ),
        ("eval(process.argv[1])", Verb.UNKNOWN),
        ("new Function('return 1')()", Verb.UNKNOWN),
        ("require(process.env.MOD)", Verb.UNKNOWN),
        ("obj[name]()", Verb.UNKNOWN),
        ("import('fs').then(m => m.rmSync('/srv', {recursive: true}))", Verb.DESTRUCTIVE),
        ("await prisma.user.deleteMany()", Verb.DESTRUCTIVE),
        ("const x: number = 1", Verb.UNKNOWN),
    ],
)
def test_javascript_is_judged_by_its_calls(code: str, expected: Verb) -> None:
    assert node_e(code) is expected


def test_a_script_is_read_with_a_cwd(tmp_path: Path) -> None:
    (tmp_path / "server.js").write_text("require('http').createServer(() => {}).listen(3000)\n")
    (tmp_path / "clean.js").write_text(
        "require('fs').rmSync(require('os').homedir(), {recursive: true})\n"
    )
    assert verb("node server.js", tmp_path) is Verb.WRITE
    assert verb("node clean.js", tmp_path) is Verb.UNKNOWN  # a tree named at run time
    assert verb("node server.js") is Verb.UNKNOWN  # no cwd: not read


_DYNAMIC = [
    "eval(code)",
    "new Function(body)()",
    "require(name)",
    "handlers[key]()",
    "import(spec)",
]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.sampled_from(["let a = 1;", "console.log(a);", "const b = [1, 2].map(x => x);"]),
        max_size=5,
    ),
    st.sampled_from(_DYNAMIC),
)
def test_a_dynamic_construct_always_yields_unknown(lines: list[str], dynamic: str) -> None:
    code = " ".join([*lines, dynamic + ";"])
    assert any(a.verb is Verb.UNKNOWN for a in classify("shell", "node -e '" + code + "'"))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_reading_javascript_never_raises(text: str) -> None:
    assert classify("shell", "node -e '" + text.replace("'", "'\\''") + "'")
