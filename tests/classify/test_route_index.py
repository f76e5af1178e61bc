"""The route table's index by leading path segments answers exactly what trying every rule
in order would (first match wins), for any rules and any path."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from interlock.classify.http import RouteTable, parse_pack

_SEGMENT = st.sampled_from(
    ["v1", "v2", "repos", "Repos", "{id}", "{rest*}", "*", "**", "x", "_bulk"]
)
_REQUEST = st.sampled_from(["v1", "v2", "repos", "REPOS", "x", "42", "_bulk", "a.b"])


def _pack(templates: list[tuple[str, str]]) -> Any:
    lines = ['name = "p"']
    for index, (method, path) in enumerate(templates):
        lines += ["[[rule]]", f'method = "{method}"', f'path = "{path}"', 'verb = "write"']
        lines.append(f'operation = "r{index}"')
    return parse_pack("\n".join(lines), "p.toml")


@settings(max_examples=300)
@given(
    rules=st.lists(
        st.tuples(st.sampled_from(["GET", "POST", "*"]), st.lists(_SEGMENT, max_size=4)),
        max_size=12,
    ),
    method=st.sampled_from(["GET", "POST"]),
    path=st.lists(_REQUEST, max_size=5),
)
def test_index_agrees_with_trying_every_rule(
    rules: list[tuple[str, list[str]]], method: str, path: list[str]
) -> None:
    templates = [(m, "/" + "/".join(_unique(segments))) for m, segments in rules]
    pack = _pack(templates)
    table = RouteTable(packs=(pack,), methods={})
    request = "/" + "/".join(path)
    linear = next(
        (r.operation for r in pack.rules if r.match("h", method, request, None) is not None), None
    )
    found = table.match("h", method, request, None)
    assert (found[0].operation if found else None) == linear


def _unique(segments: list[str]) -> list[str]:
    """Parameter names must not repeat within a template."""
    out, seen = [], 0
    for segment in segments:
        if segment.startswith("{"):
            seen += 1
            segment = segment.replace("id", f"id{seen}").replace("rest", f"rest{seen}")
        out.append(segment)
    return out
