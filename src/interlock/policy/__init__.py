"""Policies: Cedar files validated against Interlock's schema, loaded once, evaluated fast."""

from interlock.policy._evaluate import PolicyAnswer, PolicyEvaluator, cedar_request
from interlock.policy._load import (
    Policy,
    PolicyBundle,
    default_policy_dir,
    load_policies,
    load_policy_texts,
    policy_files,
    with_rules,
)
from interlock.policy._rules import (
    RULE_KINDS,
    RULES_FILE,
    Rule,
    RuleSet,
    guess_kind,
    load_rules,
    make_rule,
    next_rule_id,
    parse_rules,
)
from interlock.policy._shadow import Shadowed, shadowed_permits

__all__ = [
    "RULES_FILE",
    "RULE_KINDS",
    "Policy",
    "PolicyAnswer",
    "PolicyBundle",
    "PolicyEvaluator",
    "Rule",
    "RuleSet",
    "Shadowed",
    "cedar_request",
    "default_policy_dir",
    "guess_kind",
    "load_policies",
    "load_policy_texts",
    "load_rules",
    "make_rule",
    "next_rule_id",
    "parse_rules",
    "policy_files",
    "shadowed_permits",
    "with_rules",
]
