"""SQL that creates, changes or widens credentials or privileges is `privilege`, never a write.

Regression for issue 15: `ALTER ROLE CURRENT_USER PASSWORD 'x'`, `CREATE USER u PASSWORD 'x'`
and `GRANT postgres TO u` were writes and passed on production; the agent could then connect
to PostgreSQL directly, around the proxy.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlock.classify import classify
from interlock.gate import Gate
from interlock.model import Agent, Outcome, Resource, Verb, most_severe

_PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_GATE = Gate()

# Identifiers are always quoted, so that no generated name collides with a keyword.
_IDENT = (
    st.one_of(
        st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True),
        st.text(
            alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters='"\x00'),
            min_size=1,
            max_size=12,
        ),
    )
    .filter(lambda s: s != "none")
    .map(lambda s: '"' + s + '"')
)
# ("none" is refused as a role name by PostgreSQL's own grammar, quoted or not, so a statement
# naming it does not parse and is rightly `unknown`.)
_PASSWORD = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=16
).map(lambda s: "'" + s.replace("'", "''") + "'")
_ROLE_OPTION = st.sampled_from(
    [
        "LOGIN",
        "NOLOGIN",
        "CREATEDB",
        "CREATEROLE",
        "INHERIT",
        "NOINHERIT",
        "CONNECTION LIMIT 5",
        "VALID UNTIL 'infinity'",
        "NOSUPERUSER",
        "NOBYPASSRLS",
    ]
)
_OBJECT = st.sampled_from(
    [
        "TABLE {n}",
        "ALL TABLES IN SCHEMA {n}",
        "SCHEMA {n}",
        "SEQUENCE {n}",
        "DATABASE {n}",
        "FUNCTION {n}()",
        "ALL SEQUENCES IN SCHEMA {n}",
    ]
)


def _dynamic_grant(privileges: str, target: str) -> str:
    """A GRANT built at run time inside a DO block, quoted the way PostgreSQL needs: the
    target's quotes doubled inside the string literal, a dollar tag the target never holds."""
    literal = f"GRANT {privileges} ON {target} TO ".replace("'", "''")
    tag = "$g$"
    while tag in literal:
        tag = tag[:-1] + "g$"
    return f"DO {tag} BEGIN EXECUTE '{literal}' || quote_ident('x'); END {tag}"


@st.composite
def _privilege_statement(draw: st.DrawFn) -> str:
    role, other, thing = draw(_IDENT), draw(_IDENT), draw(_IDENT)
    options = " ".join(draw(st.lists(_ROLE_OPTION, max_size=3)))
    password = draw(_PASSWORD)
    target = draw(_OBJECT).format(n=thing)
    privileges = draw(st.sampled_from(["ALL", "SELECT", "INSERT, UPDATE", "USAGE", "EXECUTE"]))
    template = draw(
        st.sampled_from(
            [
                f"CREATE USER {role} {options} PASSWORD {password}",
                f"CREATE ROLE {role} WITH {options} ENCRYPTED PASSWORD {password}",
                f"ALTER USER {role} WITH PASSWORD {password}",
                f"ALTER ROLE CURRENT_USER {options} PASSWORD {password}",
                f"ALTER ROLE {role} {options} PASSWORD {password}",
                f"GRANT {role} TO {other}",
                f"GRANT {role} TO {other} WITH ADMIN OPTION",
                f"REVOKE {role} FROM {other}",
                f"GRANT {privileges} ON {target} TO {other}",
                f"REVOKE {privileges} ON {target} FROM {other}",
                f"ALTER DEFAULT PRIVILEGES GRANT {privileges} ON TABLES TO {other}",
                f"ALTER TABLE {thing} OWNER TO {other}",
                f"REASSIGN OWNED BY {role} TO {other}",
                f"ALTER GROUP {role} ADD USER {other}",
                f"CREATE FUNCTION {thing}() RETURNS int LANGUAGE sql SECURITY DEFINER "
                "AS 'select 1'",
                f"SET ROLE {role}",
                _dynamic_grant(privileges, target),
            ]
        )
    )
    return template


@_PROPERTY
@given(_privilege_statement(), st.sampled_from(["production", "staging", "dev"]))
def test_privilege_statements_are_never_writes_and_never_pass(sql: str, env: str) -> None:
    actions = classify("sql", sql)
    verbs = {a.verb for a in actions}
    # The statement is privilege, or something more severe that keeps a privilege action
    # next to it; read and write never.
    assert Verb.PRIVILEGE in verbs, [a.to_json() for a in actions]
    assert not verbs & {Verb.READ, Verb.WRITE}
    assert most_severe(verbs).severity >= Verb.PRIVILEGE.severity
    # Held for a human in every environment, and refused to an agent granted up to destructive.
    assert _GATE.decide(Agent("probe"), Resource("db", env), actions).outcome is Outcome.HOLD
    destroyer = Agent("destroyer", max_verb=Verb.DESTRUCTIVE)
    assert _GATE.decide(destroyer, Resource("db", env), actions).outcome is Outcome.DENY


def test_a_password_never_shows_in_the_action() -> None:
    for sql in (
        "ALTER ROLE CURRENT_USER PASSWORD 'hunter2'",
        "CREATE USER u WITH ENCRYPTED PASSWORD 'hunter2' VALID UNTIL 'infinity'",
        "ALTER ROLE app NOLOGIN PASSWORD 'hunter2'",
        "CREATE USER MAPPING FOR app SERVER s OPTIONS (user 'a', password 'hunter2')",
    ):
        for action in classify("sql", sql):
            assert "hunter2" not in action.detail + action.reason + " ".join(action.targets)


def test_a_destructive_statement_keeps_its_privilege_action() -> None:
    # ALTER ROLE … NOLOGIN is an outage (destructive); with a password it also mints a
    # credential. An agent granted destructive actions on staging must not get the second.
    actions = classify("sql", "ALTER ROLE app NOLOGIN PASSWORD 'x'")
    assert [a.verb for a in actions] == [Verb.DESTRUCTIVE, Verb.PRIVILEGE]
    destroyer = Agent("destroyer", max_verb=Verb.DESTRUCTIVE)
    decision = _GATE.decide(destroyer, Resource("db", "staging"), actions)
    assert decision.outcome is Outcome.DENY
    assert decision.policies == ("grant",)
