"""Words as bash reads them: a double-quoted string keeps every character between its
quotes, newlines included (`python -c "…"` over several lines is judged by its real code);
and `$!` names a job the same command line started."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from interlock.classify.shell import classify
from interlock.classify.shell._parse import parse
from interlock.model import Verb, most_severe

_PLAIN = st.text(
    alphabet=st.characters(blacklist_characters='$`"\\!\x00', blacklist_categories=("Cs",)),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(_PLAIN)
def test_a_double_quoted_word_keeps_its_text(text: str) -> None:
    words = parse(f'echo "{text}"').commands[0].words
    assert words[1].value == text


def test_multi_line_python_c_is_judged_by_its_code() -> None:
    quiet = 'python3 -c "\nimport sys\nprint(sys.version)\n"'
    assert most_severe(a.verb for a in classify(quiet, 0)) is Verb.WRITE
    loud = "python3 -c \"\nimport shutil\nshutil.rmtree('/home')\n\""
    assert most_severe(a.verb for a in classify(loud, 0)) is Verb.DESTRUCTIVE


def kill_verb(command: str) -> Verb:
    return most_severe(a.verb for a in classify(command, 0) if a.operation == "shell:kill")


def test_killing_a_job_the_line_started_is_a_write() -> None:
    assert kill_verb("python -m http.server & PID=$!; sleep 1; kill $PID") is Verb.WRITE
    assert kill_verb('node s.js & P=$!\nsleep 2\nkill "${P}"') is Verb.WRITE
    assert kill_verb("sleep 9 & kill $!") is Verb.WRITE


def test_a_pid_from_elsewhere_stays_unknown() -> None:
    assert kill_verb("kill $PID") is Verb.UNKNOWN
    assert kill_verb("PID=$(cat /run/nginx.pid); kill $PID") is Verb.UNKNOWN
    assert kill_verb("PID=$!; PID=$(pgrep sshd); kill $PID") is Verb.UNKNOWN
