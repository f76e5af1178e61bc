"""Learning APIs from their definitions (`interlock.classify.learn`, `interlock packs`).

Real public definitions are imported from the field data kept outside the repository
(`tests/field_data.py`; `schemas/`, provenance and licences in its README): DigitalOcean's
OpenAPI description, GitHub's GraphQL schema, the MCP reference servers' tools/list. The
shipped packs made from them must be reproducible, and calls to those providers are
classified by provider semantics.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlock.classify import classify
from interlock.classify.http import configure, parse_pack
from interlock.classify.learn import Origin, from_graphql, from_mcp_tools, from_openapi
from interlock.errors import InputError
from interlock.gate import Gate
from interlock.model import Agent, Outcome, Resource, Verb, most_severe
from tests.field_data import require_field_data

ROOT = Path(__file__).resolve().parents[2]
INTERLOCK = str(Path(sys.executable).with_name("interlock"))


def risk(kind: str, payload: object) -> Verb:
    return most_severe(a.verb for a in classify(kind, payload))


@pytest.fixture(scope="module")
def digitalocean() -> dict[str, Any]:
    pack = from_openapi(
        yaml.safe_load(require_field_data("schemas", "digitalocean.openapi.yaml").read_text()),
        Origin("do-test", "fixture", "2.0", "Apache-2.0"),
    )
    return tomllib.loads(pack)


def _rules(pack: dict[str, Any], method: str, path: str) -> list[dict[str, Any]]:
    return [
        r
        for r in pack["rule"]
        if r["path"] == path
        and method in ([r["method"]] if isinstance(r["method"], str) else r["method"])
    ]


# ---- importing a real OpenAPI description -------------------------------------------------


def test_openapi_import_records_origin_and_hosts(digitalocean: dict[str, Any]) -> None:
    assert digitalocean["hosts"] == ["api.digitalocean.com"]
    assert digitalocean["origin"] == {
        "generator": "interlock packs import openapi",
        "source": "fixture",
        "version": "2.0",
        "licence": "Apache-2.0",
    }


def test_openapi_import_reads_action_type_enums(digitalocean: dict[str, Any]) -> None:
    rules = _rules(digitalocean, "POST", "/v2/droplets/{droplet_id}/actions")
    conditional, plain = rules[0], rules[-1]
    chosen = conditional["when"]["type"]["in"]
    assert {"rebuild", "power_off", "restore", "shutdown"} <= set(chosen)
    assert not {"reboot", "rename", "snapshot", "enable_backups"} & set(chosen)
    assert conditional["verb"] == "destructive" and plain["verb"] == "write"
    detach = _rules(digitalocean, "POST", "/v2/volumes/{volume_id}/actions")[0]
    assert detach["when"] == {"type": {"in": ["detach"]}}


def test_openapi_import_verbs_by_method_name_and_subject(digitalocean: dict[str, Any]) -> None:
    def verb(method: str, path: str) -> str:
        return str(_rules(digitalocean, method, path)[-1]["verb"])

    assert verb("GET", "/v2/droplets") == "read"
    assert verb("GET", "/v2/droplets/{droplet_id}/destroy_with_associated_resources") == "read"
    assert verb("POST", "/v2/droplets") == "write"
    assert verb("DELETE", "/v2/droplets/{droplet_id}") == "destructive"
    assert verb("POST", "/v2/account/keys") == "privilege"  # SSH keys are credentials
    assert verb(
        "POST", "/v2/kubernetes/clusters/{cluster_id}/node_pools/{node_pool_id}/recycle"
    ) in (
        "write",
        "destructive",
    )


def test_openapi_rules_put_literal_segments_before_parameters(digitalocean: dict[str, Any]) -> None:
    paths = [r["path"] for r in digitalocean["rule"]]
    assert paths.index("/v2/droplets/actions") < paths.index("/v2/droplets/{droplet_id}")


def test_openapi_body_discriminators_replicas_and_nulls() -> None:
    document = {
        "openapi": "3.0.0",
        "info": {"title": "T", "version": "1"},
        "servers": [{"url": "https://api.example.test/v1"}],
        "paths": {
            "/apps/{app}/config-vars": {
                "patch": {
                    "operationId": "configVarsUpdate",
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "additionalProperties": {"type": "string", "nullable": True},
                                }
                            }
                        }
                    },
                }
            },
            "/deployments/{name}/scale": {
                "put": {
                    "operationId": "replaceScale",
                    "requestBody": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Scale"}}
                        }
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Scale": {
                    "type": "object",
                    "properties": {
                        "spec": {
                            "type": "object",
                            "properties": {"replicas": {"type": "integer"}},
                        }
                    },
                }
            }
        },
    }
    pack = tomllib.loads(from_openapi(document, Origin("t", "inline")))
    whens = [r.get("when") for r in pack["rule"]]
    assert {"*": {"null": True}} in whens
    assert {"spec.replicas": {"le": 0}} in whens
    assert all(r["path"].startswith("/v1/") for r in pack["rule"])


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"openapi": "3.0.0"}, "no `paths`"),
        ({"openapi": "3.0.0", "paths": {"/a": {"get": {}}}}, "names no server host"),
    ],
)
def test_openapi_import_refuses_what_it_cannot_use(document: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        from_openapi(document, Origin("t", "inline"))


# ---- importing a real GraphQL schema -------------------------------------------------------


def test_graphql_import_judges_every_mutation() -> None:
    sdl = require_field_data("schemas", "github.graphql").read_text()
    pack = tomllib.loads(from_graphql(sdl, Origin("gh", "fixture"), ("api.github.com",)))
    lists = pack["graphql"]
    assert "deleteRef" in lists["destructive"]
    assert "regenerateVerifiableDomainToken" in lists["destructive"]
    assert "createIssue" in lists["write"]
    assert "updateRef" in lists["write"]  # destructive per call when `force: true`
    assert "inviteEnterpriseAdmin" in lists["privilege"]
    assert pack["graphql_paths"] == ["/graphql"]


def test_graphql_import_lists_argument_flags_for_review() -> None:
    text = from_graphql(
        require_field_data("schemas", "github.graphql").read_text(),
        Origin("gh", "fixture"),
        ("api.github.com",),
    )
    assert "# updateRef: destructive when force is true (judged per call)" in text


def test_graphql_import_refuses_a_schema_without_mutations() -> None:
    with pytest.raises(InputError, match="no Mutation"):
        from_graphql("type Query { a: Int }", Origin("t", "x"), ("h",))
    with pytest.raises(InputError, match="not a GraphQL schema"):
        from_graphql("type {", Origin("t", "x"), ("h",))


# ---- MCP tools/list ---------------------------------------------------------------------


def test_mcp_import_raises_by_annotations_never_lowers() -> None:
    result = json.loads(require_field_data("schemas", "mcp-filesystem.tools.json").read_text())
    pack = tomllib.loads(from_mcp_tools(result, Origin("fs", "fixture"), ("filesystem",)))
    assert {"write_file", "edit_file", "move_file"} <= set(pack["mcp"]["destructive"])
    assert "read_text_file" in pack["mcp"]["read"]
    assert pack["servers"] == ["filesystem"]


def test_mcp_import_leaves_carriers_to_the_call() -> None:
    tools = {
        "tools": [
            {"name": "execute_sql"},
            {"name": "frobnicate", "annotations": {"readOnlyHint": True}},
        ]
    }
    pack = tomllib.loads(from_mcp_tools(tools, Origin("db", "x"), ("db",)))
    assert "mcp" not in pack  # neither is judged by its name alone


def test_mcp_import_settles_a_verbless_tool_its_description_says_reads() -> None:
    tools = {
        "tools": [
            {"name": "dns_report", "description": "Fetch the DNS Report for a zone"},
            {"name": "zone_purge", "description": "Fetch and then permanently delete"},
            {
                "name": "frobnicate",
                "description": "Get it done",
                "annotations": {"readOnlyHint": False},
            },
            {"name": "widget", "description": "Frobnicates the widget"},
        ]
    }
    pack = tomllib.loads(from_mcp_tools(tools, Origin("cf", "x"), ("cf",)))
    assert pack["mcp"]["read"] == ["dns_report"]
    assert "widget" not in str(pack) and "frobnicate" not in str(pack)


def test_mcp_import_accepts_a_whole_json_rpc_response() -> None:
    response = {"jsonrpc": "2.0", "id": 1, "result": {"tools": [{"name": "delete_table"}]}}
    pack = tomllib.loads(from_mcp_tools(response, Origin("db", "x"), ("db",)))
    assert pack["mcp"]["destructive"] == ["delete_table"]


# ---- the shipped packs ------------------------------------------------------------------


def test_shipped_packs_are_reproducible() -> None:
    require_field_data("schemas")
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "regenerate_packs.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_generated_packs_record_their_origin() -> None:
    table = configure([])
    generated = [p for p in table.packs if p.generated]
    assert {p.name for p in generated} >= {"digitalocean", "github-graphql", "mcp-filesystem"}
    for pack in generated:
        assert pack.origin["source"] and pack.origin["licence"]


def _http(method: str, url: str, body: object = None, **headers: str) -> dict[str, Any]:
    payload: dict[str, Any] = {"method": method, "url": url}
    if body is not None:
        payload["body"] = body
    if headers:
        payload["headers"] = headers
    return payload


DO = "https://api.digitalocean.com/v2"


def _ref(extra: str) -> str:
    return (
        f'mutation {{ updateRef(input: {{refId: "r", oid: "abc"{extra}}}) {{ clientMutationId }} }}'
    )


K8S = "https://k8s.example.test:6443"
GH = "https://api.github.com/graphql"

# Provider calls labelled by the provider's own semantics.
PROVIDER_CASES = [
    # DigitalOcean: the body's action type decides
    (
        "http",
        _http("POST", f"{DO}/droplets/7/actions", {"type": "rebuild", "image": "ubuntu-24-04-x64"}),
        "destructive",
    ),
    ("http", _http("POST", f"{DO}/droplets/7/actions", {"type": "power_off"}), "destructive"),
    (
        "http",
        _http("POST", f"{DO}/droplets/7/actions", {"type": "restore", "image": 12}),
        "destructive",
    ),
    (
        "http",
        _http("POST", f"{DO}/volumes/v-1/actions", {"type": "detach", "droplet_id": 7}),
        "destructive",
    ),
    ("http", _http("POST", f"{DO}/droplets/7/actions", {"type": "reboot"}), "write"),
    (
        "http",
        _http("POST", f"{DO}/volumes/v-1/actions", {"type": "attach", "droplet_id": 7}),
        "write",
    ),
    ("http", _http("DELETE", f"{DO}/droplets/7"), "destructive"),
    (
        "http",
        _http("POST", f"{DO}/account/keys", {"name": "ci", "public_key": "ssh-ed25519 AAAA"}),
        "privilege",
    ),
    ("http", _http("GET", f"{DO}/droplets?page=2"), "read"),
    ("http", _http("POST", f"{DO}/droplets", {"name": "web-1", "size": "s-1vcpu-1gb"}), "write"),
    # Heroku, Kubernetes, Elasticsearch, Docker: generic body semantics
    (
        "http",
        _http("PATCH", "https://api.heroku.com/apps/shop/config-vars", {"DATABASE_URL": None}),
        "destructive",
    ),
    (
        "http",
        _http("PATCH", "https://api.heroku.com/apps/shop/config-vars", {"LOG_LEVEL": "debug"}),
        "write",
    ),
    (
        "http",
        _http(
            "PATCH",
            f"{K8S}/apis/apps/v1/namespaces/prod/deployments/web/scale",
            {"spec": {"replicas": 0}},
        ),
        "destructive",
    ),
    (
        "http",
        _http(
            "PATCH",
            f"{K8S}/apis/apps/v1/namespaces/prod/deployments/web/scale",
            {"spec": {"replicas": 4}},
        ),
        "write",
    ),
    (
        "http",
        _http("POST", f"{K8S}/api/v1/namespaces/prod/pods/web-1/eviction", {"kind": "Eviction"}),
        "destructive",
    ),
    (
        "http",
        _http(
            "POST",
            f"{K8S}/api/v1/namespaces/prod/pods/db-0/exec?command=psql&command=-c&command=DROP%20TABLE%20orders&container=pg",
        ),
        "destructive",
    ),
    (
        "http",
        _http("POST", f"{K8S}/api/v1/namespaces/prod/pods/db-0/exec?command=ls&command=/data"),
        "read",
    ),
    (
        "http",
        _http(
            "POST",
            "https://es.example.test:9200/_bulk",
            '{"delete":{"_index":"orders","_id":"1"}}\n{"delete":{"_index":"orders","_id":"2"}}\n',
            **{"Content-Type": "application/x-ndjson"},
        ),
        "destructive",
    ),
    (
        "http",
        _http(
            "POST",
            "https://es.example.test:9200/_bulk",
            '{"index":{"_index":"logs"}}\n{"msg":"hi"}\n',
            **{"Content-Type": "application/x-ndjson"},
        ),
        "write",
    ),
    ("http", _http("POST", "https://es.example.test:9200/_flush"), "write"),
    (
        "http",
        _http(
            "POST",
            "https://es.example.test:9200/logs/_delete_by_query",
            {"query": {"match_all": {}}},
        ),
        "destructive",
    ),
    (
        "http",
        _http(
            "POST",
            "https://docker.example.test/containers/db/exec",
            {"Cmd": ["psql", "-c", "DROP TABLE users"]},
        ),
        "destructive",
    ),
    # terminal states and envelopes under a batch key
    (
        "http",
        _http("PATCH", "https://api.example.test/v1/instances/i1", {"state": "terminated"}),
        "destructive",
    ),
    (
        "http",
        _http("PATCH", "https://api.github.com/repos/o/r/issues/1", {"state": "closed"}),
        "write",
    ),
    (
        "http",
        _http(
            "POST",
            "https://es.example.test:9200/_aliases",
            {
                "actions": [
                    {"add": {"index": "a", "alias": "x"}},
                    {"remove_index": {"index": "old"}},
                ]
            },
        ),
        "destructive",
    ),
    (
        "http",
        _http(
            "POST",
            "https://es.example.test:9200/_aliases",
            {"actions": [{"add": {"index": "a", "alias": "x"}}]},
        ),
        "write",
    ),
    # flags that make a change irreversible
    (
        "http",
        _http("POST", "https://api.machines.dev/v1/apps/web/machines/m1/suspend", {"force": True}),
        "destructive",
    ),
    (
        "http",
        _http(
            "POST",
            "https://api.example.test/v1/volumes/v1/detach-request",
            {"options": {"hardDelete": "true"}},
        ),
        "destructive",
    ),
    (
        "http",
        _http("PATCH", "https://api.github.com/repos/o/r", {"delete_branch_on_merge": True}),
        "write",
    ),
    # path verbs
    ("http", _http("POST", "https://api.stripe.com/v1/invoices/in_1/void"), "destructive"),
    ("http", _http("POST", "https://api.machines.dev/v1/apps/web/machines/m1/stop"), "destructive"),
    (
        "http",
        _http(
            "POST", "https://api.machines.dev/v1/apps/web/machines/m1/signal", {"signal": "SIGKILL"}
        ),
        "destructive",
    ),
    ("http", _http("POST", "https://api.example.test/v1/api-keys/k1/rotate"), "destructive"),
    ("http", _http("POST", "https://api.example.test/v1/messages/m1/redact"), "destructive"),
    ("http", _http("POST", "https://api.example.test/v1/jobs/cleanup"), "destructive"),
    ("http", _http("POST", "https://api.example.test/v1/changes/c1/undo"), "destructive"),
    ("http", _http("POST", "https://api.example.test/v1/recovery-codes/regenerate"), "destructive"),
    # GraphQL: destructive through an argument or without a delete word
    (
        "http",
        _http(
            "POST",
            GH,
            {"query": _ref(", force: true")},
        ),
        "destructive",
    ),
    (
        "http",
        _http(
            "POST",
            GH,
            {
                "query": "mutation($i: UpdateRefInput!) "
                "{ updateRef(input: $i) { clientMutationId } }",
                "variables": {"i": {"refId": "r", "oid": "a", "force": "true"}},
            },
        ),
        "destructive",
    ),
    (
        "http",
        _http(
            "POST",
            GH,
            {"query": _ref("")},
        ),
        "write",
    ),
    (
        "http",
        _http(
            "POST",
            GH,
            {
                "query": 'mutation { createIssue(input: {repositoryId: "R", title: "t"}) '
                "{ issue { id } } }"
            },
        ),
        "write",
    ),
    (
        "http",
        _http(
            "POST",
            GH,
            {"query": 'mutation { deleteRef(input: {refId: "r"}) { clientMutationId } }'},
        ),
        "destructive",
    ),
    (
        "graphql",
        {
            "query": 'mutation { secretsSet(appId: "a", replaceAll: true, '
            'secrets: [{key: "A", value: "b"}]) { id } }'
        },
        "destructive",
    ),
    ("graphql", {"query": 'mutation { machineRestore(id: "m") { id } }'}, "destructive"),
    ("graphql", {"query": 'mutation { volumeDetach(id: "v") { id } }'}, "destructive"),
    ("graphql", {"query": "mutation { regenerateRecoveryCodes { codes } }"}, "destructive"),
    (
        "graphql",
        {"query": 'mutation { releaseIpAddress(input: {ip: "1.2.3.4"}) { ok } }'},
        "destructive",
    ),
    ("graphql", {"query": 'mutation { restoreDeletedItems(ids: ["a"]) }'}, "write"),
    # MCP: harmless-looking names, servers' packs, CLIs as tools
    (
        "mcp",
        {
            "tool": "write_file",
            "server": "filesystem",
            "arguments": {"path": "src/app.py", "content": "x"},
        },
        "destructive",
    ),
    (
        "mcp",
        {"tool": "mcp__filesystem__move_file", "arguments": {"source": "a", "destination": "b"}},
        "destructive",
    ),
    (
        "mcp",
        {"tool": "read_text_file", "server": "filesystem", "arguments": {"path": "README.md"}},
        "read",
    ),
    ("mcp", {"tool": "git_reset", "server": "git", "arguments": {"repo_path": "."}}, "destructive"),
    (
        "mcp",
        {
            "tool": "git_branch",
            "server": "git",
            "arguments": {"repo_path": ".", "branch_type": "local"},
        },
        "read",
    ),
    (
        "mcp",
        {"tool": "git_branch", "arguments": {"repo_path": ".", "branch_type": "local"}},
        "read",
    ),
    ("mcp", {"tool": "pods_top", "arguments": {"namespace": "prod"}}, "read"),
    (
        "mcp",
        {"tool": "merge_pull_request", "arguments": {"owner": "o", "repo": "r", "pullNumber": 3}},
        "destructive",
    ),
    ("mcp", {"tool": "git_rebase", "arguments": {"branch": "main"}}, "destructive"),
    ("mcp", {"tool": "deploy_edge_function", "arguments": {"name": "hello"}}, "destructive"),
    ("mcp", {"tool": "resources_scale", "arguments": {"name": "web", "scale": 0}}, "destructive"),
    ("mcp", {"tool": "cancel_subscription", "arguments": {"subscription": "sub_1"}}, "destructive"),
    (
        "mcp",
        {"tool": "detach_role_policy", "arguments": {"RoleName": "ci", "PolicyArn": "arn"}},
        "destructive",
    ),
    (
        "mcp",
        {
            "tool": "aggregate",
            "arguments": {"collection": "orders", "pipeline": [{"$match": {}}, {"$out": "orders"}]},
        },
        "destructive",
    ),
    (
        "mcp",
        {
            "tool": "aggregate",
            "arguments": {"collection": "orders", "pipeline": [{"$group": {"_id": "$c"}}]},
        },
        "read",
    ),
    ("mcp", {"tool": "list_deploys", "arguments": {}}, "read"),
    # Supabase's server, by its own annotations
    (
        "mcp",
        {"tool": "mcp__supabase__reset_branch", "arguments": {"branch_id": "b"}},
        "destructive",
    ),
    (
        "mcp",
        {"tool": "merge_branch", "server": "supabase", "arguments": {"branch_id": "b"}},
        "destructive",
    ),
    (  # a paused project is offline: an outage, as `supabase branches pause` is
        "mcp",
        {"tool": "pause_project", "server": "supabase", "arguments": {"project_id": "p"}},
        "destructive",
    ),
    (
        "mcp",
        {"tool": "restore_project", "server": "supabase", "arguments": {"project_id": "p"}},
        "write",
    ),
    (
        "mcp",
        {"tool": "list_tables", "server": "supabase", "arguments": {"schemas": ["public"]}},
        "read",
    ),
    (
        "mcp",
        {
            "tool": "execute_sql",
            "server": "supabase",
            "arguments": {"project_id": "p", "query": "select 1"},
        },
        "read",
    ),
    (
        "mcp",
        {
            "tool": "execute_sql",
            "server": "supabase",
            "arguments": {"project_id": "p", "query": "drop table orders"},
        },
        "destructive",
    ),
    # privilege (issue 15): Kubernetes manifests handed to a generic tool
    (
        "mcp",
        {
            "tool": "create_or_update_resource",
            "arguments": {
                "resource": "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
            },
        },
        "privilege",
    ),
    (
        "mcp",
        {
            "tool": "create_or_update_resource",
            "arguments": {"resource": "apiVersion: v1\nkind: ConfigMap\n"},
        },
        "write",
    ),
    (
        "http",
        _http(
            "POST",
            "https://gitlab.com/api/v4/projects/1/deploy_keys",
            {"title": "ci", "key": "ssh-ed25519 A"},
        ),
        "privilege",
    ),
    (
        "http",
        _http("POST", "https://api.heroku.com/oauth/authorizations", {"scope": ["global"]}),
        "privilege",
    ),
    (
        "http",
        _http("POST", "https://iam.googleapis.com/v1/projects/p/serviceAccounts/sa/keys", {}),
        "privilege",
    ),
    (
        "graphql",
        {"query": 'mutation { createDeployKey(input: {repo: "x", key: "ssh"}) { id } }'},
        "privilege",
    ),
    (
        "mcp",
        {"tool": "add_deploy_key", "arguments": {"repo": "o/r", "key": "ssh-ed25519 AAAA"}},
        "privilege",
    ),
]


GATE = Gate()
PRODUCTION = Resource("prod", "production")


@pytest.mark.parametrize(("kind", "payload", "expected"), PROVIDER_CASES)
def test_provider_calls(kind: str, payload: object, expected: str) -> None:
    actions = classify(kind, payload)
    assert most_severe(a.verb for a in actions).value == expected
    # and the default policy on production: stopped, or let through
    outcome = GATE.decide(Agent("provider-cases"), PRODUCTION, actions).outcome
    assert (outcome is Outcome.ALLOW) is (expected in ("read", "write"))


# ---- adversarial ---------------------------------------------------------------------------

ADVERSARIAL = [
    # the action type's case, a batch, an unreadable body, an override
    _http("POST", f"{DO}/droplets/7/actions", {"type": "REBUILD"}),
    _http(
        "POST", f"{DO}/droplets/actions?tag_name=web", [{"type": "reboot"}, {"type": "power_off"}]
    ),
    _http(
        "POST",
        f"{DO}/droplets/7/actions",
        '{"type": "reboot", "type": "rebuild"}',
        **{"Content-Type": "application/json"},
    ),
    _http("POST", f"{DO}/droplets/7", None, **{"X-HTTP-Method-Override": "DELETE"}),
    # replica zero as text, deep in the body, with a float
    _http("PUT", f"{K8S}/apis/apps/v1/namespaces/p/statefulsets/db", {"spec": {"replicas": "0"}}),
    _http(
        "PATCH",
        f"{K8S}/apis/apps/v1/namespaces/p/deployments/web",
        {"spec": {"template": {}, "replicas": 0}},
    ),
    # exec: the command as an argv list in a body under another spelling
    _http(
        "POST",
        "https://api.machines.dev/v1/apps/a/machines/m/exec",
        {"command": ["sh", "-c", "rm -rf /data"]},
    ),
    # GraphQL: the flag through a variable default, a nested input, a quoted boolean
    {
        "method": "POST",
        "url": GH,
        "body": {
            "query": "mutation($f: Boolean = true) "
            '{ updateRef(input: {refId: "r", oid: "a", force: $f}) { clientMutationId } }'
        },
    },
    {
        "method": "POST",
        "url": GH,
        "body": {"query": _ref(', force: "true"')},
    },
]


@pytest.mark.parametrize("payload", ADVERSARIAL)
def test_adversarial_calls_are_stopped(payload: dict[str, Any]) -> None:
    assert risk("http", payload) in (Verb.DESTRUCTIVE, Verb.UNKNOWN)


def test_a_generated_rule_never_lowers_the_generic_reading() -> None:
    # the pack says POST …/actions is a write; a JSON-RPC-style command still counts
    payload = _http("POST", f"{DO}/droplets/7/actions", {"type": "reboot", "action": "delete"})
    assert risk("http", payload) is Verb.DESTRUCTIVE


def test_a_server_less_call_gets_what_every_pack_knows_of_the_name() -> None:
    # tool names are not unique across servers, but what the packs know of a name still
    # raises a call that names no server (or one no pack serves)
    payload = {"tool": "git_reset", "server": "not-git-at-all", "arguments": {}}
    assert risk("mcp", payload) is Verb.DESTRUCTIVE  # by its own name
    assert risk("mcp", {"tool": "edit_file", "arguments": {"path": "a"}}) is Verb.DESTRUCTIVE
    assert risk("mcp", {"tool": "dns_report", "arguments": {"zone": "z"}}) is Verb.READ
    # a named server a pack serves: that pack alone speaks (the filesystem pack has no
    # `dns_report`), so the name says nothing and the call stays unknown
    served = {"tool": "dns_report", "server": "filesystem", "arguments": {"zone": "z"}}
    assert risk("mcp", served) is Verb.UNKNOWN


# ---- properties -------------------------------------------------------------------------

_HINTS = ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint")
names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=24)
annotations = st.dictionaries(
    st.sampled_from(_HINTS), st.booleans() | st.sampled_from(["true", "false", 1, None])
)
arguments = st.dictionaries(
    st.sampled_from(["path", "name", "action", "force", "replicas", "query", "id"]),
    st.integers(0, 3) | st.booleans() | st.sampled_from(["x", "delete", "list", "SELECT 1"]),
    max_size=3,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=names,
    args=arguments,
    hints=annotations,
    server=st.sampled_from([None, "filesystem", "git", "x"]),
)
def test_annotations_never_lower_risk(
    name: str, args: dict[str, Any], hints: dict[str, Any], server: str | None
) -> None:
    plain = {"tool": name, "arguments": args, **({"server": server} if server else {})}
    assert risk("mcp", {**plain, "annotations": hints}).severity >= risk("mcp", plain).severity


_KNOWN = {"GET", "HEAD", "OPTIONS", "QUERY", "PROPFIND", "POST", "PUT", "PATCH", "DELETE"}
_KNOWN |= {"MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "PROPPATCH"}
methods = st.from_regex(r"[A-Z]{3,10}", fullmatch=True).filter(lambda m: m not in _KNOWN)
segments = st.lists(st.from_regex(r"[a-z0-9_{}-]{1,12}", fullmatch=True), max_size=5)
hosts = st.sampled_from(["api.digitalocean.com", "api.github.com", "api.example.test", "es.local"])


@settings(max_examples=300)
@given(method=methods, host=hosts, path=segments)
def test_unknown_methods_are_unknown_on_any_path(method: str, host: str, path: list[str]) -> None:
    payload = {"method": method, "url": f"https://{host}/" + "/".join(path)}
    assert risk("http", payload).severity >= Verb.UNKNOWN.severity


@settings(max_examples=200)
@given(
    operations=st.lists(
        st.tuples(
            st.sampled_from(["get", "post", "put", "patch", "delete", "purge"]),
            segments,
            st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEF_", max_size=20),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_openapi_import_is_deterministic_and_loadable(
    operations: list[tuple[str, list[str], str]],
) -> None:
    paths: dict[str, dict[str, Any]] = {}
    for method, path, op_id in operations:
        paths.setdefault("/" + "/".join(p.replace("{", "").replace("}", "") for p in path), {})[
            method
        ] = {"operationId": op_id}
    document = {"openapi": "3.0.0", "servers": [{"url": "https://h.example.test"}], "paths": paths}
    first = from_openapi(document, Origin("prop", "x"))
    assert first == from_openapi(document, Origin("prop", "x"))
    pack = parse_pack(first, "prop.toml")
    for rule in pack.rules:
        if rule.methods == frozenset({"DELETE"}):
            assert rule.verb is Verb.DESTRUCTIVE


# ---- the command ------------------------------------------------------------------------


def test_packs_import_through_the_real_process(tmp_path: Path) -> None:
    folder = tmp_path / "packs"
    folder.mkdir()
    done = subprocess.run(
        [
            INTERLOCK,
            "packs",
            "import",
            "mcp",
            str(require_field_data("schemas", "mcp-memory.tools.json")),
            "--name",
            "kb",
            "--server",
            "kb",
            "-o",
            str(folder / "kb.toml"),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    env = {**os.environ, "INTERLOCK_ROUTE_PACKS": str(folder)}
    payload = json.dumps(
        {"tool": "delete_entities", "server": "kb", "arguments": {"entityNames": ["a"]}}
    )
    check = subprocess.run(
        [INTERLOCK, "check", "mcp", payload, "--json"], capture_output=True, text=True, env=env
    )
    assert json.loads(check.stdout)["risk"] == "destructive"
    bad = subprocess.run(
        [INTERLOCK, "packs", "import", "openapi", str(tmp_path / "missing.yaml"), "--name", "x"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1 and "cannot read it" in bad.stderr and "Traceback" not in bad.stderr


def test_an_mcp_write_about_access_is_privilege() -> None:
    origin = Origin("corp-iam", "corp", "1", "MIT")
    tools = [
        {"name": "create_user", "description": "Create a new IAM user."},
        {"name": "create_database", "description": "Create a new D1 database in your account."},
    ]
    pack = parse_pack(from_mcp_tools({"tools": tools}, origin, ("corp",)), "corp.toml")
    assert pack.mcp_tools["create_user"] is Verb.PRIVILEGE
    assert pack.mcp_tools["create_database"] is Verb.WRITE  # words paired across a sentence
