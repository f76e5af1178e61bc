"""The target resolver (`interlock.targets`) and the shell classifier's clues, as pure code."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from interlock.classify import classify
from interlock.gate import Gate
from interlock.model import LOCAL_KIND, Agent, Outcome, Resource, Verb
from interlock.targets import NO_FACTS, KnownTarget, known_targets, resolve

DEFAULT = Resource("unregistered-shell-target", "staging")
CATALOGUE = known_targets(
    {
        "orders-staging": Resource("orders-staging", "staging", "postgres"),
        "orders-db": Resource("orders-db", "production", "postgres"),
        "eu-cluster": Resource("eu-cluster", "production"),
    },
    {
        "orders-staging": "postgres://db.stg.internal:5432/orders_stg",
        "orders-db": "postgres://10.0.0.5:5432/orders",
    },
    {"orders-staging": ["context:blue", "profile:sandbox"]},
)


@dataclass
class Facts:
    home: str = "/home/dev"
    workspace_root: str | None = "/home/dev/app"
    env: dict[str, tuple[str, str]] = field(default_factory=dict)
    context: str | None = None
    workspace: str | None = None

    def env_value(self, name: str) -> tuple[str, str] | None:
        return self.env.get(name)

    def env_targets(self) -> list[tuple[str, str, str]]:
        return [(k, v, s) for k, (v, s) in self.env.items() if k.endswith("_URL")]

    def kube_context(self) -> str | None:
        return self.context

    def terraform_workspace(self) -> str | None:
        return self.workspace


def placed(command: str, facts: Facts | None = None, default: Resource = DEFAULT) -> list:
    actions = classify("shell", command)
    return list(resolve(actions, default, CATALOGUE, facts or Facts()))


def env_of(command: str, facts: Facts | None = None) -> list[str]:
    return [a.target.resource.environment if a.target else "-" for a in placed(command, facts)]


def test_this_machine_is_workspace_home_or_system() -> None:
    names = {
        "rm -rf build": "local:workspace",
        "rm -rf ~/Documents": "local:home",
        "rm -rf /home/dev/.local/state/tool": "local:home",
        "rm -rf /etc/nginx": "local:system",
        "rm -rf /tmp/scratch": "local:scratch",
        "rm -rf $SOMEWHERE": "local:system",
        "pkill -f vite": "local:system",
        "git reset --hard": "local:workspace",
    }
    for command, name in names.items():
        target = placed(command)[0].target
        assert target is not None and target.resource.name == name, command
        assert target.resource.kind == LOCAL_KIND
        assert target.resource.environment == "production"


def test_registered_resources_match_by_host_database_and_declared_name() -> None:
    cases = {
        "psql postgres://db.stg.internal/orders_stg -c 'DROP TABLE t'": "orders-staging",
        "psql -h 10.0.0.5 -c 'DROP TABLE t'": "orders-db",
        "kubectl --context blue delete ns x": "orders-staging",
        "aws ec2 terminate-instances --instance-ids i-1 --profile sandbox": "orders-staging",
        "kubectl --context eu-cluster delete ns x": "eu-cluster",
    }
    for command, name in cases.items():
        target = placed(command)[-1].target
        assert target is not None and target.resource.name == name, command


def test_names_only_tighten() -> None:
    assert env_of("kubectl --context prod-eu delete ns x") == ["production"]
    assert env_of("terraform destroy -var-file=envs/production.tfvars") == ["production"]
    # No project option: nothing is named, the request's resource decides.
    assert env_of("gcloud projects delete acme-prd") == ["-"]
    # A bucket no resource holds, beside a known profile: the configured environment.
    assert env_of("aws s3 rm s3://x --recursive --profile sandbox") == ["staging"]
    assert env_of("gcloud sql instances delete db --project acme-prd") == ["production"]
    # A name that says staging does not relax a production default: the agent names files.
    production = Resource("t", "production")
    target = placed("terraform destroy -var-file=staging.tfvars", default=production)[0].target
    assert target is not None and target.resource.environment == "production"


def test_variables_come_from_the_line_or_the_env_files() -> None:
    facts = Facts(env={"DATABASE_URL": ("postgres://u:pw@db.prod.internal/app", ".env")})
    (action,) = placed("psql $DATABASE_URL -c 'DROP TABLE orders'", facts)
    assert action.target is not None and action.target.resource.environment == "production"
    assert "DATABASE_URL in .env points to db.prod.internal/app" in action.target.why
    assert "pw" not in action.target.why
    staged = "export DATABASE_URL=postgres://db.stg.internal/orders_stg; rails db:drop"
    assert env_of(staged)[-1] == "staging"
    assert placed(staged)[-1].target.resource.name == "orders-staging"
    # A program reading its environment: .env's production database tightens it.
    assert env_of("rails db:drop", facts) == ["production"]
    # Unknown variable: the configured environment.
    assert env_of("psql $OTHER_URL -c 'DROP TABLE t'", facts) == ["staging"]


def test_current_kube_context_and_terraform_workspace() -> None:
    facts = Facts(context="prod-cluster", workspace="production")
    assert env_of("kubectl delete ns shop", facts) == ["production"]
    assert env_of("terraform destroy", facts) == ["production"]
    assert env_of("kubectl delete ns shop", Facts(context="kind-dev")) == ["staging"]


def test_one_known_one_unknown_target_stays_with_the_default() -> None:
    actions = placed(
        "psql postgres://db.stg.internal/orders_stg postgres://db.other/x -c 'DROP TABLE t'"
    )
    assert actions[-1].target is not None
    assert actions[-1].target.resource == DEFAULT


def test_elsewhere_commands_give_their_clues_to_what_they_run() -> None:
    (action,) = placed("ssh prod-db rm -rf /var/lib/postgresql")
    assert action.target is not None and action.target.resource.environment == "production"
    assert action.target.resource.kind != LOCAL_KIND
    (action,) = placed("docker exec web rm -rf /app")
    assert action.target is None  # not this machine's /app: the request's resource
    # ... unless the container is given this machine's files.
    mounted = placed("docker run --rm -v /:/host alpine rm -rf /host/etc")[-1]
    assert mounted.target is not None and mounted.target.resource.name == "local:system"


def test_the_grant_does_not_fence_this_machine_but_the_policy_does() -> None:
    agent = Agent("coder", environments=frozenset({"staging"}))
    gate = Gate()
    read = placed("cat README.md")
    assert gate.decide(agent, DEFAULT, read).outcome is Outcome.ALLOW
    wipe = placed("rm -rf ~")
    assert gate.decide(agent, DEFAULT, wipe).outcome is Outcome.HOLD
    remote = placed("kubectl --context prod-eu delete ns x")
    assert gate.decide(agent, DEFAULT, remote).outcome is Outcome.DENY  # not granted production
    narrow = Agent("reader", max_verb=Verb.READ)
    assert gate.decide(narrow, DEFAULT, placed("rm -rf build")).outcome is Outcome.DENY


def test_a_request_that_names_its_resource_is_not_resolved() -> None:
    from interlock.checking import Checker, CheckRequest

    checker = Checker(resources={"orders-db": Resource("orders-db", "production")})
    decision = checker.check(CheckRequest("shell", "rm -rf build", resource="orders-db"))
    assert all(d.action.target is None for d in decision.actions)


_WORDS = st.sampled_from(
    ["rm", "-rf", "~", "/", "build", "psql", "$DATABASE_URL", "--context", "prod", "kubectl",
     "delete", "terraform", "destroy", "-var-file=prod.tfvars", "ssh", "host", "&&", ";", "|",
     "export", "X_URL=postgres://h/d", "TF_WORKSPACE=prod", "cat", ".env", "git", "reset"]
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(_WORDS, max_size=12), st.sampled_from(["staging", "production", "dev"]))
def test_resolution_never_raises_and_never_relaxes_production(words: list[str], env: str) -> None:
    command = " ".join(words)
    default = Resource("d", env)
    actions = classify("shell", command)
    for facts in (NO_FACTS, Facts(context="prod", workspace="prod")):
        out = resolve(actions, default, CATALOGUE, facts)
        assert len(out) == len(actions)
        for action in out:
            if action.target is None:
                continue
            resource = action.target.resource
            assert action.target.why
            if env == "production" and resource.kind != LOCAL_KIND:
                # Only a registered resource may move an action off a production default.
                assert resource.environment == "production" or any(
                    resource == k.resource for k in CATALOGUE
                )


def test_known_targets_keep_no_credentials() -> None:
    (known,) = known_targets(
        {"x": Resource("x", "staging")}, {"x": "postgres://u:secret@h.example:5432/db"}
    )
    assert isinstance(known, KnownTarget)
    assert known.hosts == frozenset({"h.example"}) and known.databases == frozenset({"db"})
    assert "secret" not in repr(known)
