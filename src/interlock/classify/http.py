"""Classify HTTP requests: GraphQL bodies by their operation, REST calls by their route.

Order of questions, most specific first:

1. Is it GraphQL? A JSON body with a `query` (or a persisted-query extension), a batch of
   those, `Content-Type: application/graphql`, a form or URL `query=` parameter: sent to a
   GraphQL endpoint (a pack's `graphql_paths`, or a path with the word `graphql`/`gql`), or
   anywhere when the text really parses as a GraphQL document. Then the GraphQL classifier
   decides, and a provider pack's field list for that host overrides its word rules
   (Railway's `volumeDelete` and friends). A GraphQL endpoint whose request cannot be read
   is `unknown`.
2. Otherwise a route pack rule (`_routes`), first match wins: GitHub's
   `DELETE /repos/{owner}/{repo}` is destructive, a ref `PATCH` with `"force": true` too.
3. Otherwise generic REST: the method's verb (GET read, POST write, DELETE destructive,
   anything unrecognised unknown), raised to destructive when a path segment, an action
   parameter (`?action=delete`, AWS `Action=DeleteBucket`), an RPC method name (JSON-RPC
   `"method": "deleteUser"`, `X-Amz-Target: DynamoDB.DeleteTable`) reads as a destructive
   command.
4. Privilege (`_credentials`): a command that creates or changes a credential or privilege
   (`Action=CreateAccessKey`, `Action=CreateUser` on `iam.amazonaws.com`), or a changing
   method on a path about one when no pack rule knows the route (`POST /v1/api-keys`), is
   `privilege`; under a destructive verdict it is a second action.

Method overrides (`X-HTTP-Method-Override: DELETE`, `_method=DELETE`) are honoured the way
frameworks honour them: every method the server might see is classified, the most severe
wins. Targets are `host/path` and route parameters; header values and URL userinfo and
query strings never appear in an action.
"""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl

from interlock.classify import classify_nested
from interlock.classify._credentials import (
    carries_credential,
    is_read_command,
    privilege_subject,
    signs_in,
)
from interlock.classify._http_request import CLASSIFIED_HEADERS, Request, parse_payload
from interlock.classify._mcp_words import destructive_pair
from interlock.classify._routes import (
    UNREADABLE,
    Pack,
    RouteRule,
    RouteTable,
    Verdict,
    configure,
    load_packs,
    parse_pack,
    route_table,
)
from interlock.classify._words import destructive_word, disruptive_word, split_words
from interlock.classify.graphql import (
    ARGUMENT_MARK,
    ArgumentRule,
    argument_verdicts,
    is_graphql_document,
)
from interlock.model import Action, Verb, unknown_action

__all__ = [
    "CLASSIFIED_HEADERS",
    "Pack",
    "RouteTable",
    "classify",
    "configure",
    "load_packs",
    "parse_pack",
    "route_table",
]

PROTOCOL = "http"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_OVERRIDE_HEADERS = ("x-http-method-override", "x-http-method", "x-method-override")
_COMMAND_KEYS = frozenset({"action", "op", "operation", "cmd", "command", "do", "method", "task"})
_COMMAND_HEADERS = ("x-amz-target", "soapaction")
# A body's `type` (or `kind`) names the command when the path is a collection of actions:
# DigitalOcean's `POST /v2/droplets/{id}/actions {"type": "rebuild"}`.
_ACTION_PATHS = frozenset({"action", "actions", "operation", "operations", "command", "commands"})
_TYPE_KEYS = frozenset({"type", "kind", "action_type", "actiontype"})
# Keys whose value is how many copies run: zero stops the service (`replicas: 0`).
_REPLICA_KEYS = frozenset(
    {
        "replicas",
        "replica",
        "numreplicas",
        "replicacount",
        "desiredcount",
        "desiredreplicas",
        "quantity",
        "instancecount",
        "instances",
        "numinstances",
        "nodecount",
        "minreplicas",
        "maxreplicas",
        "mininstances",
        "maxinstances",
        "scale",
    }
)
# Paths that hold named settings: a PATCH assigning null to one removes it (Heroku's
# `PATCH /apps/{app}/config-vars {"DATABASE_URL": null}`).
_SETTINGS_WORDS = frozenset(
    {"config", "configs", "vars", "variables", "env", "environment", "settings", "secrets"}
)
# Path words of endpoints that run a command given in the request (Kubernetes `…/exec`,
# Docker `/containers/{id}/exec`, Fly machines `…/exec`): the shell classifier reads it.
_EXEC_WORDS = frozenset(
    {"exec", "execute", "shell", "ssh", "console", "command", "commands", "run"}
)
_EXEC_KEYS = ("command", "cmd", "Cmd", "Command", "argv", "script")
# Flags that make a change irreversible when set: `{"force": true}`, `{"hardDelete": true}`.
_FLAG_MODIFIERS = frozenset(
    {"force", "forced", "hard", "permanent", "permanently", "cascade", "purge", "wipe", "overwrite"}
)
# A state that cannot be left once set: `{"status": "terminated"}`, Stripe's card `canceled`
# is not here (a workflow's `canceled` is an ordinary state elsewhere).
_STATE_KEYS = frozenset({"status", "state", "lifecycle_state", "lifecyclestate"})
_TERMINAL_STATES = frozenset(
    {
        "deleted",
        "destroyed",
        "terminated",
        "purged",
        "revoked",
        "void",
        "voided",
        "decommissioned",
        "canceled",
        "cancelled",
    }
)
# Switches that take a running service offline when set (`{"paused": true}` on a zone,
# `{"maintenance": true}` on an app, `{"spec": {"suspend": true}}` on a CronJob).
_OUTAGE_FLAGS = frozenset({"pause", "paused", "suspend", "suspended", "maintenance"})
# Keys holding a batch of operation envelopes (`{"actions": [{"remove_index": {…}}]}`).
_BATCH_KEYS = frozenset({"actions", "operations", "ops", "requests", "mutations", "commands"})
# A bare `flush` segment writes buffers out (Elasticsearch `_flush`): routine, not a loss.
_ROUTINE_SEGMENTS = frozenset({"flush"})
_GRAPHQL_WORDS = frozenset({"graphql", "gql"})
# Headers some servers (IIS, Symfony, Zend) route by instead of the request line's path.
_REWRITE_HEADERS = frozenset({"x-original-url", "x-rewrite-url"})


def classify(payload: object, depth: int) -> list[Action]:
    """Classify an `http` payload (see module docstring). Raises `PayloadError` only for
    an object payload with missing or wrongly typed fields."""
    request = parse_payload(payload)
    if isinstance(request, str):
        return [unknown_action(PROTOCOL, f"unreadable HTTP request: {request}")]
    if not _REWRITE_HEADERS.isdisjoint(request.headers):
        rewrite = min(_REWRITE_HEADERS.intersection(request.headers))
        why = f"{rewrite} makes some servers route the request to another path"
        return [unknown_action(PROTOCOL, why, f"{request.host}{request.path}")]
    if request.body_problem is not None and not _graphql_text(request):
        return [unknown_action(PROTOCOL, request.body_problem, f"{request.host}{request.path}")]
    table = route_table()
    route = _route_actions(request, table)
    embedded = _embedded_actions(request, table, depth)
    if embedded:
        return embedded
    graphql = _graphql_actions(request, table, depth)
    if graphql is None:
        return route
    # GraphQL carries the meaning; keep the route too when it is dangerous on its own
    # (a DELETE or an unrecognised method to a GraphQL endpoint).
    return [*graphql, route[0]] if route[0].verb.is_dangerous else graphql


def _graphql_text(request: Request) -> bool:
    """A body that is not JSON but a bare GraphQL document (`{ users { id } }`, sent as
    text): the GraphQL classifier reads it."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media.endswith("json") or request.body_text is None:
        return False
    text = request.body_text.strip()
    return "\x00" not in text and "\ufffd" not in text and is_graphql_document(text)


# -- REST ---------------------------------------------------------------------------------


def _methods(request: Request) -> list[str]:
    """Every method the server might act on: the request's, and any override it carries."""
    methods = [request.method]
    candidates = [request.headers.get(h, "") for h in _OVERRIDE_HEADERS]
    candidates += [v for k, v in request.query if k.lower() == "_method"]
    if isinstance(request.body, Mapping):
        value = request.body.get("_method")
        if isinstance(value, str):
            candidates.append(value)
        media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if value is not None and media == "application/x-www-form-urlencoded":
            # every `_method` of a form: frameworks differ on which of several they take
            text = (request.body_text or "").strip()
            candidates += [v for k, v in parse_qsl(text) if k.lower() == "_method"]
    for value in candidates:
        for method in value.split(","):
            method = method.strip().upper()
            if method and method not in methods:
                methods.append(method)
    return methods


def _route_actions(request: Request, table: RouteTable) -> list[Action]:
    """The route's verdict, and a second, privilege action when the request also creates or
    changes a credential under a more severe verdict (`DELETE …/deploy-keys/7`)."""
    methods = _methods(request)
    verdicts = [_route_verdict(request, table, method) for method in methods]
    action = max(verdicts, key=lambda a: a.verb.severity)
    command = _command_word(request)
    if command is not None and action.verb is not Verb.DESTRUCTIVE:
        where, word = command
        action = dataclasses.replace(
            action, verb=Verb.DESTRUCTIVE, reason=f"{where} is a command to {word}"
        )
    effect = _body_effect(request, methods)
    if effect is not None and action.verb is not Verb.DESTRUCTIVE:
        action = dataclasses.replace(action, verb=Verb.DESTRUCTIVE, reason=effect)
    if len(methods) > 1:
        overridden = f"method overridden to {', '.join(methods[1:])}; "
        action = dataclasses.replace(action, reason=overridden + action.reason)
    privileged = _privilege_reason(request, table, methods)
    if privileged is None or action.verb is Verb.PRIVILEGE:
        return [action]
    if action.verb.severity < Verb.PRIVILEGE.severity:
        return [dataclasses.replace(action, verb=Verb.PRIVILEGE, reason=privileged)]
    return [action, dataclasses.replace(action, verb=Verb.PRIVILEGE, reason=privileged)]


def _privilege_reason(request: Request, table: RouteTable, methods: list[str]) -> str | None:
    """Why the request creates, changes or widens a credential or privilege, or None.

    A command it names (`Action=CreateAccessKey`, a JSON-RPC method, `X-Amz-Target`) that is
    not a read, about a credential in its own words or in the host's (`iam.amazonaws.com`:
    `Action=CreateUser`); or, when no pack rule knows the route, a method that changes
    something on a path about a credential (`POST /v1/api-keys`, `PUT …/roleAssignments/1`).
    """
    host = split_words(request.host)
    commands = _command_values(request)
    for where, value in commands:
        words = split_words(value)
        if is_read_command(words):
            continue
        subject = privilege_subject(words) or privilege_subject(host)
        if subject is not None:
            return f"{where} {value[:60]!r} creates or changes a {subject}"
    if commands:
        return None  # the request names what it does, and that is not about a credential
    changing = [m for m in methods if m not in _SAFE_METHODS]
    last = split_words(request.segments[-1]) if request.segments else []
    if not changing and _REVEALS.intersection(last):
        # `GET …/roles/app/reveal_password`: a read whose answer is the credential itself
        subject = privilege_subject(last)
        if subject is not None:
            return f"the path reveals a {subject}"
    if isinstance(request.body, Mapping) and any(m in ("PATCH", "PUT") for m in changing):
        # what the call's own body says stands whatever a pack says of the route
        exposed = _exposes(request.body)
        if exposed is not None:
            return f"{changing[0]} sets {exposed}: it opens the resource to everyone"
    if not changing or any(
        table.match(request.host, m, request.path, request.body) for m in changing
    ):
        return None
    path_words = [w for segment in request.segments for w in split_words(segment)]
    if any(is_read_command(split_words(segment)) for segment in request.segments):
        return None
    subject = privilege_subject(path_words) or privilege_subject(host)
    if subject is not None:
        return f"{changing[0]} on a path about a {subject} creates or changes it"
    if signs_in(path_words) or not isinstance(request.body, Mapping):
        return None
    key = carries_credential([k for k in request.body if isinstance(k, str)][:64])
    if key is None:
        return None
    return f"{changing[0]} sends {key}: it sets a credential"


def _exposes(body: Mapping[Any, Any]) -> str | None:
    """A change of an existing resource's visibility to public (`{"private": false}`,
    `{"visibility": "public"}`), or None."""
    if body.get("private") is False:
        return "private to false"
    for key in ("visibility", "access", "acl"):
        value = body.get(key)
        if isinstance(value, str) and value.strip().lower() in _PUBLIC_VALUES:
            return f"{key} to {value.strip()!r}"
    return None


def _route_verdict(request: Request, table: RouteTable, method: str) -> Action:
    endpoint = f"{request.host}{request.path}"
    detail = f"{method} {endpoint}"
    matched = table.match(request.host, method, request.path, request.body)
    if matched is not None:
        ruled = _rule_verdict(matched, endpoint, method, detail)
        if not matched[0].generated:
            return ruled
        # a generated rule settles an unknown and raises what Interlock reads, never lowers
        generic = _generic_verdict(request, table, method, endpoint, detail)
        if generic.verb is Verb.UNKNOWN or ruled.verb.severity >= generic.verb.severity:
            return ruled
        return generic
    return _generic_verdict(request, table, method, endpoint, detail)


def _rule_verdict(
    matched: tuple[RouteRule, dict[str, str]], endpoint: str, method: str, detail: str
) -> Action:
    rule, params = matched
    targets = [endpoint]
    target = rule.target_for(params)
    if target:
        targets.append(target)
    targets.extend(v for v in params.values() if v not in targets)
    return Action(
        protocol=PROTOCOL,
        operation=f"{PROTOCOL}:{rule.operation or method}",
        verb=rule.verb,
        targets=tuple(targets),
        reason=rule.reason or f"{rule.pack} pack: {method} {rule.template}",
        detail=detail,
    )


def _generic_verdict(
    request: Request, table: RouteTable, method: str, endpoint: str, detail: str
) -> Action:
    verb = table.methods.get(method)
    if verb is None:
        return Action(
            protocol=PROTOCOL,
            operation=f"{PROTOCOL}:{method}",
            verb=Verb.UNKNOWN,
            targets=(endpoint,),
            reason=f"{method} is not a method Interlock knows",
            detail=detail,
        )
    reason = f"{method} {'reads' if verb is Verb.READ else 'changes'} data"
    if verb is Verb.DESTRUCTIVE:
        reason = f"{method} deletes the resource"
    word = _path_command(request.segments, safe=method in _SAFE_METHODS)
    if word is not None and verb is not Verb.DESTRUCTIVE:
        verb, reason = Verb.DESTRUCTIVE, f"the path names a command to {word}"
    return Action(
        protocol=PROTOCOL,
        operation=f"{PROTOCOL}:{method}",
        verb=verb,
        targets=(endpoint,),
        reason=reason,
        detail=detail,
    )


# Values that open a resource to everyone (`visibility: public`, an S3-style `public-read`).
_PUBLIC_VALUES = frozenset({"public", "public-read", "public-read-write", "anonymous"})
# A read's last segment that hands back a credential in clear (`reveal_password`).
_REVEALS = frozenset({"reveal", "decrypt", "unmask", "plaintext"})
# A last segment that stops a command in progress rather than running one.
_CANCELS = frozenset({"cancel", "abort"})


def _path_command(segments: Iterable[str], *, safe: bool) -> str | None:
    """A destructive command word in the path (`/cache/purge`, `/v1/resetDatabase`).

    For safe methods only a segment that starts with the verb and is short counts
    (`GET /users/5/delete`), so `/docs/how-to-delete-your-account` stays a read. A path that
    ends by cancelling names the command it stops, not one it runs (`/restore/cancel`,
    `/_reindex/{id}/_cancel`).
    """
    segments = list(segments)
    if not safe:
        # a write that destroys its object: `PUT …/pulls/7/merge`, `…/subscriptions/…/cancel`
        pair = destructive_pair(tuple(w for segment in segments for w in split_words(segment)))
        if pair is not None:
            return " ".join(pair)
    if segments and _CANCELS.intersection(split_words(segments[-1])):
        return None
    for segment in segments:
        words = split_words(segment)
        if safe:
            if words and len(words) <= 3 and destructive_word(words[:1], imperative_only=True):
                return words[0]
        elif set(words) <= _ROUTINE_SEGMENTS:
            continue
        else:
            word = destructive_word(words, imperative_only=True) or disruptive_word(words)
            if word is not None:
                return word
    return None


def _command_values(request: Request) -> list[tuple[str, str]]:
    """Commands named by a parameter, an RPC method or an operation header: (where, value)."""
    candidates: list[tuple[str, str]] = [
        (f"query parameter {k}", v) for k, v in request.query if k.lower() in _COMMAND_KEYS
    ]
    candidates += [
        (f"header {h}", request.headers[h]) for h in _COMMAND_HEADERS if h in request.headers
    ]
    keys = _COMMAND_KEYS
    if request.segments and _ACTION_PATHS.intersection(split_words(request.segments[-1])):
        keys = _COMMAND_KEYS | _TYPE_KEYS
    bodies = request.body if isinstance(request.body, list) else [request.body]
    for item in bodies[:64]:
        if isinstance(item, Mapping):
            candidates += [
                (f"body field {k}", v)
                for k, v in item.items()
                if isinstance(k, str) and k.lower() in keys and isinstance(v, str)
            ]
    return candidates


def _command_word(request: Request) -> tuple[str, str] | None:
    """A destructive command named by a parameter, an RPC method or an operation header
    (`Action=TerminateInstances`, `{"type": "rebuild"}` to an actions path)."""
    # a read's parameters name what to show (`?action=stop` filters a log), not what to stop
    disruptive = any(m not in _SAFE_METHODS for m in _methods(request))
    for where, value in _command_values(request):
        words = split_words(value)
        word = destructive_word(words, imperative_only=True)
        if word is None and disruptive:
            word = disruptive_word(words)
        if word is not None:
            return where, word
    return None


def _body_effect(request: Request, methods: list[str]) -> str | None:
    """Why the body makes a changing request destructive, or None: a replica count of zero
    anywhere in it (`{"spec": {"replicas": 0}}`), a null assigned to a named setting
    (`PATCH …/config-vars {"KEY": null}`), or a batch of operation envelopes one of which
    deletes (`_bulk` lines `{"delete": {…}}`)."""
    if all(m in _SAFE_METHODS for m in methods) or not isinstance(request.body, Mapping | list):
        return None
    zero = _zero_replicas(request.body, 0)
    if zero is not None:
        return f"the body sets {zero} to 0: it stops every copy of the service"
    flag = _true_flag(request.body, 0, _irreversible)
    if flag is not None:
        return f"the body sets {flag} to true: the change cannot be undone"
    flag = _true_flag(request.body, 0, _takes_offline)
    if flag is not None:
        return f"the body sets {flag} to true: it takes the service offline"
    if isinstance(request.body, Mapping) and any(m in ("PATCH", "PUT") for m in methods):
        words = {w for segment in request.segments[-2:] for w in split_words(segment)}
        if words & _SETTINGS_WORDS:
            removed = [k for k, v in request.body.items() if v is None and isinstance(k, str)]
            if removed:
                return f"the body sets {removed[0][:60]!r} to null: it removes the setting"
    items = request.body if isinstance(request.body, list) else [request.body]
    if isinstance(request.body, Mapping):
        # a terminal state assigned (`{"status": "terminated"}`), envelopes under a batch key
        for key, value in list(request.body.items())[:128]:
            lowered = key.lower() if isinstance(key, str) else ""
            if lowered in _STATE_KEYS and isinstance(value, str):
                if value.strip().lower() in _TERMINAL_STATES:
                    return f"the body sets {key} to {value.strip()!r}: it cannot be undone"
            elif lowered in _BATCH_KEYS and isinstance(value, list):
                items = [*items, *value[:1024]]
    for item in items[:1024]:
        if isinstance(item, Mapping) and len(item) == 1:
            ((key, value),) = item.items()
            if isinstance(key, str) and isinstance(value, Mapping):
                word = destructive_word(split_words(key), imperative_only=True)
                if word is not None:
                    return f"the body holds a {key[:40]!r} operation: a command to {word}"
    return None


def _irreversible(words: Sequence[str]) -> bool:
    """`force`, `hard`, `cascade`, `forceDelete`, `purge`: a change that cannot be undone."""
    return bool(words) and words[0] in _FLAG_MODIFIERS


def _takes_offline(words: Sequence[str]) -> bool:
    """`paused`, `suspend`, `maintenance`, `maintenanceMode`: the service stops serving."""
    return bool(words) and words[0] in _OUTAGE_FLAGS


def _true_flag(value: Any, level: int, means: Callable[[Sequence[str]], bool]) -> str | None:
    """A flag whose name `means` it, set to true, searched a few levels deep, or None."""
    if level > 3:
        return None
    items: list[Any] = []
    if isinstance(value, Mapping):
        for key, child in list(value.items())[:128]:
            is_true = child is True or child in ("true", "True")
            if isinstance(key, str) and is_true and means(split_words(key)):
                return key
            items.append(child)
    elif isinstance(value, list):
        items = value[:64]
    for child in items:
        if isinstance(child, Mapping | list):
            found = _true_flag(child, level + 1, means)
            if found is not None:
                return found
    return None


def _zero_replicas(value: Any, level: int) -> str | None:
    """The key holding a replica count of zero, searched a few levels deep, or None."""
    if level > 6:
        return None
    if isinstance(value, Mapping):
        for key, child in list(value.items())[:128]:
            replicas = isinstance(key, str) and "".join(split_words(key)) in _REPLICA_KEYS
            if replicas and not isinstance(child, bool) and child in (0, "0"):
                return str(key)
            found = _zero_replicas(child, level + 1)
            if found is not None:
                return found
    elif isinstance(value, list):
        for child in value[:64]:
            found = _zero_replicas(child, level + 1)
            if found is not None:
                return found
    return None


def _embedded_actions(request: Request, table: RouteTable, depth: int) -> list[Action]:
    """Actions of text a pack rule says another classifier reads (SQL over HTTP APIs)."""
    matched = table.match(request.host, request.method, request.path, request.body)
    if matched is None or matched[0].nested is None:
        return _exec_actions(request, depth)
    rule = matched[0]
    kind = rule.nested[0] if rule.nested else ""
    where = f"{request.host}{request.path}"
    return [
        _with_endpoint(action, where)
        for text in rule.nested_texts(request.body, request.query)[:64]
        for action in classify_nested(kind, text, depth)
    ]


def _exec_actions(request: Request, depth: int) -> list[Action]:
    """The command an exec endpoint runs, read by the shell classifier: Kubernetes
    `…/pods/{pod}/exec?command=psql&command=-c&command=…`, Docker and Fly `{"cmd": [...]}`."""
    if not request.segments or not _EXEC_WORDS.intersection(split_words(request.segments[-1])):
        return []
    argv = [v for k, v in request.query if k.lower() in ("command", "cmd")]
    line = shlex.join(argv) if len(argv) > 1 else (argv[0] if argv else None)
    if line is None and isinstance(request.body, Mapping):
        for key in _EXEC_KEYS:
            value = request.body.get(key)
            if isinstance(value, str) and value.strip():
                line = value
            elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
                line = shlex.join(value)
            if line is not None:
                break
    if line is None:
        return []
    where = f"{request.host}{request.path}"
    return [_with_endpoint(a, where) for a in classify_nested("shell", line, depth)]


# -- GraphQL ------------------------------------------------------------------------------


def _is_graphql_request(value: Any) -> bool:
    if not isinstance(value, Mapping):
        return False
    if isinstance(value.get("query"), str):
        return True
    extensions = value.get("extensions")
    return isinstance(extensions, Mapping) and "persistedQuery" in extensions


def _parses(value: Any) -> bool:
    from interlock.classify.graphql import is_graphql_document

    items = value if isinstance(value, list) else [value]
    return any(
        isinstance(i, Mapping)
        and isinstance(i.get("query"), str)
        and is_graphql_document(i["query"])
        for i in items
    )


def _graphql_payloads(request: Request, endpoint: bool) -> list[Any] | Action:
    """The GraphQL requests this HTTP request carries, in body and URL."""
    payloads: list[Any] = []
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    body = request.body
    if media == "application/graphql" and request.body_text is not None:
        payloads.append(request.body_text)
    elif _is_graphql_request(body) or (
        isinstance(body, list) and body and all(_is_graphql_request(b) for b in body)
    ):
        if endpoint or _parses(body):
            payloads.append(body)
    elif endpoint and body is UNREADABLE:
        payloads.append(request.body_text or "")  # unparseable: the classifier says unknown
    elif endpoint and body is not None and request.method not in _SAFE_METHODS:
        payloads.append(body)  # JSON that is not a GraphQL request: the classifier says so
    if endpoint or payloads or (request.query and _url_has_graphql(request)):
        ambiguous = _ambiguous_graphql(request, payloads)
        if ambiguous is not None:
            return unknown_action("graphql", f"ambiguous GraphQL request: {ambiguous}")
    params = dict(request.query)
    if "query" in params or "extensions" in params:
        from_url: dict[str, Any] = {
            k: params[k] for k in ("query", "operationName", "variables") if k in params
        }
        if "extensions" in params:
            from interlock.classify.graphql import loads_strict

            try:
                from_url["extensions"] = loads_strict(params["extensions"])
            except ValueError:
                from_url["extensions"] = {"persistedQuery": "unreadable"}
        if endpoint or _parses(from_url):
            payloads.append(from_url)
    return payloads


_GRAPHQL_PARAMS = ("query", "operationName", "variables", "extensions")


def _url_has_graphql(request: Request) -> bool:
    """A URL `query` parameter that really is a GraphQL document (outside an endpoint,
    `?query=` is usually a search)."""
    return any(k == "query" and is_graphql_document(v) for k, v in request.query)


def _ambiguous_graphql(request: Request, in_body: list[Any]) -> str | None:
    """Why servers could disagree on which operation this request runs, or None.

    Servers differ on a repeated `query` parameter (first or last), on an `operationName`
    in the URL next to a body (which wins), and on GraphQL parameters in the URL next to a
    body (which is read): each of these is ambiguous, so `unknown`, never a guess."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    form = media == "application/x-www-form-urlencoded"
    if not request.query and not form:
        return None  # one place only: nothing to disagree on
    counts: dict[str, int] = {}
    for key, _ in request.query:
        if key in _GRAPHQL_PARAMS:
            counts[key] = counts.get(key, 0) + 1
    if form and request.body_text:
        for key, _ in parse_qsl(request.body_text.strip(), keep_blank_values=True):
            if key in _GRAPHQL_PARAMS:
                counts[f"body {key}"] = counts.get(f"body {key}", 0) + 1
    repeated = [key for key, n in counts.items() if n > 1]
    if repeated:
        return f"the GraphQL parameter {repeated[0]!r} is repeated"
    in_url = [key for key in _GRAPHQL_PARAMS if key in counts]
    if not in_url or not (in_body or (request.body_text or "").strip()):
        return None
    if in_url == ["operationName"] and len(in_body) == 1 and isinstance(in_body[0], Mapping):
        if in_body[0].get("operationName") == dict(request.query)["operationName"]:
            return None  # the same name in both places (clients that log it in the URL)
        return "operationName in the URL differs from the body's"
    return f"GraphQL parameters in the URL ({', '.join(in_url)}) and a body"


def _graphql_actions(request: Request, table: RouteTable, depth: int) -> list[Action] | None:
    pack = table.graphql_pack(request.host, request.path)
    endpoint = pack is not None or any(
        _GRAPHQL_WORDS.intersection(split_words(s)) for s in request.segments
    )
    payloads = _graphql_payloads(request, endpoint)
    if isinstance(payloads, Action):
        return [_with_endpoint(payloads, f"{request.host}{request.path}")]
    if not payloads:
        # The method the server acts on may be an override's (`X-HTTP-Method-Override`).
        if endpoint and any(m not in _SAFE_METHODS for m in _methods(request)):
            return [unknown_action("graphql", "request to a GraphQL endpoint with no query")]
        return None
    overrides = table.graphql_overrides(request.host)
    arguments = table.graphql_arguments(request.host)
    where = f"{request.host}{request.path}"
    actions: list[Action] = []
    for payload in payloads:
        found = _overridden(classify_nested("graphql", payload, depth), overrides)
        if arguments:
            found = _raised(found, argument_verdicts(payload, arguments))
        actions.extend(_with_endpoint(action, where) for action in found)
    return actions


def _raised(actions: Iterable[Action], hits: Mapping[str, ArgumentRule]) -> list[Action]:
    """A pack's argument rules raise the verdict of the mutation fields they meet
    (`variableCollectionUpsert(input: {replace: true})`), never lower one."""
    out = []
    for action in actions:
        rule = hits.get(action.operation.partition(":")[2])
        raise_it = rule is not None and rule.verb.severity > action.verb.severity
        if rule is not None and raise_it and action.verb is not Verb.UNKNOWN:
            reason = f"{rule.pack} pack: {rule.reason or rule.verb.value}"
            action = dataclasses.replace(action, verb=rule.verb, reason=reason)
        out.append(action)
    return out


def _overridden(actions: Iterable[Action], overrides: Mapping[str, Verdict]) -> list[Action]:
    """Apply a provider pack's verdict for a known GraphQL field name.

    A privilege action the words found is kept next to a more severe pack verdict (a pack
    that calls `apiTokenDelete` destructive does not make it any less a privilege action).
    What the call's arguments say (`force: true`) stands whatever the pack says, and a
    generated pack (`interlock packs import`) only raises."""
    out: list[Action] = []
    for action in actions:
        name = action.operation.partition(":")[2]
        found = overrides.get(name)
        if found is None or action.verb is Verb.UNKNOWN or found.verb is action.verb:
            out.append(action)
            continue
        verb, pack = found.verb, found.pack
        lowers = verb.severity < action.verb.severity
        if lowers and (found.generated or ARGUMENT_MARK in action.reason):
            out.append(action)
            continue
        changed = dataclasses.replace(
            action, verb=verb, reason=f"{pack} pack: {name} is {verb.value}"
        )
        if action.verb is Verb.PRIVILEGE and verb.severity > action.verb.severity:
            if not any(a.operation == changed.operation and a.verb is verb for a in out):
                out.append(changed)
            out.append(action)
        else:
            out.append(changed)
    return list(dict.fromkeys(out))


def _with_endpoint(action: Action, endpoint: str) -> Action:
    if endpoint in action.targets:
        return action
    return dataclasses.replace(action, targets=(*action.targets, endpoint))
