"""Invalid policy files fail loudly at load, naming the file and the line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interlock.errors import PolicyError
from interlock.policy import load_policies, load_policy_texts
from interlock.policy._source import UnterminatedText, split_statements

GOOD = 'permit (principal, action == Action::"read", resource);\n'


def load_text(text: str) -> None:
    load_policy_texts([("team.cedar", text)])


def test_parse_error_names_file_and_line() -> None:
    with pytest.raises(PolicyError) as info:
        load_text(
            GOOD
            + "\n// a comment; with a semicolon\n"
            + "permit (principal, action, resource) when { x == };\n"
        )
    assert info.value.path == "team.cedar"
    assert info.value.line == 4
    assert str(info.value).startswith("team.cedar:4: does not parse")


def test_schema_violation_names_the_policy_line() -> None:
    text = GOOD + 'forbid (principal, action, resource) when { resource.colour == "red" };\n'
    with pytest.raises(PolicyError) as info:
        load_text(text)
    assert info.value.line == 2
    assert "schema" in str(info.value)


def test_unknown_entity_type_is_rejected() -> None:
    with pytest.raises(PolicyError, match=r"team\.cedar:1"):
        load_text("permit (principal is Robot, action, resource);")


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (GOOD + "permit (principal, action, resource)", 2, "not terminated"),
        (GOOD + ";", 2, "stray"),
        (GOOD + '@reason("unclosed)\npermit (principal, action, resource);', 2, "string literal"),
    ],
)
def test_lexical_errors(text: str, line: int, fragment: str) -> None:
    with pytest.raises(PolicyError) as info:
        load_text(text)
    assert info.value.line == line
    assert fragment in str(info.value)


def test_duplicate_ids_are_rejected() -> None:
    text = '@id("a")\n' + GOOD + '@id("a")\n' + GOOD
    with pytest.raises(PolicyError, match="duplicate policy id 'a'"):
        load_text(text)


def test_approval_on_a_permit_is_a_mistake() -> None:
    with pytest.raises(PolicyError, match="@approval belongs on a forbid"):
        load_text('@approval("required")\n' + GOOD)


def test_empty_policy_set_is_refused() -> None:
    with pytest.raises(PolicyError, match="nothing would ever be allowed"):
        load_text("// only a comment\n")


def test_missing_files_and_empty_directories(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="no such policy file"):
        load_policies([tmp_path / "nope.cedar"])
    with pytest.raises(PolicyError, match=r"no \.cedar files"):
        load_policies([tmp_path])


def test_ids_default_to_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "a.cedar").write_text("\n\n" + GOOD)
    bundle = load_policies([tmp_path])
    assert list(bundle.policies) == ["a.cedar:3"]
    assert bundle.policies["a.cedar:3"].path.endswith("a.cedar")


def test_version_changes_with_the_text() -> None:
    one = load_policy_texts([("x.cedar", GOOD)])
    two = load_policy_texts([("x.cedar", GOOD + GOOD)])
    assert one.version != two.version


def test_default_pack_loads() -> None:
    bundle = load_policies()
    assert "hold-destructive-production" in bundle.policies
    assert bundle.policies["hold-destructive-production"].approvable
    assert bundle.policies["protect-backups"].effect == "forbid"


@given(
    st.lists(st.sampled_from(["a", ";", '"', "\\", "//", "\n", " ", "x;y", '"a;b"']), max_size=30)
)
def test_splitter_never_crashes_and_keeps_all_code(parts: list[str]) -> None:
    text = "".join(parts)
    lines = text.count("\n") + 1
    try:
        statements = split_statements(text)
    except UnterminatedText as exc:
        assert 1 <= exc.line <= lines
        return
    # The statements are the text itself, cut at each `;`, in order: nothing dropped,
    # nothing repeated; what follows the last one is only blanks and comments.
    joined = "".join(s.text for s in statements)
    assert text.startswith(joined)
    assert re.sub(r"//[^\n]*", "", text[len(joined) :]).strip() == ""
    offset = 0
    for statement in statements:  # its line is the line of its first code character
        blank = re.match(r"(?:\s|//[^\n]*)*", statement.text)
        assert blank is not None
        assert statement.line == text.count("\n", 0, offset + blank.end()) + 1, statement
        offset += len(statement.text)
