"""Policies: Cedar files validated against Interlock's schema, loaded once, evaluated fast."""

from interlock.policy._evaluate import PolicyAnswer, PolicyEvaluator, cedar_request
from interlock.policy._load import (
    Policy,
    PolicyBundle,
    default_policy_dir,
    load_policies,
    load_policy_texts,
    policy_files,
)

__all__ = [
    "Policy",
    "PolicyAnswer",
    "PolicyBundle",
    "PolicyEvaluator",
    "cedar_request",
    "default_policy_dir",
    "load_policies",
    "load_policy_texts",
    "policy_files",
]
