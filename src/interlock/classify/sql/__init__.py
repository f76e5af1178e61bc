"""The SQL classifier: PostgreSQL statements in, one `Action` per statement out.

Statements are parsed by PostgreSQL's own parser (`pgparse`, libpg_query), never matched
as text, so a DROP inside a string literal or a comment is not a DROP, and case, comments
and quoting cannot hide one. Each statement is judged by its node type (`_statements`),
then everything nested in it is walked (`_analyser`): data-modifying WITH queries, function
calls anywhere in an expression (`_functions`), PL/pgSQL bodies and the strings they
EXECUTE (`_plpgsql`), SQL handed to dblink, PREPARE/EXECUTE pairs within the input. WHERE
clauses are constant-folded (`_fold`, `_where`) to see `WHERE 1=1` for what it is.

Anything unparseable or unrecognised is `unknown` (fail closed). Empty input, or input
that is only comments, is one read action `sql:EMPTY`: nothing would run.

Parameters (`$1`) are unknown values here; `parameters` says whether their values can change
a statement's verdict, and `bind_text` writes the statement with its values, so that the
PostgreSQL proxy can judge a bound statement again before it runs (`_parameters`).

Caching: the registry caches whole inputs by their text. There is deliberately no cache
keyed on `pgparse.fingerprint`: the fingerprint ignores constants, and constants decide
the verdict (`WHERE 1=1` against `WHERE id=1`, the string given to EXECUTE or dblink_exec,
the value given to a setting), while computing it costs a parse anyway.
"""

from __future__ import annotations

import pgparse

from interlock.classify.sql._analyser import Analyser
from interlock.classify.sql._finding import Finding
from interlock.classify.sql._fold import UNKNOWN
from interlock.classify.sql._names import Mentions, mentions
from interlock.classify.sql._parameters import Parameters, bind_text, parameters
from interlock.classify.sql._settings import Setting
from interlock.errors import PayloadError
from interlock.model import Action, Verb, unknown_action

__all__ = [
    "Mentions",
    "Parameters",
    "Setting",
    "bind_text",
    "classify",
    "mentions",
    "parameters",
    "setting_changes",
]

PROTOCOL = "sql"
DETAIL_CHARS = 200
_SETTINGS_REMEMBERED = 4096
_settings: dict[str, tuple[Setting, ...]] = {}


def _remember_settings(text: str, found: tuple[Setting, ...]) -> None:
    if len(_settings) >= _SETTINGS_REMEMBERED:
        _settings.clear()
    _settings[text] = found


def setting_changes(text: str) -> tuple[Setting, ...]:
    """Every run-time setting `text` changes, at any depth (SET, RESET, set_config(), a
    function's SET clause, BEGIN's options, inside DO and EXECUTE): what a classification of
    the same text found, or a fresh analysis. Input that cannot be analysed changes a
    setting named only at run time (`?`)."""
    found = _settings.get(text)
    if found is None:
        classify(text, 0)
        found = _settings.get(text, (Setting("?", UNKNOWN),))
    return found


def _detail(text: str) -> str:
    """The statement as an excerpt, with constants replaced when it may carry a password."""
    lowered = text.lower()
    if "password" in lowered or "passwd" in lowered or "secret" in lowered:
        try:
            text = pgparse.normalize(text)
        except pgparse.PGQueryError:
            text = "(statement withheld: it may contain a credential)"
    text = " ".join(text.split())
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 1] + "…"


def _action(finding: Finding, text: str) -> Action:
    return Action(
        protocol=PROTOCOL,
        operation=f"{PROTOCOL}:{finding.operation}",
        verb=finding.verb,
        targets=finding.targets,
        reversible=finding.reversible and finding.verb in (Verb.READ, Verb.WRITE),
        reason=finding.reason,
        detail=_detail(text),
    )


def classify(payload: object, depth: int) -> list[Action]:
    """Classify a string of PostgreSQL statements: one action per statement."""
    if not isinstance(payload, str):
        raise PayloadError(
            f"a sql payload must be a string of PostgreSQL statements, not {type(payload).__name__}"
        )
    analyser = Analyser()
    try:
        statements = analyser.analyse_text(payload, depth)
    except RecursionError:
        _remember_settings(payload, (Setting("?", UNKNOWN),))
        # pgparse decodes the tree recursively, and so do parts of the analysis: a statement
        # nested deeply enough to exhaust the stack cannot be vouched for
        return [unknown_action(PROTOCOL, "the statement is nested too deeply to analyse", payload)]
    _remember_settings(payload, tuple(analyser.settings))
    if not statements:
        return [
            Action(
                protocol=PROTOCOL,
                operation=f"{PROTOCOL}:EMPTY",
                verb=Verb.READ,
                reversible=True,
                reason="the input holds no statement (only whitespace or comments)",
            )
        ]
    actions = []
    for finding, text in statements:
        actions.append(_action(finding, text))
        if finding.privilege is not None:
            # the statement also creates or widens privileges: its own action, so that the
            # grant and the policies about privilege see it under the more severe verdict
            actions.append(_action(finding.privilege, text))
    return actions
