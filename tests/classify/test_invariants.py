"""Properties that relate one classification to another, over generated inputs.

"Does not raise" says little about a classifier that turns every failure into `unknown`;
these say what must hold between answers: a whole is never judged less severe than its
parts, quoting a word never hides a command, code carried inside another protocol is judged
at least as severely as the code alone. Severity is read < write < unknown < destructive.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlock.classify import classify
from interlock.model import Verb, most_severe

_PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def risk(kind: str, payload: object) -> Verb:
    return most_severe(a.verb for a in classify(kind, payload))


def at_least(whole: Verb, part: Verb) -> bool:
    return whole.severity >= part.severity


# -- shell -------------------------------------------------------------------------------------

# One-line commands of every verdict; none holds a quote, so any form below can embed them.
_COMMANDS = [
    *("ls -la", "cat x", "echo hi", "git status", "kubectl get pods", "true", "ls $HOME"),
    *("touch f", "mkdir d", "cp a b", "mv a b", "sed -i s/a/b/ f", "npm install"),
    *("echo x > /etc/passwd", "frobnicate --now", "$CMD", "xargs rm", "rm -rf $DIR"),
    *("rm -rf /srv/data", "rm -rf /srv/*", "git push -f origin main", "kubectl delete ns prod"),
    *("dd if=/dev/zero of=/dev/sda", "chmod -R 000 /", "terraform destroy", "git clean -fdx"),
    *("redis-cli FLUSHALL", "sudo rm -rf /", "git reset --hard HEAD~3", "docker rm -f c"),
    *("aws s3 rm s3://b --recursive", "mkfs.ext4 /dev/sdb1", "crontab -r", "psql -c DROP"),
    "curl -X DELETE https://api.example.com/v1/items/1",
]
# Ways a shell runs two commands (or one inside another): each part runs, so each counts.
_FORMS = [
    "{a}; {b}",
    "{a} && {b}",
    "{a} || {b}",
    "{a} | {b}",
    "{a} & {b}",
    "{a}\n{b}",
    "( {a} ); {b}",
    "{{ {a}; }}; {b}",
    "if {a}; then {b}; fi",
    "while {a}; do {b}; done",
    "for x in 1; do {a}; {b}; done",
    "case x in x) {a};; esac; {b}",
    "f() {{ {a}; }}; f; {b}",
    "echo $({a}); {b}",
    "{b} `{a}`",
    "! {a}; {b}",
    "time {a}; {b}",
    "sudo {a}; {b}",
    "nohup {a} & {b}",
    "env X=1 {a}; {b}",
    "{a} 2>/dev/null; {b}",
    "{a} <<EOF\nhello\nEOF\n{b}",
]


@_PROPERTY
@given(st.sampled_from(_COMMANDS), st.sampled_from(_COMMANDS), st.sampled_from(_FORMS))
def test_a_shell_line_is_as_severe_as_each_command_it_runs(a: str, b: str, form: str) -> None:
    whole = risk("shell", form.format(a=a, b=b))
    assert at_least(whole, risk("shell", a)), (form, a)
    assert at_least(whole, risk("shell", b)), (form, b)


_OPERATORS = {">", ">>", "<", "|", "&&", "||", ";", "&"}


def _quote(word: str, style: int) -> str:
    """`word` spelled with shell quoting that the shell reads back as the same text."""
    if style == 0:
        return "'" + word + "'"
    if style == 1:
        escaped = "".join("\\" + ch if ch in '\\"$`' else ch for ch in word)
        return '"' + escaped + '"'
    if style == 2:
        return "\\" + word
    if style == 3:
        return "$'" + "".join(f"\\x{ord(ch):02x}" for ch in word) + "'"
    return "'" + word[:1] + "''" + word[1:] + "'"


@_PROPERTY
@given(st.sampled_from(_COMMANDS), st.data(), st.integers(0, 4))
def test_quoting_a_word_never_makes_a_command_less_severe(
    command: str, data: st.DataObject, style: int
) -> None:
    # Quoting can make a word literal ($CMD, a glob), never harmless: the verdict may rise
    # (an unknown program) but must not fall. Operators (`>`) are not words: quoted, they
    # are plain arguments and the command really is another one.
    words = command.split(" ")
    index = data.draw(st.sampled_from([i for i, w in enumerate(words) if w not in _OPERATORS]))
    quoted = " ".join([*words[:index], _quote(words[index], style), *words[index + 1 :]])
    assert at_least(risk("shell", quoted), risk("shell", command)), quoted


# -- SQL ---------------------------------------------------------------------------------------

# Statements whose meaning does not depend on what came before them in the input.
_STATEMENTS = [
    *("SELECT 1", "SELECT * FROM t WHERE id = 1", "BEGIN", "COMMIT", "SAVEPOINT s"),
    *("SET statement_timeout = 5", "EXPLAIN DELETE FROM t", "RESET ROLE", "LOCK TABLE t"),
    *("INSERT INTO t VALUES (1)", "DELETE FROM t WHERE id = 1", "CREATE TABLE t2 (a int)"),
    *("GRANT SELECT ON t TO bob", "COPY t TO STDOUT", "VACUUM t", "DISCARD ALL"),
    *("SELECT my_fn()", "CALL p()", "SET ROLE admin", "ROLLBACK"),
    *("DELETE FROM t", "DROP TABLE t", "TRUNCATE t", "UPDATE t SET a = 1 WHERE true"),
    *("SELECT pg_terminate_backend(1)", "ALTER TABLE t DROP COLUMN a", "CREATE ROLE r SUPERUSER"),
    "DO $$ BEGIN EXECUTE 'DROP TABLE t'; END $$",
    "WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x",
    "COPY (SELECT 1) TO PROGRAM 'rm -rf /'",
]
# Statements that change what later ones mean (a later `SELECT f()` or `EXECUTE q` can go
# from unknown to judged by the body), so only prefixes are compared across them.
_DEFINITIONS = [
    "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "CREATE FUNCTION g() RETURNS void LANGUAGE sql AS 'DELETE FROM t'",
    "PREPARE q AS DELETE FROM t",
    "DEALLOCATE q",
    "SELECT f()",
    "SELECT g()",
    "EXECUTE q",
]


@_PROPERTY
@given(st.lists(st.sampled_from(_STATEMENTS), min_size=2, max_size=4))
def test_a_script_is_as_severe_as_each_statement(statements: list[str]) -> None:
    whole = risk("sql", "; ".join(statements))
    for statement in statements:
        assert at_least(whole, risk("sql", statement)), statement


@_PROPERTY
@given(st.lists(st.sampled_from(_STATEMENTS + _DEFINITIONS), min_size=2, max_size=5), st.data())
def test_what_follows_never_lowers_what_came_before(
    statements: list[str], data: st.DataObject
) -> None:
    cut = data.draw(st.integers(1, len(statements) - 1))
    whole = risk("sql", "; ".join(statements))
    assert at_least(whole, risk("sql", "; ".join(statements[:cut])))


# -- GraphQL -----------------------------------------------------------------------------------

_FIELDS = [
    *("__typename", "me { id }", "listThings { id }", "frobnicate", "x: undeleteProject(id: 1)"),
    *('volumeDelete(volumeId: "v")', 'projectDelete(id: "p")', "purgeCache", "resetDatabase"),
    *('customDomainCreate(input: {domain: "x"}) { id }', 'userUpdate(id: 1, name: "x") { id }'),
    *('serviceInstanceRedeploy(serviceId: "s")', "deleteDraft(id: 1)", "a @skip(if: true)"),
    *("b @include(if: false)", "... on Mutation { dropTable }", 'dropEverything(password: "x")'),
    'serviceUpdate(id: "s") { volumeDelete(volumeId: "v") { id } }',
]


@_PROPERTY
@given(
    st.lists(st.sampled_from(_FIELDS), min_size=2, max_size=4),
    st.sampled_from(["mutation", "query", "subscription"]),
    st.booleans(),
)
def test_an_operation_or_batch_is_as_severe_as_each_field(
    fields: list[str], kind: str, batch: bool
) -> None:
    whole: object = (
        [{"query": f"{kind} {{ {field} }}"} for field in fields]
        if batch
        else f"{kind} {{ {' '.join(fields)} }}"
    )
    verdict = risk("graphql", whole)
    for field in fields:
        assert at_least(verdict, risk("graphql", f"{kind} {{ {field} }}")), field


# -- code carried inside another protocol ------------------------------------------------------

_DOCUMENTS = [
    'mutation { volumeDelete(volumeId: "v") }',
    "{ me { id } }",
    "mutation { userUpdate(id: 1) { id } }",
    "mutation { frobnicate }",
    "query { x",
    "subscription { s }",
]
_GRAPHQL_ENDPOINTS = [
    "https://api.example.com/graphql",
    "https://backboard.railway.app/graphql/v2",
]


@_PROPERTY
@given(st.sampled_from(_DOCUMENTS), st.sampled_from(_GRAPHQL_ENDPOINTS))
def test_a_graphql_request_is_as_severe_as_its_document(document: str, url: str) -> None:
    request = {"method": "POST", "url": url, "body": {"query": document}}
    assert at_least(risk("http", request), risk("graphql", {"query": document}))


_METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE", "PURGE", "FOO"]
_URLS = [*_GRAPHQL_ENDPOINTS, "https://api.github.com/repos/a/b", "https://x.example/v1/items/1"]
_OVERRIDES = ["X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"]


@_PROPERTY
@given(
    st.sampled_from(_METHODS),
    st.sampled_from(_METHODS),
    st.sampled_from(_URLS),
    st.sampled_from(_OVERRIDES),
)
def test_a_method_override_never_lowers_the_request(
    method: str, override: str, url: str, header: str
) -> None:
    overridden = {"method": method, "url": url, "headers": {header: override}}
    assert at_least(risk("http", overridden), risk("http", {"method": method, "url": url}))


def test_a_method_override_is_judged_like_the_method_it_names() -> None:
    # Was a write: an override to POST on a GraphQL endpoint without a body was judged as a
    # plain REST POST, while the same POST sent as POST is unknown (no document).
    url = "https://api.example.com/graphql"
    overridden = {"method": "GET", "url": url, "headers": {"X-HTTP-Method-Override": "POST"}}
    assert risk("http", overridden) is risk("http", {"method": "POST", "url": url})


_SHELL_TOOLS = ["run_command", "bash", "shell", "exec", "terminal", "execute_command"]
_SQL_TOOLS = ["execute_sql", "run_sql", "db_query", "postgres_query", "mcp__db__execute_sql"]
_SQL = [
    *("SELECT 1", "select * from users", "DELETE FROM t WHERE id = 1", "UPDATE t SET a = 1"),
    *("DELETE FROM t", "DROP TABLE t", "TRUNCATE t", "CALL p()", "garbage sql"),
]


@_PROPERTY
@given(
    st.sampled_from(_COMMANDS),
    st.sampled_from(_SHELL_TOOLS),
    st.sampled_from(["command", "cmd", "script"]),
)
def test_a_tool_call_is_as_severe_as_the_command_it_carries(
    command: str, tool: str, argument: str
) -> None:
    call = {"tool": tool, "arguments": {argument: command}}
    assert at_least(risk("mcp", call), risk("shell", command))


@_PROPERTY
@given(
    st.sampled_from(_SQL),
    st.sampled_from(_SQL_TOOLS),
    st.sampled_from(["query", "sql", "statement"]),
)
def test_a_tool_call_is_as_severe_as_the_sql_it_carries(sql: str, tool: str, argument: str) -> None:
    call = {"tool": tool, "arguments": {argument: sql}}
    assert at_least(risk("mcp", call), risk("sql", sql))
