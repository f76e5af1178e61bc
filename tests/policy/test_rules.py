"""Rules: a human's verb class for a command family or route, applied per action, within
limits (never Interlock itself, never across a compound line, privilege only when said)."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interlock.classify import classify
from interlock.errors import PolicyError
from interlock.gate import Gate
from interlock.model import SELF_PROTOCOL, Action, Agent, Outcome, Resource, Verb
from interlock.policy import (
    RuleSet,
    load_policies,
    load_rules,
    make_rule,
    parse_rules,
    shadowed_permits,
    with_rules,
)

AGENT = Agent("ops-bot", id="a1")
PROD = Resource("app", "production")

RULES = parse_rules(
    """
[[rule]]
id = "node-modules"
match = "rm -rf node_modules"
risk = "write"

[[rule]]
match = "minsky tasks *"
risk = "read"

[[rule]]
match = "DELETE /v2/cache/*"
risk = "write"

[[rule]]
match = "GET api.example.com/internal/**"
risk = "read"

[[rule]]
match = "minsky.list_*"
kind = "mcp"
risk = "read"

[[rule]]
match = "vault token create *"
risk = "write"
"""
)
GATE = Gate(with_rules(load_policies(), RULES))


def decide(kind: str, payload: object) -> tuple[Outcome, list[tuple[str, str]]]:
    decision = GATE.decide(AGENT, PROD, classify(kind, payload))
    return decision.outcome, [(d.action.verb.value, d.rule) for d in decision.actions]


def test_a_rule_lowers_exactly_the_command_it_names() -> None:
    assert decide("shell", "rm -rf node_modules") == (Outcome.ALLOW, [("write", "node-modules")])


@pytest.mark.parametrize(
    "command",
    [
        "rm -rf node_modules; rm -rf /",
        "rm -rf node_modules && rm -rf src",
        "rm -rf node_modules || rm -rf ~",
        "true | rm -rf src && rm -rf node_modules",
    ],
)
def test_a_compound_line_is_judged_command_by_command(command: str) -> None:
    outcome, actions = decide("shell", command)
    assert outcome is Outcome.HOLD
    assert ("write", "node-modules") in actions
    assert any(verb == "destructive" and not rule for verb, rule in actions)


@pytest.mark.parametrize(
    "command",
    [
        "sudo rm -rf node_modules",  # another user's rights: not what the human named
        "FOO=1 rm -rf node_modules",  # an environment can change what a command does
        "rm -rf node_modules/../src",
        "rm -rf ./node_modules /",
        "rm -rf node_modules src",
        "rm -rf $NODE_MODULES",
        "rm -rf node_module*",
    ],
)
def test_near_misses_keep_their_classification(command: str) -> None:
    outcome, actions = decide("shell", command)
    assert outcome is Outcome.HOLD
    assert all(rule != "node-modules" for _, rule in actions)


def test_a_trailing_star_is_any_further_words_but_never_an_expansion() -> None:
    assert decide("shell", "minsky tasks list --all")[0] is Outcome.ALLOW
    assert decide("shell", "minsky tasks")[0] is Outcome.ALLOW
    assert decide("shell", "minsky projects delete x")[0] is Outcome.HOLD
    outcome, actions = decide("shell", "minsky tasks $(rm -rf /)")
    assert outcome is Outcome.HOLD
    assert actions[0] == ("unknown", "")


def test_a_shortened_excerpt_is_never_matched() -> None:
    outcome, actions = decide("shell", "minsky tasks " + "x " * 200)
    assert outcome is Outcome.HOLD and actions == [("unknown", "")]


def test_http_patterns_match_method_and_path_segments() -> None:
    url = "https://api.example.com"
    assert decide("http", {"method": "DELETE", "url": f"{url}/v2/cache/1"})[0] is Outcome.ALLOW
    held = [
        {"method": "DELETE", "url": f"{url}/v2/cache/1/2"},  # `*` is one segment
        {"method": "DELETE", "url": f"{url}/v2/cache/1/../../droplets/2"},
        {"method": "DELETE", "url": f"{url}/v2/droplets/1"},
        {"method": "POST", "url": f"{url}/v2/cache/1/actions"},
    ]
    for request in held:
        assert decide("http", request)[1][0][1] == "", request
    assert decide("http", {"method": "GET", "url": f"{url}/internal/a/b/c"})[1][0][1] == "rule-4"
    other_host = {"method": "GET", "url": "https://evil.example.com/internal/a"}
    assert decide("http", other_host)[1][0][1] == ""


def test_mcp_patterns_name_server_and_tool() -> None:
    ours = {"server": "minsky", "tool": "list_tasks", "arguments": {}}
    assert decide("mcp", ours)[1] == [("read", "rule-5")]
    theirs = {"server": "other", "tool": "list_tasks", "arguments": {}}
    assert decide("mcp", theirs)[1][0][1] == ""


def test_lowering_a_privilege_action_needs_the_explicit_flag() -> None:
    # Built by hand: what matters is the class, whichever command the classifier knows.
    token = Action(
        "shell", "shell:vault", Verb.PRIVILEGE, detail="vault token create -policy=admin"
    )
    decision = GATE.decide(AGENT, PROD, [token])
    assert decision.outcome is Outcome.HOLD
    assert decision.actions[0].action.verb is Verb.PRIVILEGE and not decision.actions[0].rule
    flagged = RuleSet((make_rule("t", "vault token create *", "shell", "write", privilege=True),))
    decision = Gate(with_rules(load_policies(), flagged)).decide(AGENT, PROD, [token])
    assert decision.outcome is Outcome.ALLOW
    assert decision.actions[0].rule == "t" and decision.actions[0].classified is Verb.PRIVILEGE


def test_a_rule_never_matches_an_attempt_on_interlock() -> None:
    rules = RuleSet((make_rule("all", "rm *", "shell", "read"),))
    attempt = Action(SELF_PROTOCOL, "interlock:state", Verb.DESTRUCTIVE, detail="rm x")
    assert rules.match(attempt) is None
    decision = Gate(with_rules(load_policies(), rules)).decide(AGENT, PROD, [attempt])
    assert decision.outcome is Outcome.DENY


def test_a_rule_never_widens_the_agents_grant() -> None:
    reader = Agent("reader", id="r1", max_verb=Verb.READ)
    decision = GATE.decide(reader, PROD, classify("shell", "rm -rf node_modules"))
    assert decision.outcome is Outcome.DENY
    assert decision.actions[0].rule == "node-modules"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[[rule]]\nmatch = "a; b"\nrisk = "read"', "one command only"),
        ('[[rule]]\nmatch = "* x"\nrisk = "read"', "command name"),
        ('[[rule]]\nmatch = "ls"\nrisk = "harmless"', "expected one of"),
        ('[[rule]]\nmatch = "ls"\nrisk = "read"\nwho = "me"', "unknown key"),
        ('[[rule]]\nmatch = "FETCH /x"\nkind = "http"\nrisk = "read"', "METHOD /path"),
        ('[[rule]]\nmatch = "a b"\nkind = "mcp"\nrisk = "read"', "server.tool"),
        ('[[rule]]\nmatch = "ls"\nkind = "sql"\nrisk = "read"', "rule kind"),
        ("[[rule]\n", "not valid TOML"),
        (
            '[[rule]]\nid = "x"\nmatch = "ls"\nrisk = "read"\n[[rule]]\nid = "x"\nmatch = "cat"\n'
            'risk = "read"',
            "duplicate",
        ),
    ],
)
def test_a_bad_rules_file_is_one_clear_error(text: str, problem: str) -> None:
    with pytest.raises(PolicyError, match=problem):
        parse_rules(text, "rules.toml")


def test_the_file_round_trips_and_a_missing_file_is_no_rules(tmp_path: Path) -> None:
    assert parse_rules(RULES.to_toml()).rules == RULES.rules
    assert not load_rules(tmp_path / "rules.toml")


def test_rules_beside_the_policies_are_loaded_with_them(tmp_path: Path) -> None:
    for source in (Path(load_policies().sources[0]),):
        (tmp_path / source.name).write_text(source.read_text())
    (tmp_path / "rules.toml").write_text(RULES.to_toml())
    bundle = load_policies([tmp_path])
    assert bundle.rules.rules == RULES.rules
    assert bundle.version != load_policies([tmp_path], rules=RuleSet()).version


WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-_./=$*;&|", min_size=1, max_size=8)


@settings(max_examples=200, deadline=None)
@given(st.lists(WORD, min_size=1, max_size=5))
def test_an_exact_pattern_only_matches_its_own_words(words: list[str]) -> None:
    rule = make_rule("r", "rm -rf node_modules", "shell", "write")
    command = shlex.join(["rm", *words])
    for action in classify("shell", command):
        if rule.matches(action):
            assert shlex.split(action.detail) == ["rm", "-rf", "node_modules"]


# -- permits a forbid always beats, and permits that only apply after an approval


def _pack(tmp_path: Path, extra: str, edit: tuple[str, str] | None = None) -> Path:
    source = Path(load_policies().sources[0])
    text = source.read_text()
    if edit is not None:
        assert edit[0] in text
        text = text.replace(*edit)
    (tmp_path / source.name).write_text(text)
    if extra:
        (tmp_path / "mine.cedar").write_text(extra)
    return tmp_path


def test_the_default_pack_has_no_shadowed_permit() -> None:
    assert shadowed_permits(load_policies()) == []


def test_a_permit_the_production_hold_always_beats_is_reported(tmp_path: Path) -> None:
    permit = (
        '@id("allow-node-modules")\n'
        'permit (principal, action == Action::"destructive", resource)\n'
        'when { context.targets.contains("node_modules") };\n'
    )
    bundle = load_policies([_pack(tmp_path, permit)])
    (found,) = shadowed_permits(bundle)
    assert found.permit == "allow-node-modules"
    assert found.forbids == ("hold-destructive-production",)
    assert found.environments == ("production",) and found.held
    assert "interlock rules add" in found.sentence(bundle.policies)


def test_a_permit_that_takes_effect_somewhere_is_not_reported(tmp_path: Path) -> None:
    permit = (
        '@id("staging-only")\n'
        'permit (principal, action == Action::"destructive", resource)\n'
        'when { resource.environment == "staging" };\n'
    )
    assert shadowed_permits(load_policies([_pack(tmp_path, permit)])) == []


def test_a_permit_under_a_hard_forbid_is_reported_as_refused(tmp_path: Path) -> None:
    permit = (
        '@id("backups-readable")\n'
        "permit (principal, action, resource)\n"
        'when { resource.tags.contains("backup") };\n'
    )
    bundle = load_policies([_pack(tmp_path, permit)])
    (found,) = shadowed_permits(bundle)
    assert found.forbids == ("protect-backups",) and found.everywhere and not found.held


def test_editing_the_shipped_forbid_never_cites_an_approval_that_did_not_happen(
    tmp_path: Path,
) -> None:
    edited = _pack(
        tmp_path,
        "",
        (
            'when { resource.environment == "production" };\n\n@id("agents-privilege-approved")',
            'when { resource.environment == "production" }\n'
            'unless { context.targets.contains("node_modules") };\n\n'
            '@id("agents-privilege-approved")',
        ),
    )
    decision = Gate(load_policies([edited])).decide(
        AGENT, PROD, classify("shell", "rm -rf node_modules")
    )
    # Only the after-approval permit matches now: held for a human, said so, not allowed.
    assert decision.outcome is Outcome.HOLD
    assert decision.policies == ("agents-destructive-production-approved",)
    assert any("only permits that apply after a human's approval" in r for r in decision.reasons)


def test_a_permit_for_one_named_agent_is_analysed_too(tmp_path: Path) -> None:
    permit = (
        '@id("migrations-bot-drops")\n'
        'permit (principal == Agent::"migrations-bot", action == Action::"destructive", '
        'resource == Resource::"orders-db");\n'
    )
    bundle = load_policies([_pack(tmp_path, permit)])
    (found,) = shadowed_permits(bundle)
    assert found.permit == "migrations-bot-drops"
    assert found.forbids == ("hold-destructive-production",)
