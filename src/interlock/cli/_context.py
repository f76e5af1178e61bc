"""Building the checker a command needs from the home, or from the built-in defaults."""

from __future__ import annotations

from pathlib import Path

from interlock.checking import Checker
from interlock.errors import ConfigError
from interlock.gate import Gate
from interlock.home import Home, find_home
from interlock.identity import registered_agents, registered_resources, resource_targets
from interlock.policy import PolicyBundle, load_policies


def policy_bundle(
    home: Home | None, policies: list[Path] | None = None, rules: Path | None = None
) -> PolicyBundle | None:
    """The policies and rules in force: the home's, unless `policies` or `rules` say others
    (None: the built-in defaults)."""
    if policies:
        return load_policies(policies, rules=rules)
    if home is not None:
        if rules is None:
            return home.load_policies()
        return load_policies(home.load_config().policy_paths, rules=rules)
    return load_policies(rules=rules) if rules is not None else None


def make_checker(
    home_dir: Path | None,
    policies: list[Path] | None = None,
    *,
    record: bool = False,
    rules: Path | None = None,
) -> Checker:
    """A checker on the home's policies, rules and resources (or the defaults when there is
    no home).

    `policies` overrides the policy files (their directory's rules.toml with them), `rules`
    the rules file; `record` writes each decision to the audit log.
    """
    home = find_home(home_dir)
    bundle = policy_bundle(home, policies, rules)
    if home is None:
        gate = Gate(bundle)
        if record:
            raise ConfigError("--record needs an Interlock home: run `interlock init` first")
        return Checker(gate)
    from interlock.baseline import tracker_for_home

    # The baseline as it stands (read only: asking is not doing), so a registered agent's
    # answer shows how unusual the input would be for it.
    gate = Gate(bundle, baseline=tracker_for_home(home, learning=False))
    return Checker(
        gate,
        # interlock.toml wins over the registry (`resource add` refuses a name it has).
        resources={**registered_resources(home), **home.load_config().resources},
        audit=home.audit_log() if record else None,
        agents=registered_agents(home),
        targets=resource_targets(home),
        workspace_environment=home.load_config().hooks.workspace_environment,
    )
