"""Targeted tests of the shell classifier that a case file cannot express (what is handed to
other classifiers, reasons, details, properties); the cases are in cases/shell*.yaml."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import interlock.classify as registry
from interlock.classify.shell import classify
from interlock.classify.shell._parse import parse
from interlock.classify.shell._words import decode_ansi_c
from interlock.errors import PayloadError
from interlock.model import Action, Verb, most_severe, unknown_action


def verbs(command: str) -> Verb:
    return most_severe(a.verb for a in classify(command, 0))


def ops(command: str) -> set[str]:
    return {a.operation for a in classify(command, 0)}


class Capture:
    """A stand-in classifier that records the payloads handed to it."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.payloads: list[object] = []

    def __call__(self, payload: object, depth: int) -> list[Action]:
        self.payloads.append(payload)
        return [unknown_action(self.kind, "captured")]


@pytest.fixture
def capture_http() -> Iterator[Capture]:
    fake = Capture("http")
    previous = registry._loaded.get("http")
    registry.register("http", fake)
    yield fake
    if previous is None:
        registry._loaded.pop("http", None)
    else:
        registry.register("http", previous)
    registry._cache.clear()


@pytest.fixture
def capture_sql() -> Iterator[Capture]:
    fake = Capture("sql")
    previous = registry._loaded.get("sql")
    registry.register("sql", fake)
    yield fake
    if previous is None:
        registry._loaded.pop("sql", None)
    else:
        registry.register("sql", previous)
    registry._cache.clear()


# --- contract -------------------------------------------------------------------------------


def test_non_string_payload_raises() -> None:
    with pytest.raises(PayloadError):
        classify(42, 0)


def test_empty_input_is_a_read() -> None:
    assert [a.operation for a in classify("", 0)] == ["shell:none"]


def test_every_action_has_reason_and_bounded_detail() -> None:
    long = "echo " + "x" * 500
    for action in classify(f"rm -rf /tmp/a; {long}", 0):
        assert action.reason
        assert len(action.detail) <= 200


def test_depth_limit_is_unknown() -> None:
    assert verbs_at_depth("ls", registry.MAX_DEPTH + 1) is Verb.UNKNOWN


def verbs_at_depth(command: str, depth: int) -> Verb:
    return most_severe(a.verb for a in classify(command, depth))


def test_deep_nesting_of_bash_c_stops_at_max_depth() -> None:
    command = "ls"
    for _ in range(registry.MAX_DEPTH + 3):
        command = "bash -c " + "'" + command.replace("'", "'\\''") + "'"
    assert verbs(command) is Verb.UNKNOWN


def test_too_many_commands_is_unknown() -> None:
    assert verbs("; ".join(["ls"] * 400)) is Verb.UNKNOWN


# --- words ----------------------------------------------------------------------------------


def test_ansi_c_decoding() -> None:
    assert decode_ansi_c("\\x72\\x6d\\t\\u00e9\\101") == "rm\té" + "A"


def test_dynamic_command_name_is_unknown() -> None:
    assert ops("$CMD -rf /") == {"shell:dynamic"}
    assert verbs("${X} foo") is Verb.UNKNOWN


def test_brace_expansion_in_command_name_is_unknown() -> None:
    assert verbs("{rm,-rf,/tmp/x}") is Verb.UNKNOWN


# --- structure ------------------------------------------------------------------------------


def test_quoted_heredoc_does_not_run_substitutions() -> None:
    assert verbs("cat <<'EOF'\n$(rm -rf x)\nEOF") is Verb.READ


def test_comment_runs_nothing() -> None:
    assert verbs("# rm -rf /") is Verb.READ


def test_syntax_error_adds_unknown() -> None:
    actions = classify("ls 'unterminated", 0)
    assert any(a.verb is Verb.UNKNOWN and "does not parse" in a.reason for a in actions)


def test_pipeline_stdin_is_tracked() -> None:
    script = parse("echo hi | cat | sh")
    assert script.commands[2].stdin is not None
    assert script.commands[2].stdin.producer is script.commands[1]


# --- table ----------------------------------------------------------------------------------


def test_targets_and_reason() -> None:
    (action,) = classify("rm -rf /var/lib/data", 0)
    assert action.targets == ("/var/lib/data",)
    assert action.reason == "rm -r deletes /var/lib/data recursively"
    assert action.detail == "rm -rf /var/lib/data"
    assert action.reversible is False


def test_git_push_targets_remote_and_branch() -> None:
    (action,) = classify("git push origin feature", 0)
    assert action.targets == ("origin", "feature")


def test_dynamic_argument_that_could_be_a_flag_is_unknown() -> None:
    assert verbs("git push origin $BRANCH") is Verb.UNKNOWN
    assert verbs('git commit -m "$(date)"') is Verb.WRITE  # an option value cannot be a flag
    assert verbs("ls $DIR") is Verb.READ


def test_unknown_program() -> None:
    (action,) = classify("frobnicate --now", 0)
    assert action.verb is Verb.UNKNOWN
    assert action.operation == "shell:frobnicate"


# --- wrappers -------------------------------------------------------------------------------


def test_wrapper_is_named_in_reason() -> None:
    (action,) = classify("sudo rm -rf /srv", 0)
    assert "sudo" in action.reason


# --- redirections ---------------------------------------------------------------------------


# --- carriers -------------------------------------------------------------------------------


def test_psql_command_is_handed_to_sql(capture_sql: Capture) -> None:
    classify("psql -h db -U app -c 'DROP TABLE users' -c 'SELECT 1'", 0)
    assert capture_sql.payloads == ["DROP TABLE users", "SELECT 1"]


def test_psql_heredoc_is_handed_to_sql(capture_sql: Capture) -> None:
    classify("psql \"$DATABASE_URL\" <<'SQL'\nDELETE FROM orders;\nSQL", 0)
    assert capture_sql.payloads == ["DELETE FROM orders;\n"]


def test_sql_piped_from_echo_and_here_string(capture_sql: Capture) -> None:
    classify("echo 'TRUNCATE t' | psql; psql <<< 'VACUUM'; printf '%s\\n' 'SELECT 2' | mysql", 0)
    assert capture_sql.payloads == ["TRUNCATE t\n", "VACUUM\n", "SELECT 2\n"]


def test_psql_file_and_opaque_stdin_are_unknown(capture_sql: Capture) -> None:
    assert verbs("psql -f drop.sql") is Verb.UNKNOWN
    assert verbs("psql < drop.sql") is Verb.UNKNOWN
    assert verbs("generate | psql") is Verb.UNKNOWN
    assert capture_sql.payloads == []


def test_curl_hands_a_request_to_http(capture_http: Capture) -> None:
    actions = classify(
        "curl -X POST https://backboard.railway.app/graphql/v2 "
        '-H "Authorization: Bearer $RAILWAY_TOKEN" -H "Content-Type: application/json" '
        """-d '{"query":"mutation { volumeDelete(volumeId: \\"vol-prod-123\\") }"}'""",
        0,
    )
    assert any(a.protocol in ("http", "graphql") for a in actions)
    (payload,) = capture_http.payloads
    assert isinstance(payload, dict)
    assert payload["method"] == "POST"
    assert payload["url"] == "https://backboard.railway.app/graphql/v2"
    assert payload["headers"]["Content-Type"] == "application/json"
    assert payload["headers"]["Authorization"] == "<redacted>"
    assert "volumeDelete" in payload["body"]


@pytest.mark.parametrize(
    ("command", "method", "body"),
    [
        ("curl https://x.test/a", "GET", None),
        ("curl -I https://x.test/a", "HEAD", None),
        ("curl -d a=1 -d b=2 https://x.test/a", "POST", "a=1&b=2"),
        ("curl --json '{}' https://x.test/a", "POST", "{}"),
        ("curl -XDELETE https://x.test/a", "DELETE", None),
        ("curl --request=PUT https://x.test/a -d x", "PUT", "x"),
        ("http DELETE x.test/a", "DELETE", None),
        ("http x.test/a name=v", "POST", '{"name": "v"}'),
        ("wget -qO- --method=PATCH --body-data=z https://x.test/a", "PATCH", "z"),
    ],
)
def test_http_request_shape(
    capture_http: Capture, command: str, method: str, body: str | None
) -> None:
    classify(command, 0)
    payload = capture_http.payloads[-1]
    assert isinstance(payload, dict)
    assert payload["method"] == method
    assert payload.get("body") == body


def test_curl_get_appends_data_to_url(capture_http: Capture) -> None:
    classify("curl -G -d q=1 https://x.test/s", 0)
    assert capture_http.payloads == [
        {"method": "GET", "url": "https://x.test/s?q=1", "headers": {}}
    ]


def test_curl_body_from_file_is_unknown(capture_http: Capture) -> None:
    actions = classify("curl -d @body.json https://x.test/a", 0)
    assert any(a.protocol == "shell" and a.verb is Verb.UNKNOWN for a in actions)


def test_detail_never_contains_credentials() -> None:
    commands = [
        "curl -H 'Authorization: Bearer sekrit-token-123' https://x.test",
        "curl -u admin:sekrit https://x.test",
        "psql postgresql://app:sekrit@db/prod -c 'SELECT 1'",
        "PGPASSWORD=sekrit psql -c 'SELECT 1'",
        "mysql -psekrit -e 'SELECT 1'",
        "redis-cli -a sekrit GET k",
        "gh api --header 'X-Token: sekrit' /user",
        "tool --api-token sekrit",
        "tool --password=sekrit",
    ]
    for command in commands:
        for action in classify(command, 0):
            assert "sekrit" not in action.detail, (command, action.detail)


# --- properties -----------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_never_raises_on_arbitrary_text(text: str) -> None:
    actions = classify(text, 0)
    assert actions
    assert all(a.protocol in ("shell", "sql", "http", "graphql") for a in actions)


_SHELLISH = st.text(alphabet="ab $'\"`(){}[];|&<>\\-=*\n#", max_size=60)


@settings(max_examples=300, deadline=None)
@given(_SHELLISH)
def test_syntax_errors_always_yield_unknown(text: str) -> None:
    if parse(text).has_error:
        assert any(a.verb is Verb.UNKNOWN for a in classify(text, 0))


_NAMES = ["rm", "ls", "git", "kubectl", "dd", "chmod", "terraform", "psql", "sudo", "find"]
_ARGS = [
    "-rf /srv",
    "push -f",
    "delete pod x",
    "of=/dev/sda",
    "-R 000 /",
    "destroy",
    "-la",
    "status",
]


def _respell(word: str, style: int) -> str:
    if style == 0:
        return word
    if style == 1:
        return f"'{word}'"
    if style == 2:
        return f'"{word}"'
    if style == 3:
        return "\\" + word[0] + word[1:]
    if style == 4:
        return "$'" + "".join(f"\\x{ord(ch):02x}" for ch in word) + "'"
    return f"'{word[:1]}''{word[1:]}'"


@given(st.sampled_from(_NAMES), st.sampled_from(_ARGS), st.integers(0, 5))
def test_quoting_never_changes_the_verb(name: str, args: str, style: int) -> None:
    plain = verbs(f"{name} {args}")
    assert verbs(f"{_respell(name, style)} {args}") is plain


_ASTRAL_FUZZ = """
import random, sys
from interlock.classify.shell import classify
rng = random.Random(1234)
pool = [chr(c) for c in range(32, 127)] + ["{", "}", "\\n", "$(", "<<", "\\U000771a8",
        "\\U000ee563", "\\U0001f600", "\\U00010000", "\\U0010fffd", "\\u00e9", "\\u4e00"]
for _ in range(int(sys.argv[1])):
    classify("".join(rng.choice(pool) for _ in range(rng.randint(1, 40))), 0)
print("ok")
"""


def test_characters_above_the_bmp_do_not_crash_the_parser() -> None:
    # Regression: tree-sitter-bash 0.25 intermittently crashed the whole process (SIGSEGV)
    # on command lines holding characters above U+FFFF (hypothesis found `t{` followed by
    # such characters). The parser now sees them masked; run in a child so a crash fails
    # this test instead of killing the suite.
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _ASTRAL_FUZZ, "20000"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.strip() == "ok"


def test_text_above_the_bmp_is_read_back_exactly() -> None:
    (action,) = classify("rm -rf '/srv/\U0001f600 data'", 0)
    assert action.verb is Verb.DESTRUCTIVE
    assert action.targets == ("/srv/\U0001f600 data",)
