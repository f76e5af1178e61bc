"""Classify GraphQL-over-HTTP requests: which operation runs, and what each root field does.

The incident Interlock exists for was one GraphQL mutation, `volumeDelete`, sent with curl.
So this classifier answers the question a server answers before it executes anything: which
operation of the document runs (`operationName`), and which root fields of it are selected
(through aliases, fragments and `@skip`/`@include`). Only those count, so a query sent next
to an unselected deleting mutation stays a read.

Verbs:
- a mutation root field is `destructive` when its name's words mean destruction
  (`volumeDelete`, `delete_volume`, `purgeCache`, `resetDatabase`; see `_words`), or when a
  nested field reads as a destructive command (`mutation { volume { delete } }`); it is
  `privilege` when its name is about a credential or a privilege (`apiTokenCreate`,
  `addDeployKey`, `teamPermissionChange`; see `_credentials`), and a destructive one of those
  (`apiTokenDelete`) carries a second, privilege action; otherwise it is a `write`.
  `__typename` is a read. One action per root field: `graphql:<field>`.
- a query or subscription is one `read` action (`graphql:query`, `graphql:subscription`),
  plus a `destructive` action for any root field whose name is a destructive command
  (`query { deleteEverything }`): a resolver can do anything, and a field named so is not
  worth the risk. Nouns and participles (`deletedItems`, `onVolumeDeleted`) stay reads.
- persisted queries sent by hash only, unparseable documents, several operations with no
  `operationName`, an `operationName` naming no operation, undefined fragments: `unknown`.

Targets are the values of id-like arguments (`id`, `*Id`, `*_id`, `name`, `slug`, …) at any
depth of input objects, read through variables and variable defaults.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql.language import (
    BooleanValueNode,
    EnumValueNode,
    FloatValueNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    ObjectValueNode,
    StringValueNode,
    ValueNode,
    VariableNode,
    print_ast,
)
from graphql.utilities import value_from_ast_untyped

from interlock.classify import MAX_INPUT_CHARS
from interlock.classify._credentials import (
    carries_credential,
    is_read_command,
    privilege_subject,
    signs_in,
)
from interlock.classify._graphql_doc import Operation, RootField, analyse
from interlock.classify._words import destructive_word, disruptive_word, split_words
from interlock.errors import PayloadError
from interlock.model import Action, Verb, unknown_action
from interlock.redact import is_sensitive_key

__all__ = [
    "ARGUMENT_MARK",
    "MAX_BATCH",
    "ArgumentRule",
    "argument_verdicts",
    "classify",
    "is_graphql_document",
    "loads_strict",
]

PROTOCOL = "graphql"
MAX_BATCH = 256
"""Largest batch (array of requests) analysed; a longer one is `unknown`."""

ARGUMENT_MARK = ": by its arguments, "
"""In a reason, marks a verdict the call's arguments raised (`force: true`): a provider
pack's verdict for the field's name does not lower it."""

_MAX_TARGETS = 16
_MAX_TARGET_CHARS = 200
_MAX_VALUE_DEPTH = 12
_ID_WORDS = frozenset({"id", "ids", "uuid", "uuids", "name", "names", "slug", "slugs"})
# Imperatives that mint a credential when a query field is named after them
# (`query { createApiToken }`): a resolver can do anything.
_MINTING = frozenset({"create", "generate", "issue", "mint", "grant", "add", "new", "rotate"})
_SECRET_WORDS = frozenset(
    {"token", "secret", "password", "passwd", "key", "credential", "credentials", "auth"}
)


class DuplicateKeyError(ValueError):
    """A JSON object repeats a key: servers disagree on which copy wins, so we refuse."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKeyError(key)
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads_strict(text: str) -> Any:
    """`json.loads` that rejects duplicate keys at any depth (a parser-differential evasion)
    and the `NaN`/`Infinity` constants Python accepts and JSON does not."""
    return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)


def is_graphql_document(text: str) -> bool:
    """True when `text` parses as a GraphQL document with at least one operation."""
    return len(text) <= MAX_INPUT_CHARS and analyse(text).error is None


def classify(payload: object, depth: int) -> list[Action]:
    """Classify a GraphQL request, a batch of them, or their text (see module docstring)."""
    if isinstance(payload, str):
        return _classify_text(payload, decode_levels=2)
    if isinstance(payload, Mapping):
        return _classify_request(payload)
    if isinstance(payload, list):
        return _classify_batch(payload)
    raise PayloadError(
        "a graphql payload is an object with `query`, an array of them, or a string; "
        f"got {type(payload).__name__}"
    )


def _classify_text(text: str, decode_levels: int) -> list[Action]:
    stripped = text.strip().lstrip("\ufeff").strip()
    if len(stripped) > MAX_INPUT_CHARS:
        return [unknown_action(PROTOCOL, f"request of {len(stripped)} characters is too large")]
    if stripped[:1] in ("{", "[", '"'):
        try:
            decoded = loads_strict(stripped)
        except DuplicateKeyError as exc:
            return [unknown_action(PROTOCOL, f"JSON repeats the key {str(exc)!r}", stripped)]
        except (ValueError, RecursionError):
            decoded = None
            if stripped[:1] != "{":  # only `{` can also start a bare document
                return [unknown_action(PROTOCOL, "malformed JSON request", stripped)]
        if isinstance(decoded, Mapping):
            return _classify_request(decoded)
        if isinstance(decoded, list):
            return _classify_batch(decoded)
        if isinstance(decoded, str) and decode_levels > 0:
            return _classify_text(decoded, decode_levels - 1)
        if decoded is not None:
            return [unknown_action(PROTOCOL, "JSON that is not a GraphQL request", stripped)]
    return _classify_document(stripped, None, {})


def _classify_batch(items: list[Any]) -> list[Action]:
    if not items:
        return [unknown_action(PROTOCOL, "empty batch: nothing to vouch for")]
    if len(items) > MAX_BATCH:
        return [unknown_action(PROTOCOL, f"batch of {len(items)} requests exceeds {MAX_BATCH}")]
    actions: list[Action] = []
    for item in items:
        if isinstance(item, Mapping):
            actions.extend(_classify_request(item))
        else:
            actions.append(unknown_action(PROTOCOL, "batch entry is not a request object"))
    return actions


def _classify_request(request: Mapping[Any, Any]) -> list[Action]:
    query = request.get("query")
    if query is None:
        extensions = request.get("extensions")
        persisted = extensions.get("persistedQuery") if isinstance(extensions, Mapping) else None
        if isinstance(persisted, Mapping):
            digest = str(persisted.get("sha256Hash", ""))[:80]
            return [
                unknown_action(
                    PROTOCOL, "persisted query sent by hash: the document is not visible", digest
                )
            ]
        if any(key in request for key in ("id", "documentId", "queryId", "doc_id")):
            return [unknown_action(PROTOCOL, "stored document sent by id: not visible")]
        return [unknown_action(PROTOCOL, "request has no `query`")]
    if not isinstance(query, str):
        return [unknown_action(PROTOCOL, "`query` is not a string")]
    name = request.get("operationName")
    if name is not None and not isinstance(name, str):
        return [unknown_action(PROTOCOL, "`operationName` is not a string")]
    variables = request.get("variables")
    if isinstance(variables, str) and variables.strip():  # GET: variables as JSON text
        try:
            variables = loads_strict(variables)
        except DuplicateKeyError as exc:
            return [unknown_action(PROTOCOL, f"`variables` repeats the key {str(exc)!r}")]
        except (ValueError, RecursionError):
            return [unknown_action(PROTOCOL, "`variables` is not well-formed JSON")]
    return _classify_document(
        query.strip(), name or None, variables if isinstance(variables, Mapping) else {}
    )


def _classify_document(
    text: str, operation_name: str | None, variables: Mapping[str, Any]
) -> list[Action]:
    if len(text) > MAX_INPUT_CHARS:
        return [unknown_action(PROTOCOL, f"document of {len(text)} characters is too large")]
    document = analyse(text)
    if document.error is not None:
        return [unknown_action(PROTOCOL, f"unparseable GraphQL: {document.error}", text)]
    if operation_name is None:
        if len(document.operations) > 1:
            return [
                unknown_action(PROTOCOL, "several operations and no operationName: ambiguous", text)
            ]
        operation = document.operations[0]
    else:
        matches = [op for op in document.operations if op.name == operation_name]
        if len(matches) != 1:
            why = "names no operation" if not matches else "names several operations"
            return [unknown_action(PROTOCOL, f"operationName {operation_name!r} {why}", text)]
        operation = matches[0]
    if operation.problem is not None:
        return [unknown_action(PROTOCOL, operation.problem, text)]
    if operation.kind == "mutation":
        return _mutation_actions(operation, variables)
    return _read_actions(operation, variables)


def _mutation_actions(operation: Operation, variables: Mapping[str, Any]) -> list[Action]:
    if not operation.fields:
        return [_action("mutation", Verb.READ, (), "the mutation selects no field", "")]
    actions = []
    for root in operation.fields:
        targets = _targets(root, operation, variables)
        alias = f"{root.alias}: " if root.alias else ""
        label = f"mutation {{ {alias}{root.name}{_arguments(root, variables)} }}"
        if root.name.startswith("__"):
            verb, reason = Verb.READ, f"{root.name} only reads schema metadata"
        elif word := destructive_word(split_words(root.name)):
            verb, reason = Verb.DESTRUCTIVE, f"mutation {root.name} means {word!r}"
        elif word := disruptive_word(split_words(root.name)):
            verb, reason = Verb.DESTRUCTIVE, f"mutation {root.name} is a command to {word}"
        elif root.nested_commands:
            verb = Verb.DESTRUCTIVE
            reason = f"mutation {root.name} runs nested command {root.nested_commands[0]}"
        elif effect := _argument_effect(root, operation, variables):
            verb, reason = Verb.DESTRUCTIVE, f"mutation {root.name}{ARGUMENT_MARK}{effect}"
        else:
            verb, reason = Verb.WRITE, f"mutation {root.name} changes data"
        if verb is Verb.DESTRUCTIVE and not targets:
            targets = _fallback_targets(root, operation, variables)
        words = split_words(root.name)
        subject = None
        if verb is not Verb.READ and not is_read_command(words):
            subject = privilege_subject(words)
            if subject is None and verb is Verb.WRITE and not signs_in(words):
                key = carries_credential(list(_argument_keys(root, operation, variables)))
                subject = f"credential (it sends {key})" if key is not None else None
        if subject is not None and verb is Verb.WRITE:
            verb, reason = Verb.PRIVILEGE, f"mutation {root.name} creates or changes a {subject}"
        actions.append(_action(root.name, verb, targets, reason, label))
        if subject is not None and verb is Verb.DESTRUCTIVE:
            # revoking or deleting a credential changes privileges too: its own action, so
            # the grant and the policies about privilege see it
            why = f"mutation {root.name} changes a {subject}"
            actions.append(_action(root.name, Verb.PRIVILEGE, targets, why, label))
    return actions


def _read_actions(operation: Operation, variables: Mapping[str, Any]) -> list[Action]:
    kind = operation.kind
    actions: list[Action] = []
    targets: list[str] = []
    names: list[str] = []
    for root in operation.fields:
        word = None
        if not root.name.startswith("__"):
            word = destructive_word(split_words(root.name), imperative_only=True)
        field_targets = _targets(root, operation, variables)
        words = split_words(root.name)
        minted = None
        if not root.name.startswith("__") and words and words[0] in _MINTING:
            minted = privilege_subject(words)
        if word:
            reason = f"{kind} field {root.name} is named as a command to {word}"
            actions.append(
                _action(root.name, Verb.DESTRUCTIVE, field_targets, reason, f"{kind} {root.name}")
            )
        elif minted:
            reason = f"{kind} field {root.name} is named as a command to create a {minted}"
            actions.append(
                _action(root.name, Verb.PRIVILEGE, field_targets, reason, f"{kind} {root.name}")
            )
        else:
            names.append(root.name)
            targets.extend(field_targets)
    if names or not actions:
        if names and all(n in ("__schema", "__type", "__typename") for n in names):
            reason = "introspection only reads the schema"
        else:
            reason = f"a {kind} only reads data"
        detail = f"{kind} {', '.join(names[:8])}".strip()
        actions.insert(0, _action(kind, Verb.READ, tuple(dict.fromkeys(targets)), reason, detail))
    return actions


def _arguments(root: RootField, variables: Mapping[str, Any]) -> str:
    """The field's arguments as the server will see them (variables filled in), so an
    approver reads the exact call; values under credential-like names are masked."""
    if not root.arguments:
        return ""
    shown = []
    for argument in root.arguments[:12]:
        name, node = argument.name.value, argument.value
        if is_sensitive_key(name):
            value = "[redacted]"
        elif isinstance(node, VariableNode) and node.name.value in variables:
            value = json.dumps(variables[node.name.value], ensure_ascii=False, default=str)[:80]
        else:
            value = print_ast(node)[:80]
        shown.append(f"{name}: {value}")
    return "(" + ", ".join(shown) + ")"


def _action(
    name: str, verb: Verb, targets: tuple[str, ...] | list[str], reason: str, detail: str
) -> Action:
    return Action(
        protocol=PROTOCOL,
        operation=f"{PROTOCOL}:{name}",
        verb=verb,
        targets=tuple(targets)[:_MAX_TARGETS],
        reason=reason,
        detail=detail[:200],
    )


# -- targets ----------------------------------------------------------------------------


def _is_id_key(key: str) -> bool:
    words = split_words(key)
    return bool(words) and words[-1] in _ID_WORDS


def _targets(
    root: RootField, operation: Operation, variables: Mapping[str, Any]
) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for argument in root.arguments:
        for value in _id_values(argument.name.value, argument.value, operation, variables, 0):
            found[value] = None
            if len(found) >= _MAX_TARGETS:
                return tuple(found)
    return tuple(found)


def _argument_keys(
    root: RootField, operation: Operation, variables: Mapping[str, Any]
) -> Iterator[str]:
    """Argument names and the keys of input objects under them (through variables)."""
    stack: list[tuple[Any, int]] = []
    for argument in root.arguments:
        yield argument.name.value
        stack.append((argument.value, 0))
    while stack:
        node, level = stack.pop()
        if level > _MAX_VALUE_DEPTH:
            continue
        node = _resolve(node, operation, variables) if isinstance(node, VariableNode) else node
        if isinstance(node, ObjectValueNode):
            for field in node.fields:
                yield field.name.value
                stack.append((field.value, level + 1))
        elif isinstance(node, ListValueNode):
            stack.extend((item, level + 1) for item in node.values[:64])
        elif isinstance(node, Mapping):
            for key, value in list(node.items())[:64]:
                if isinstance(key, str):
                    yield key
                    stack.append((value, level + 1))
        elif isinstance(node, list):
            stack.extend((item, level + 1) for item in node[:64])


# Flags that make a change irreversible when set (`force: true`, `replaceAll: true`,
# `hardDelete: true`); a flag led by a destructive verb counts too (`deleteBranch: true`).
_MODIFIERS = frozenset(
    {"force", "forced", "replace", "overwrite", "hard", "permanent", "permanently", "cascade"}
)
# In a mutation a `count` of zero scales down too (Fly's `scaleApp(regions: [{count: 0}])`).
_REPLICA_KEYS = frozenset(
    {"replicas", "numreplicas", "replicacount", "desiredcount", "quantity", "instances", "count"}
)


def _argument_effect(
    root: RootField, operation: Operation, variables: Mapping[str, Any]
) -> str | None:
    """Why the arguments make the mutation destructive, or None: an irreversible flag set
    (`force: true`, `replaceAll: true`, `deleteSource: true`) or a replica count of zero, at
    any depth of input objects and through variables."""
    stack: list[tuple[str, Any, int]] = [(a.name.value, a.value, 0) for a in root.arguments]
    while stack:
        key, node, level = stack.pop()
        if level > _MAX_VALUE_DEPTH:
            continue
        node = _resolve(node, operation, variables) if isinstance(node, VariableNode) else node
        if isinstance(node, ObjectValueNode):
            stack.extend((f.name.value, f.value, level + 1) for f in node.fields)
            continue
        if isinstance(node, Mapping):
            stack.extend(
                (k, v, level + 1) for k, v in list(node.items())[:64] if isinstance(k, str)
            )
            continue
        if isinstance(node, ListValueNode):
            stack.extend((key, item, level + 1) for item in node.values[:64])
            continue
        if isinstance(node, list):
            stack.extend((key, item, level + 1) for item in node[:64])
            continue
        value: Any = node.value if isinstance(node, ValueNode) and hasattr(node, "value") else node
        words = split_words(key)
        if not words:
            continue
        if value is True or (isinstance(value, str) and value.strip().lower() == "true"):
            if words[0] in _MODIFIERS or destructive_word(words[:1], imperative_only=True):
                return f"{key} is true"
        elif "".join(words) in _REPLICA_KEYS and str(value).strip() == "0":
            return f"{key} is 0, which stops every copy of the service"
    return None


def _fallback_targets(
    root: RootField, operation: Operation, variables: Mapping[str, Any]
) -> tuple[str, ...]:
    """For a destructive field with no id-like argument: its plain string arguments."""
    found: dict[str, None] = {}
    for argument in root.arguments:
        key = argument.name.value
        if _SECRET_WORDS.intersection(split_words(key)):
            continue
        value = _resolve(argument.value, operation, variables)
        if isinstance(value, StringValueNode):
            found[value.value[:_MAX_TARGET_CHARS]] = None
        elif isinstance(value, str | int) and not isinstance(value, bool):
            found[str(value)[:_MAX_TARGET_CHARS]] = None
    return tuple(found)[:_MAX_TARGETS]


def _resolve(node: ValueNode, operation: Operation, variables: Mapping[str, Any]) -> Any:
    """A variable's JSON value (or its default's AST); any other node unchanged."""
    if isinstance(node, VariableNode):
        name = node.name.value
        if name in variables:
            return variables[name]
        return operation.defaults.get(name)
    return node


def _id_values(
    key: str, node: Any, operation: Operation, variables: Mapping[str, Any], level: int
) -> Iterator[str]:
    """Scalar values under id-like keys, through input objects, lists and variables."""
    if level > _MAX_VALUE_DEPTH:
        return
    node = _resolve(node, operation, variables) if isinstance(node, VariableNode) else node
    if isinstance(node, StringValueNode | IntValueNode | FloatValueNode | EnumValueNode):
        if _is_id_key(key):
            yield str(node.value)[:_MAX_TARGET_CHARS]
    elif isinstance(node, ListValueNode):
        for item in node.values:
            yield from _id_values(key, item, operation, variables, level + 1)
    elif isinstance(node, ObjectValueNode):
        for field in node.fields:
            yield from _id_values(field.name.value, field.value, operation, variables, level + 1)
    elif isinstance(node, BooleanValueNode | NullValueNode) or node is None:
        return
    elif isinstance(node, str | int | float) and not isinstance(node, bool):
        if _is_id_key(key):
            yield str(node)[:_MAX_TARGET_CHARS]
    elif isinstance(node, list):
        for item in node[:_MAX_TARGETS]:
            yield from _id_values(key, item, operation, variables, level + 1)
    elif isinstance(node, Mapping):
        for child_key, child in list(node.items())[:64]:
            if isinstance(child_key, str):
                yield from _id_values(child_key, child, operation, variables, level + 1)


# -- argument rules (pack data) -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArgumentRule:
    """A verdict for a mutation field called with one argument value, declared in a pack:
    Railway's `variableCollectionUpsert(input: {replace: true})` deletes every variable it
    does not list, `numReplicas: 0` stops a service. A rule only raises a verdict."""

    field: str  # the mutation root field (its real name, not an alias), or "*" for any
    path: tuple[str, ...]  # keys from the argument down: "*" any one key, "**" any depth
    equals: bool | int | float | str | None
    verb: Verb
    reason: str
    pack: str = ""


def argument_verdicts(payload: object, rules: Sequence[ArgumentRule]) -> dict[str, ArgumentRule]:
    """Mutation root field -> the most severe rule its arguments meet, for the operations
    `payload` (a request, a batch, or their JSON text) runs. Requests that cannot be read
    meet no rule: the classifier already calls them unknown."""
    hits: dict[str, ArgumentRule] = {}
    if not rules:
        return hits
    for query, name, variables in _requests(payload):
        # Most requests name no key a rule looks for: skip them before any parsing.
        relevant = [r for r in rules if _mentions(query, variables, r.path)]
        if not relevant:
            continue
        document = analyse(query.strip()) if len(query) <= MAX_INPUT_CHARS else None
        if document is None or document.error is not None:
            continue
        chosen = [o for o in document.operations if name is None or o.name == name]
        if len(chosen) != 1 or chosen[0].kind != "mutation" or chosen[0].problem:
            continue
        operation = chosen[0]
        for root in operation.fields:
            for rule in relevant:
                if rule.field not in ("*", root.name):
                    continue
                held = hits.get(root.name)
                if held is not None and held.verb.severity >= rule.verb.severity:
                    continue
                if _meets(_argument_values(root, operation, variables), rule):
                    hits[root.name] = rule
    return hits


def _mentions(query: str, variables: Mapping[str, Any], path: tuple[str, ...]) -> bool:
    """Could the request hold the rule's last named key (in the document or the variables)?"""
    keys = [k for k in path if k not in ("*", "**")]
    if not keys:
        return True
    return keys[-1] in query or (bool(variables) and keys[-1] in json.dumps(variables))


def _requests(payload: object) -> Iterator[tuple[str, str | None, Mapping[str, Any]]]:
    """(query, operationName, variables) of each readable request in a payload."""
    if isinstance(payload, str):
        stripped = payload.strip().lstrip("\ufeff").strip()
        try:
            payload = loads_strict(stripped) if stripped[:1] in ("{", "[") else stripped
        except (ValueError, RecursionError):
            payload = stripped
        if isinstance(payload, str):
            yield payload, None, {}
            return
    items = payload if isinstance(payload, list) else [payload]
    for item in items[:MAX_BATCH]:
        if not isinstance(item, Mapping) or not isinstance(item.get("query"), str):
            continue
        name = item.get("operationName")
        variables = item.get("variables")
        if isinstance(variables, str):
            try:
                variables = loads_strict(variables)
            except (ValueError, RecursionError):
                variables = None
        yield (
            item["query"],
            name if isinstance(name, str) and name else None,
            variables if isinstance(variables, Mapping) else {},
        )


def _argument_values(
    root: RootField, operation: Operation, variables: Mapping[str, Any]
) -> dict[str, Any]:
    """The field's arguments as JSON-like values, variables (and their defaults) filled in."""
    bound = {
        name: value_from_ast_untyped(node)
        for name, node in operation.defaults.items()
        if name not in variables
    }
    bound.update(variables)
    return {a.name.value: value_from_ast_untyped(a.value, bound) for a in root.arguments}


def _meets(value: Any, rule: ArgumentRule) -> bool:
    return any(_equal(found, rule.equals) for found in _at(value, rule.path, 0))


def _at(value: Any, path: tuple[str, ...], depth: int) -> Iterator[Any]:
    """Values at `path` under `value` (lists are looked through: any element)."""
    if depth > _MAX_VALUE_DEPTH:
        return
    if isinstance(value, list):
        for item in value[:64]:
            yield from _at(item, path, depth + 1)
        return
    if not path:
        yield value
        return
    if not isinstance(value, Mapping):
        return
    key, rest = path[0], path[1:]
    if key == "**":
        yield from _at(value, rest, depth + 1)
        for child in list(value.values())[:64]:
            yield from _at(child, path, depth + 1)
    elif key == "*":
        for child in list(value.values())[:64]:
            yield from _at(child, rest, depth + 1)
    elif key in value:
        yield from _at(value[key], rest, depth + 1)


def _equal(found: Any, wanted: Any) -> bool:
    """JSON equality: `true` is not `1`, `0` is `0.0`."""
    if isinstance(wanted, bool) or isinstance(found, bool):
        return isinstance(found, bool) and isinstance(wanted, bool) and found is wanted
    if isinstance(wanted, int | float) and isinstance(found, int | float):
        return float(found) == float(wanted)
    return bool(found == wanted)
