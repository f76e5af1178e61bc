"""Perl one-liners: text filters are reads, anything that acts beyond text stays unknown."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interlock.classify.shell import classify
from interlock.classify.shell._perl import one_liner
from interlock.model import Verb, most_severe


def verb(command: str) -> Verb:
    return most_severe(a.verb for a in classify(command, 0))


@pytest.mark.parametrize(
    "command",
    [
        "echo 0110 | perl -lpe '$_=pack\"B*\",$_'",
        "perl -ne 'print if /TODO/' src/app.py",
        "perl -lane 'print $F[0]' data.csv",
        "perl -0777 -pe 's/\\n+/\\n/g' notes.txt",
        "git log --oneline | perl -pe 's/^(\\w+)/[$1]/'",
        'perl -e \'print join(",", map { $_ * 2 } 1..5), "\\n"\'',
    ],
)
def test_text_filters_are_reads(command: str) -> None:
    assert verb(command) is Verb.READ


@pytest.mark.parametrize(
    "command",
    [
        "perl -e 'system(\"rm -rf /\")'",
        "perl -e '`rm -rf ~`'",
        "perl -e 'exec \"sh\"'",
        'perl -pe \'s/x/"sys"."tem"/ee\' a.txt',
        "perl -pe 's{x}{unlink 1}e' a.txt",
        "perl -e 'unlink glob \"*\"'",
        'perl -e \'open(my $f, ">", "/etc/hosts")\'',
        "perl -MFile::Path -e 'rmtree(\"src\")'",
        "perl -e 'use File::Path; rmtree(\"src\")'",
        "perl -e 'eval $ARGV[0]' x",
        "perl -e 'print $ENV{AWS_SECRET_ACCESS_KEY}'",
        "perl -e '&{\"CORE::GLOBAL::unlink\"}(1)'",
        "perl -e '$f->()'",
        "perl -ne 'print' 'rm -rf ~|'",
        "perl -ne 'print' '>important.txt'",
        'perl -e "$CODE"',
        "perl script.pl",
        "perl",
    ],
)
def test_code_that_acts_is_not_vouched_for(command: str) -> None:
    assert verb(command) in (Verb.UNKNOWN, Verb.DESTRUCTIVE)


def test_in_place_edits_are_writes_and_system_paths_destructive() -> None:
    assert verb("perl -pi -e 's/old/new/g' src/app/views.py") is Verb.WRITE
    assert verb("perl -i.bak -pe 's/a/b/' README.md") is Verb.WRITE
    assert verb("perl -pe 's/a/b/' -i README.md") is Verb.WRITE  # switches after the code
    assert verb("perl -pe 's/a/b/' -i /etc/hosts") is Verb.DESTRUCTIVE
    assert verb("perl -pi -e 's/a/b/' /etc/passwd") is Verb.DESTRUCTIVE
    assert verb("perl -pi -e 's/a/b/' ~/.bashrc") is Verb.DESTRUCTIVE
    assert verb("perl -pi -e 's/a/b/' .git/hooks/pre-commit") is Verb.UNKNOWN


_WORDS = st.lists(st.one_of(st.none(), st.text(max_size=30)), max_size=6)


@settings(max_examples=300, deadline=None)
@given(_WORDS)
def test_never_raises_and_acting_words_are_never_reads(args: list[str | None]) -> None:
    judged = one_liner(args)
    assert judged is None or judged[0] in ("read", "write", "unknown")
    # Whatever follows, a program with an acting line is never vouched for.
    judged = one_liner(["-ne", "print 1;", "-e", "system 'x'", *args])
    assert judged is not None and judged[0] == "unknown"
    # Whatever code a run-time word could be, it is never a read.
    judged = one_liner(["-e", "print 1;", None, *args])
    assert judged is not None and judged[0] == "unknown"
