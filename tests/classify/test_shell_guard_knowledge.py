"""Properties of the knowledge the guard suites brought: a copy onto another machine's OS
files, and `find` tests whose value looks like an action."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from interlock.classify import classify
from interlock.model import Verb, most_severe

_OS_DIRS = ["/etc", "/bin", "/sbin", "/usr/bin", "/usr/local/bin", "/lib", "/lib64", "/boot"]
_NAME = st.from_regex(r"[a-z][a-z0-9_-]{0,12}", fullmatch=True)
_HOST = st.one_of(_NAME, st.builds(lambda u, h: f"{u}@{h}", _NAME, _NAME))


def _risk(command: str) -> Verb:
    return most_severe(a.verb for a in classify("shell", command))


@given(
    tool=st.sampled_from(["scp", "scp -r", "scp -P 2222", "rsync -av", "rsync -az --progress"]),
    source=_NAME,
    host=_HOST,
    directory=st.sampled_from(_OS_DIRS),
    into=st.booleans(),
)
def test_a_copy_onto_a_remote_os_directory_is_destructive(
    tool: str, source: str, host: str, directory: str, into: bool
) -> None:
    destination = f"{directory}/" if into else f"{directory}/{source}"
    assert _risk(f"{tool} {source} {host}:{destination}") is Verb.DESTRUCTIVE


@given(
    tool=st.sampled_from(["scp", "rsync -av"]),
    source=_NAME,
    host=_HOST,
    directory=st.sampled_from(["/srv/app", "/home/deploy", "/tmp", "/data", "/opt/app"]),
)
def test_a_copy_onto_application_data_or_a_home_stays_a_write(
    tool: str, source: str, host: str, directory: str
) -> None:
    assert _risk(f"{tool} {source} {host}:{directory}/") is Verb.WRITE


@given(
    test=st.sampled_from(["-name", "-iname", "-path", "-regex", "-newer", "-printf", "-user"]),
    value=st.sampled_from(["-delete", "-exec", "-fprint", "-execdir"]),
    root=st.sampled_from([".", "src", "/var/log"]),
)
def test_a_find_test_value_is_never_an_action(test: str, value: str, root: str) -> None:
    assert _risk(f"find {root} {test} {value} -print") is Verb.READ


@given(
    test=st.sampled_from(["-name", "-iname", "-path", "-type", "-mtime"]),
    value=st.sampled_from(["x", "'*.log'", "f", "+7"]),
)
def test_a_delete_after_valued_tests_still_deletes(test: str, value: str) -> None:
    assert _risk(f"find / {test} {value} -delete") is Verb.DESTRUCTIVE
