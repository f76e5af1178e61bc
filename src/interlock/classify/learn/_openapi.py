"""An OpenAPI (3.x, or Swagger 2.0) description → a route pack of `[[rule]]`s.

One rule per operation (`METHOD path`), in an order where the first match is the right one
(literal segments before parameters, conditional rules before the operation's own), plus
rules for the request body's discriminating fields:

- an action field with an enum or a discriminator mapping (`type`: `rebuild`, `power_off`)
  whose values are destructive or about credentials: `when = { type = { in = [...] } }`;
- a replica count (`replicas`, `quantity`, …) an integer may set to zero:
  `when = { "spec.replicas" = { le = 0 } }`;
- a map whose values may be null (Heroku config vars): `when = { "*" = { null = true } }`.

Only references inside the document (`#/components/...`) are followed; bundle a multi-file
description first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from interlock.classify._names import split_words
from interlock.classify.learn._judge import documented_loss, judge_command, judge_value
from interlock.classify.learn._pack import Origin, Rule, render
from interlock.errors import InputError
from interlock.model import Verb

__all__ = ["from_openapi"]

GENERATOR = "interlock packs import openapi"
_METHODS = ("get", "head", "options", "post", "put", "patch", "delete", "trace", "query")
_BASE = {"get": Verb.READ, "head": Verb.READ, "options": Verb.READ, "query": Verb.READ}
_BASE |= {"post": Verb.WRITE, "put": Verb.WRITE, "patch": Verb.WRITE}
_BASE |= {"delete": Verb.DESTRUCTIVE}
_ACTION_FIELDS = frozenset({"type", "action", "kind", "operation", "op", "command", "actiontype"})
_REPLICA_FIELDS = frozenset(
    {"replicas", "numreplicas", "replicacount", "desiredcount", "quantity", "instancecount"}
)
_PARAM = re.compile(r"\{([^}/]+)\}")
_MAX_DEPTH = 4


def from_openapi(document: Mapping[str, Any], origin: Origin, hosts: tuple[str, ...] = ()) -> str:
    """The pack for `document` (a parsed OpenAPI or Swagger description). Raises
    `InputError` when it is not one, or names no host and none is given."""
    origin.check()
    if not isinstance(document, Mapping) or not isinstance(document.get("paths"), Mapping):
        raise InputError("not an OpenAPI description: no `paths` object")
    servers = _servers(document)
    all_hosts = tuple(dict.fromkeys([*hosts, *(h for h, _ in servers)]))
    if not all_hosts:
        raise InputError("the description names no server host: give one with --host")
    bases = sorted({base for _, base in servers}) or [""]
    if len(bases) > 1:
        bases = [""]  # servers disagree on the base path: match the paths as written
    resolver = _Resolver(document)
    rules: list[tuple[tuple[Any, ...], int, Rule]] = []
    for raw_path, item in document["paths"].items():
        if not isinstance(raw_path, str) or not isinstance(item, Mapping) or "*" in raw_path:
            continue
        item = resolver.deref(item)
        path = _template(bases[0] + raw_path)
        for method in _METHODS:
            operation = item.get(method)
            if isinstance(operation, Mapping):
                for order, rule in enumerate(
                    _operation_rules(origin.name, method, path, operation, resolver)
                ):
                    rules.append((_specificity(path), order, rule))
    rules.sort(key=lambda r: (r[0], r[1], r[2].methods, r[2].path))
    title = str(document.get("info", {}).get("title", origin.name))
    return render(
        origin,
        GENERATOR,
        f"{title} (generated from its OpenAPI description)",
        hosts=all_hosts,
        rules=[rule for _, _, rule in rules],
    )


def _servers(document: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(host, base path) of each server the description names."""
    found: list[tuple[str, str]] = []
    if isinstance(document.get("host"), str):  # Swagger 2.0
        found.append((document["host"].split(":")[0].lower(), str(document.get("basePath", ""))))
    for server in document.get("servers") or []:
        url = server.get("url") if isinstance(server, Mapping) else None
        if not isinstance(url, str) or "{" in urlsplit(url).netloc:
            continue
        parts = urlsplit(url if "://" in url else f"https://{url}" if "." in url else url)
        if parts.hostname:
            found.append((parts.hostname.lower(), parts.path.rstrip("/")))
    return found


def _template(path: str) -> str:
    """The path as a pack template: parameter names made identifiers."""
    return _PARAM.sub(lambda m: "{" + (re.sub(r"\W", "_", m.group(1)) or "p") + "}", path)


def _specificity(path: str) -> tuple[Any, ...]:
    """Sort key: at each segment a literal comes before a parameter."""
    return tuple((1 if "{" in s else 0, s.lower()) for s in path.strip("/").split("/"))


class _Resolver:
    """Follows `#/...` references inside the document, guarding against cycles."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self._document = document

    def deref(self, node: Any, seen: frozenset[str] = frozenset()) -> Any:
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if not ref.startswith("#/") or ref in seen:
                return {}
            seen = seen | {ref}
            target: Any = self._document
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, Mapping) or part not in target:
                    return {}
                target = target[part]
            node = target
        return node

    def properties(self, schema: Any, depth: int = 0) -> Iterator[tuple[str, Any]]:
        """(name, schema) of every property, through allOf/anyOf/oneOf."""
        schema = self.deref(schema)
        if not isinstance(schema, Mapping) or depth > _MAX_DEPTH:
            return
        for combinator in ("allOf", "anyOf", "oneOf"):
            for part in schema.get(combinator) or []:
                yield from self.properties(part, depth + 1)
        properties = schema.get("properties")
        if isinstance(properties, Mapping):
            for name, child in properties.items():
                if isinstance(name, str):
                    yield name, self.deref(child)


def _operation_rules(
    prefix: str, method: str, path: str, operation: Mapping[str, Any], resolver: _Resolver
) -> list[Rule]:
    op_id = str(operation.get("operationId") or f"{method} {path}")
    name = f"{prefix}.{op_id}"
    base = _BASE.get(method, Verb.UNKNOWN)
    changing = base is not Verb.READ
    words = split_words(op_id)
    literal = [s for s in path.strip("/").split("/") if s and "{" not in s]
    verb, reason = base, f"{method.upper()} {'reads' if not changing else 'changes'} data"
    if base is Verb.DESTRUCTIVE:
        reason = f"{method.upper()} deletes the resource"
    # A read is only suspect when its name leads with the command (`GET /delete-all`):
    # `droplets_get_destroyAssociatedResourcesStatus` reads a status.
    candidates = (
        [judge_command(words, changing=True), judge_command(_last(literal), changing=True)]
        if changing
        else [judge_command(words[:1], changing=False)]
    )
    for candidate in candidates:
        if candidate is not None and candidate[0].severity > verb.severity:
            verb, reason = candidate
    summary = str(operation.get("summary") or "")
    description = str(operation.get("description") or "")
    if changing and verb.severity < Verb.DESTRUCTIVE.severity:
        phrase = documented_loss(summary, description)
        if phrase is not None:
            verb, reason = Verb.DESTRUCTIVE, f"its documentation says {phrase!r}"
    methods = (method.upper(),)
    rules: list[Rule] = []
    if changing and verb is not Verb.DESTRUCTIVE:
        schema = _body_schema(operation, resolver)
        rules += _discriminators(methods, path, name, schema, resolver)
    label = summary.strip().rstrip(".") or op_id
    rules.append(Rule(methods, path, verb.value, name, f"{label}: {reason}"[:200]))
    return rules


def _last(literal: list[str]) -> tuple[str, ...]:
    return split_words(literal[-1]) if literal else ()


def _body_schema(operation: Mapping[str, Any], resolver: _Resolver) -> Any:
    body = resolver.deref(operation.get("requestBody"))
    if isinstance(body, Mapping):
        content = body.get("content")
        if isinstance(content, Mapping):
            for media, value in sorted(content.items()):
                if "json" in str(media) and isinstance(value, Mapping):
                    return resolver.deref(value.get("schema"))
    for parameter in operation.get("parameters") or []:  # Swagger 2.0 body parameter
        parameter = resolver.deref(parameter)
        if isinstance(parameter, Mapping) and parameter.get("in") == "body":
            return resolver.deref(parameter.get("schema"))
    return None


def _discriminators(
    methods: tuple[str, ...], path: str, op_id: str, schema: Any, resolver: _Resolver
) -> list[Rule]:
    """Conditional rules for the body fields that decide what the call does."""
    if schema is None:
        return []
    rules: list[Rule] = []
    values: dict[str, set[str]] = {}
    for name, child in resolver.properties(schema):
        if "".join(split_words(name)) in _ACTION_FIELDS and isinstance(child, Mapping):
            for value in child.get("enum") or []:
                if isinstance(value, str):
                    values.setdefault(name, set()).add(value)
    mapping = schema.get("discriminator") if isinstance(schema, Mapping) else None
    if isinstance(mapping, Mapping) and isinstance(mapping.get("propertyName"), str):
        keys = mapping.get("mapping") or {}
        values.setdefault(mapping["propertyName"], set()).update(
            k for k in keys if isinstance(k, str)
        )
    for field_name, options in sorted(values.items()):
        judged: dict[Verb, list[str]] = {}
        for option in sorted(options):
            verb = judge_value(option)
            if verb is not None:
                judged.setdefault(verb, []).append(option)
        for verb in (Verb.DESTRUCTIVE, Verb.PRIVILEGE):
            if verb in judged:
                shown = ", ".join(judged[verb][:6])
                rules.append(
                    Rule(
                        methods,
                        path,
                        verb.value,
                        f"{op_id}.{field_name}",
                        f"{field_name} {shown}: "
                        + (
                            "takes something away for good"
                            if verb is Verb.DESTRUCTIVE
                            else "creates or changes a credential"
                        ),
                        ((field_name, {"in": judged[verb]}),),
                    )
                )
    for dotted in _replica_paths(schema, resolver, ()):
        rules.append(
            Rule(
                methods,
                path,
                Verb.DESTRUCTIVE.value,
                f"{op_id}.scale_to_zero",
                f"{dotted} of 0 stops every copy of the service",
                ((dotted, {"le": 0}),),
            )
        )
    if _nullable_map(schema, resolver):
        rules.append(
            Rule(
                methods,
                path,
                Verb.DESTRUCTIVE.value,
                f"{op_id}.unset",
                "a value set to null removes that entry",
                (("*", {"null": True}),),
            )
        )
    return rules


def _replica_paths(schema: Any, resolver: _Resolver, prefix: tuple[str, ...]) -> list[str]:
    if len(prefix) >= _MAX_DEPTH:
        return []
    found: list[str] = []
    for name, child in resolver.properties(schema):
        if not isinstance(child, Mapping):
            continue
        if "".join(split_words(name)) in _REPLICA_FIELDS and child.get("type") in (
            "integer",
            "number",
        ):
            if child.get("minimum", 0) <= 0:
                found.append(".".join((*prefix, name)))
        elif child.get("type") == "object" or "properties" in child or "allOf" in child:
            found += _replica_paths(child, resolver, (*prefix, name))
    return sorted(set(found))


def _nullable_map(schema: Any, resolver: _Resolver) -> bool:
    """A JSON object of arbitrary keys whose values may be null (`{"KEY": null}` unsets)."""
    schema = resolver.deref(schema)
    if not isinstance(schema, Mapping):
        return False
    extra = resolver.deref(schema.get("additionalProperties"))
    if not isinstance(extra, Mapping):
        return False
    kind = extra.get("type")
    return (
        bool(extra.get("nullable"))
        or (isinstance(kind, list) and "null" in kind)
        or any(isinstance(p, Mapping) and p.get("type") == "null" for p in extra.get("anyOf") or [])
    )
