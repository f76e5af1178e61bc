"""Commands that carry another language, handed to that language's classifier.

`psql -c 'DROP TABLE users'` is a SQL statement and `curl -X POST …/graphql -d '{…}'` is an
HTTP request carrying GraphQL: the shell classifier's job is to take out the embedded text
exactly as the program would receive it (options, heredocs, here-strings, `echo … |`) and
pass it on with `classify_nested`. What cannot be seen (a body from a file, SQL from a
script, an interactive session) is `unknown`.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from interlock.classify import classify_nested
from interlock.classify.code import current_workspace
from interlock.classify.paths import is_system_path
from interlock.classify.shell._context import Context, stdin_text
from interlock.classify.shell._lists import LISTS
from interlock.classify.shell._redact import redact_url
from interlock.classify.shell._words import Word
from interlock.classify.shell._wrappers import split_options
from interlock.model import Action, Verb
from interlock.secrets import contains_secret

Carrier = Callable[[str, list[Word], Context], list[Action]]


def _nested(kind: str, payload: object, ctx: Context) -> list[Action]:
    return classify_nested(kind, payload, ctx.depth)


def _scan_all(
    args: list[Word], value_opts: frozenset[str], attached: frozenset[str] = frozenset()
) -> tuple[list[tuple[str, Word]], list[Word], set[str]]:
    """Options anywhere (GNU style): (option/value pairs in order, positionals, flags).

    `attached` options take a value only when it is glued to them (`mysql -pSECRET`).
    """
    pairs: list[tuple[str, Word]] = []
    positionals: list[Word] = []
    flags: set[str] = set()
    i = 0
    after = False
    while i < len(args):
        word = args[i]
        value = word.value
        if after or value is None or value == "-" or not value.startswith("-"):
            positionals.append(word)
        elif value == "--":
            after = True
        elif value.startswith("--"):
            name, eq, rest = value.partition("=")
            flags.add(name)
            if eq:
                pairs.append((name, Word(value=rest, text=rest)))
            elif name in value_opts and i + 1 < len(args):
                pairs.append((name, args[i + 1]))
                i += 1
        else:
            letters = value[1:]
            for j, letter in enumerate(letters):
                flag = "-" + letter
                flags.add(flag)
                if flag in attached:
                    break
                if flag in value_opts:
                    rest = letters[j + 1 :]
                    if rest:
                        pairs.append((flag, Word(value=rest, text=rest)))
                    elif i + 1 < len(args):
                        pairs.append((flag, args[i + 1]))
                        i += 1
                    break
        i += 1
    return pairs, positionals, flags


# --- SQL clients --------------------------------------------------------------------------


def _sql_texts(
    name: str,
    ctx: Context,
    pairs: list[tuple[str, Word]],
    command_opts: frozenset[str],
    file_opts: frozenset[str],
) -> list[Action] | None:
    """SQL from `-c`-style options, or from a file (unknown); None when there is neither."""
    actions: list[Action] = []
    seen = False
    for option, word in pairs:
        if option in command_opts:
            seen = True
            if word.value is None:
                reason = f"{name} runs SQL built at run time ({word.text})"
                actions.append(ctx.unknown(name, reason))
            elif word.value.lstrip().startswith("\\"):
                actions.append(_psql_meta(name, word.value.strip(), ctx))
            else:
                actions.extend(_nested("sql", word.value, ctx))
        elif option in file_opts:
            seen = True
            if word.value == "-":
                actions.extend(_sql_from_stdin(name, ctx))
            else:
                reason = f"{name} runs SQL from the file {word.shown}, which Interlock cannot see"
                actions.append(ctx.unknown(name, reason, (word.shown,)))
    return actions if seen else None


# psql meta-commands that only describe or set display options.
_PSQL_READ_META = ("\\d", "\\l", "\\conninfo", "\\x", "\\timing", "\\?", "\\h",
                   "\\q", "\\encoding", "\\echo", "\\pset", "\\a", "\\t", "\\z",
                   "\\dp", "\\sf", "\\sv")  # fmt: skip


def _psql_meta(name: str, text: str, ctx: Context) -> Action:
    """`psql -c '\\dt'`: describing meta-commands read; `\\!`, `\\i`, `\\copy`… are unknown."""
    command = text.split()[0]
    if command.startswith(_PSQL_READ_META) and "\\!" not in text and "\\g" not in text:
        return ctx.action(
            f"{name} {command}", Verb.READ, f"{name} {command} only describes the database"
        )
    return ctx.unknown(
        f"{name} {command}", f"{name} {command} is a meta-command Interlock cannot vouch for"
    )


def _sql_from_stdin(name: str, ctx: Context) -> list[Action]:
    text = stdin_text(ctx.stdin)
    if text is not None:
        return _nested("sql", text, ctx)
    stdin = ctx.stdin
    if stdin is None:
        return [ctx.unknown(name, f"{name} opens an interactive SQL session")]
    if stdin.kind == "file":
        reason = f"{name} runs SQL from {stdin.source}, which Interlock cannot see"
        return [ctx.unknown(name, reason, (stdin.source,))]
    return [ctx.unknown(name, f"{name} runs SQL produced at run time by the previous command")]


_PSQL_VALUES = frozenset(
    {"-c", "--command", "-f", "--file", "-d", "--dbname", "-h", "--host", "-p", "--port",
     "-U", "--username", "-v", "--set", "--variable", "-P", "--pset", "-o", "--output",
     "-L", "--log-file", "-T", "--table-attr", "-F", "--field-separator", "-R",
     "--record-separator"}
)  # fmt: skip


def _psql(name: str, args: list[Word], ctx: Context) -> list[Action]:
    pairs, positionals, flags = _scan_all(args, _PSQL_VALUES)
    targets = tuple(redact_url(w.shown) for w in positionals[:2])
    found = _sql_texts(
        name, ctx, pairs, frozenset({"-c", "--command"}), frozenset({"-f", "--file"})
    )
    if found is not None:
        return found
    if flags & {"-l", "--list", "-V", "--version", "-?", "--help"}:
        return [
            ctx.action(
                name, Verb.READ, f"{name} only lists databases or prints its version", targets
            )
        ]
    return _sql_from_stdin(name, ctx)


_MYSQL_VALUES = frozenset(
    {"-e", "--execute", "-u", "--user", "-h", "--host", "-P", "--port", "-D", "--database",
     "-S", "--socket", "--default-character-set", "--defaults-file", "--login-path"}
)  # fmt: skip


def _mysql(name: str, args: list[Word], ctx: Context) -> list[Action]:
    pairs, _, flags = _scan_all(args, _MYSQL_VALUES, frozenset({"-p"}))
    found = _sql_texts(name, ctx, pairs, frozenset({"-e", "--execute"}), frozenset())
    if found is not None:
        return found
    if flags & {"-V", "--version", "-?", "--help"}:
        return [ctx.action(name, Verb.READ, f"{name} only prints its version")]
    return _sql_from_stdin(name, ctx)


_CLICKHOUSE_VALUES = frozenset(
    {"-q", "--query", "--queries-file", "-h", "--host", "--port", "-u", "--user",
     "--password", "-d", "--database", "-f", "--format", "--config-file", "-C", "--config",
     "--max_threads", "--connection", "--history_file"}
)  # fmt: skip


def _clickhouse(name: str, args: list[Word], ctx: Context) -> list[Action]:
    """`clickhouse-client -q SQL` (and `clickhouse client|local`): the query is SQL; queries
    in ClickHouse's own dialect that the SQL grammar does not parse come back unknown."""
    if name == "clickhouse" or name.endswith(" clickhouse"):
        if not args or args[0].value not in ("client", "local"):
            return [ctx.unknown(name, f"{name} runs a ClickHouse tool Interlock does not judge")]
        args = args[1:]
    pairs, _, flags = _scan_all(args, _CLICKHOUSE_VALUES)
    found = _sql_texts(
        name, ctx, pairs, frozenset({"-q", "--query"}), frozenset({"--queries-file"})
    )
    if found is not None:
        return found
    if flags & {"-V", "--version", "--help"}:
        return [ctx.action(name, Verb.READ, f"{name} only prints its version")]
    return _sql_from_stdin(name, ctx)


# CQL statements the SQL grammar does not know, by their leading words.
_CQL_LEADS: tuple[tuple[tuple[str, ...], Verb], ...] = (
    (("DESCRIBE",), Verb.READ),
    (("DESC",), Verb.READ),
    (("USE",), Verb.READ),
    (("CONSISTENCY",), Verb.READ),
    (("SERIAL",), Verb.READ),
    (("TRACING",), Verb.READ),
    (("PAGING",), Verb.READ),
    (("EXPAND",), Verb.READ),
    (("SHOW",), Verb.READ),
    (("LIST",), Verb.READ),
    (("DROP",), Verb.DESTRUCTIVE),
    (("TRUNCATE",), Verb.DESTRUCTIVE),
    (("REVOKE",), Verb.DESTRUCTIVE),
    (("GRANT",), Verb.PRIVILEGE),
    (("CREATE", "ROLE"), Verb.PRIVILEGE),
    (("CREATE", "USER"), Verb.PRIVILEGE),
    (("ALTER", "ROLE"), Verb.PRIVILEGE),
    (("ALTER", "USER"), Verb.PRIVILEGE),
    (("CREATE", "KEYSPACE"), Verb.WRITE),
    (("ALTER", "KEYSPACE"), Verb.WRITE),
)
_CQLSH_VALUES = frozenset(
    {"-e", "--execute", "-f", "--file", "-u", "--username", "-p", "--password", "-k",
     "--keyspace", "--cqlshrc", "--credentials", "--encoding", "--cqlversion",
     "--protocol-version", "--connect-timeout", "--request-timeout"}
)  # fmt: skip


def _cqlsh(name: str, args: list[Word], ctx: Context) -> list[Action]:
    """`cqlsh -e 'CQL'`: statements CQL shares with SQL go to the SQL classifier; the
    statements only CQL has are judged by their leading words."""
    pairs, _, flags = _scan_all(args, _CQLSH_VALUES)
    texts = [w for option, w in pairs if option in ("-e", "--execute")]
    files = [w for option, w in pairs if option in ("-f", "--file")]
    if files:
        reason = f"{name} runs CQL from the file {files[0].shown}, which Interlock cannot see"
        return [ctx.unknown(name, reason, (files[0].shown,))]
    if not texts:
        if flags & {"--version", "--help", "-h"}:
            return [ctx.action(name, Verb.READ, f"{name} only prints its version")]
        text = stdin_text(ctx.stdin)
        if text is None:
            return [ctx.unknown(name, f"{name} opens an interactive CQL session")]
        return _cql(name, text, ctx)
    actions: list[Action] = []
    for word in texts:
        if word.value is None:
            actions.append(ctx.unknown(name, f"{name} runs CQL built at run time ({word.text})"))
        else:
            actions.extend(_cql(name, word.value, ctx))
    return actions


def _cql(name: str, text: str, ctx: Context) -> list[Action]:
    actions: list[Action] = []
    for statement in text.split(";"):
        words = statement.upper().split()
        if not words:
            continue
        for lead, verb in _CQL_LEADS:
            if tuple(words[: len(lead)]) == lead:
                shown = " ".join(words[:3])
                reason = f"{name} runs {shown}"
                actions.append(ctx.action(f"{name} {lead[0]}", verb, reason))
                break
        else:
            actions.extend(_nested("sql", statement, ctx))
    return actions or [ctx.action(name, Verb.READ, f"{name} runs no statement")]


def _sql_argument(operation: str, args: list[Word], ctx: Context) -> list[Action]:
    """`supabase db query 'SQL'` and the like: SQL as the first positional argument (or a
    `--sql`/`--command`/`--query` option); a file is not seen; none reads standard input."""
    value_opts = frozenset({"--sql", "--command", "--query", "-c", "-q", "--file", "-f",
                            "--output", "-o", "--db-url", "--workdir", "--profile"})  # fmt: skip
    pairs, positionals, _ = _scan_all(args, value_opts)
    found = _sql_texts(
        operation,
        ctx,
        pairs,
        frozenset({"--sql", "--command", "--query", "-c", "-q"}),
        frozenset({"--file", "-f"}),
    )
    if found is not None:
        return found
    if positionals:
        word = positionals[0]
        if word.value is None:
            return [ctx.unknown(operation, f"{operation} runs SQL built at run time ({word.text})")]
        return _nested("sql", word.value, ctx)
    return _sql_from_stdin(operation, ctx)


def _wrangler_d1(operation: str, args: list[Word], ctx: Context) -> list[Action]:
    """`wrangler d1 execute DB --command SQL` (D1 is SQLite): the SQL is judged; a `--file`
    is not seen."""
    value_opts = frozenset({"--command", "--file", "-c", "--config", "-e", "--env"})
    pairs, _, _ = _scan_all(args, value_opts)
    found = _sql_texts(operation, ctx, pairs, frozenset({"--command"}), frozenset({"--file"}))
    if found is not None:
        return found
    return [ctx.unknown(operation, f"{operation} without --command runs SQL Interlock cannot see")]


_SQLITE_READ_DOTS = frozenset(
    {".tables", ".schema", ".dump", ".indexes", ".indices", ".headers", ".mode", ".databases",
     ".help", ".show", ".fullschema", ".dbinfo", ".width", ".timer", ".stats", ".lint",
     ".separator", ".nullvalue", ".print", ".quit", ".exit", ".eqp", ".changes", ".bail"}
)  # fmt: skip


def _sqlite(name: str, args: list[Word], ctx: Context) -> list[Action]:
    value_opts = frozenset({"-cmd", "-separator", "-newline", "-nullvalue", "-init"})
    i = 0
    while i < len(args) and (args[i].value or "").startswith("-"):
        i += 2 if args[i].value in value_opts else 1
    rest = args[i:]
    if not rest:
        return _sql_from_stdin(name, ctx)
    database = rest[0].shown
    sql = rest[1:]
    if not sql:
        return _sql_from_stdin(name, ctx)
    actions: list[Action] = []
    for word in sql:
        if word.value is None:
            actions.append(ctx.unknown(name, f"{name} runs SQL built at run time ({word.text})"))
        elif word.value.lstrip().startswith("."):
            dot = word.value.split()[0]
            if dot in _SQLITE_READ_DOTS:
                actions.append(ctx.action(name, Verb.READ, f"{name} {dot} only reads", (database,)))
            else:
                reason = f"{name} {dot} is a dot-command Interlock cannot vouch for"
                actions.append(ctx.unknown(name, reason, (database,)))
        else:
            actions.extend(_nested("sql", word.value, ctx))
    return actions


# --- Redis --------------------------------------------------------------------------------

_REDIS_READ = LISTS.redis_read
_REDIS_WRITE = LISTS.redis_write
_REDIS_DESTRUCTIVE = LISTS.redis_destructive
_REDIS_SUB_DESTRUCTIVE = LISTS.redis_destructive_subcommands
_REDIS_SUB_PRIVILEGE = LISTS.redis_privilege_subcommands
_REDIS_VALUES = frozenset(
    {"-h", "-p", "-a", "-n", "-u", "-s", "--user", "--pass", "--askpass-none", "-r", "-i",
     "-d", "--tls-cert", "--tls-key", "--cacert", "--sni", "--pattern", "--count", "--eval",
     "-D", "--rdb", "--functions-rdb"}
)  # fmt: skip


def _redis_cli(name: str, args: list[Word], ctx: Context) -> list[Action]:
    i = 0
    flags: set[str] = set()
    eval_file: Word | None = None
    while i < len(args) and (args[i].value or "").startswith("-"):
        flag = args[i].value or ""
        flags.add(flag)
        if flag == "--eval" and i + 1 < len(args):
            eval_file = args[i + 1]
        i += 2 if flag in _REDIS_VALUES else 1
    rest = args[i:]
    if eval_file is not None:
        return [ctx.unknown(name, f"{name} --eval runs a Lua script ({eval_file.shown})")]
    if flags & {"--scan", "--bigkeys", "--memkeys", "--hotkeys", "--stat", "--latency",
                "--version", "-v", "--help"}:  # fmt: skip
        return [ctx.action(name, Verb.READ, f"{name} only inspects the server")]
    if flags & {"--rdb", "--pipe", "--functions-rdb"}:
        return [ctx.unknown(name, f"{name} bulk-loads or dumps data Interlock cannot see")]
    if not rest:
        text = stdin_text(ctx.stdin)
        if text is None:
            return [ctx.unknown(name, f"{name} runs Redis commands Interlock cannot see")]
        actions: list[Action] = []
        for line in text.splitlines():
            words = line.split()
            if words:
                actions.append(_redis_verdict(name, [Word(value=w, text=w) for w in words], ctx))
        return actions or [ctx.action(name, Verb.READ, f"{name} runs nothing")]
    return [_redis_verdict(name, rest, ctx)]


def _redis_verdict(name: str, words: list[Word], ctx: Context) -> Action:
    head = words[0]
    if head.value is None:
        return ctx.unknown(name, f"{name} runs a Redis command named at run time ({head.text})")
    command = head.value.upper()
    targets = tuple(w.shown for w in words[1:4])
    operation = f"{name} {command}"
    if command in _REDIS_DESTRUCTIVE:
        return ctx.action(
            operation, Verb.DESTRUCTIVE, f"Redis {command} deletes or disrupts data", targets
        )
    sub_rules = _REDIS_SUB_DESTRUCTIVE.get(command)
    if sub_rules is not None:
        sub = (words[1].value or "").upper() if len(words) > 1 else ""
        if sub in _REDIS_SUB_PRIVILEGE.get(command, ()):
            return ctx.action(
                f"{operation} {sub}",
                Verb.PRIVILEGE,
                f"Redis {command} {sub} creates a user or changes what it may do",
                targets,
            )
        if sub in sub_rules or (len(words) > 1 and words[1].value is None):
            return ctx.action(
                f"{operation} {sub}",
                Verb.DESTRUCTIVE,
                f"Redis {command} {sub} changes the server destructively",
                targets,
            )
        return ctx.action(
            f"{operation} {sub}", Verb.READ, f"Redis {command} {sub} only inspects", targets
        )
    if command in _REDIS_WRITE:
        return ctx.action(operation, Verb.WRITE, f"Redis {command} writes data", targets)
    if command in _REDIS_READ:
        return ctx.action(operation, Verb.READ, f"Redis {command} only reads", targets)
    if command in ("EVAL", "EVALSHA", "FCALL", "EVAL_RO"):
        return ctx.unknown(
            operation, f"Redis {command} runs a script Interlock cannot judge", targets
        )
    return ctx.unknown(operation, f"Redis {command} is not a command Interlock knows", targets)


# --- MongoDB shell ------------------------------------------------------------------------

_MONGO_DESTRUCTIVE = LISTS.mongo_destructive
_MONGO_WRITE = LISTS.mongo_write
_MONGO_PRIVILEGE = LISTS.mongo_privilege
_MONGO_READ = LISTS.mongo_read


def _mongo(name: str, args: list[Word], ctx: Context) -> list[Action]:
    value_opts = frozenset({"--eval", "--host", "--port", "-u", "--username", "-p",
                            "--password", "--authenticationDatabase", "--file", "-f"})  # fmt: skip
    pairs, positionals, flags = _scan_all(args, value_opts)
    scripts = [w for opt, w in pairs if opt == "--eval"]
    files = [w for opt, w in pairs if opt in ("--file", "-f")]
    files += [w for w in positionals if (w.value or "").endswith(".js")]
    actions: list[Action] = []
    for word in files:
        reason = f"{name} runs the script {word.shown}, which Interlock cannot see"
        actions.append(ctx.unknown(name, reason, (word.shown,)))
    for word in scripts:
        actions.append(_mongo_script(name, word, ctx))
    if actions:
        return actions
    if flags & {"--version", "--help", "-h"}:
        return [ctx.action(name, Verb.READ, f"{name} only prints its version")]
    text = stdin_text(ctx.stdin)
    if text is not None:
        return [_mongo_script(name, Word(value=text, text=text), ctx)]
    return [ctx.unknown(name, f"{name} opens a session Interlock cannot see")]


def _mongo_script(name: str, word: Word, ctx: Context) -> Action:
    if word.value is None:
        return ctx.unknown(name, f"{name} runs JavaScript built at run time ({word.text})")
    calls, opaque = _js_calls(word.value)
    destructive = sorted(calls & _MONGO_DESTRUCTIVE)
    if destructive:
        reason = f"{name} --eval calls {', '.join(destructive)}, which deletes data"
        return ctx.action(f"{name} {destructive[0]}", Verb.DESTRUCTIVE, reason)
    if opaque:
        return ctx.unknown(name, f"{name} --eval makes calls Interlock cannot name")
    unknown = sorted(calls - _MONGO_WRITE - _MONGO_READ - _MONGO_PRIVILEGE)
    if unknown:
        reason = f"{name} --eval calls {', '.join(unknown[:3])}, which Interlock does not know"
        return ctx.unknown(name, reason)
    privileges = sorted(calls & _MONGO_PRIVILEGE)
    if privileges:
        reason = f"{name} --eval calls {', '.join(privileges)}, which creates or widens access"
        return ctx.action(f"{name} {privileges[0]}", Verb.PRIVILEGE, reason)
    if "$out" in word.value or "$merge" in word.value:
        return ctx.action(name, Verb.WRITE, f"{name} --eval aggregates into a collection")
    writes = sorted(calls & _MONGO_WRITE)
    if writes:
        return ctx.action(
            f"{name} {writes[0]}", Verb.WRITE, f"{name} --eval calls {', '.join(writes)}"
        )
    return ctx.action(name, Verb.READ, f"{name} --eval only queries")


def _js_calls(code: str) -> tuple[set[str], bool]:
    """Names of the functions a JavaScript snippet calls; `opaque` when a call has no name.

    A small lexer, not a parser: it skips strings and comments and records every
    identifier directly followed by `(`. A call through a computed member (`db.c["drop"]()`)
    or on a call result (`f()()`) has no name we can check, so the snippet is opaque.
    """
    calls: set[str] = set()
    opaque = False
    i = 0
    n = len(code)
    last = ""  # the last significant token: an identifier, or a punctuation character
    while i < n:
        ch = code[i]
        if ch in "'\"`":
            end = i + 1
            while end < n and code[end] != ch:
                end += 2 if code[end] == "\\" else 1
            i = end + 1
            last = "str"
            continue
        if code.startswith("//", i):
            newline = code.find("\n", i)
            i = n if newline < 0 else newline
            continue
        if code.startswith("/*", i):
            close = code.find("*/", i + 2)
            i = n if close < 0 else close + 2
            continue
        if ch.isalpha() or ch in "_$":
            end = i
            while end < n and (code[end].isalnum() or code[end] in "_$"):
                end += 1
            last = code[i:end]
            i = end
            continue
        if ch == "(":
            if last and (last[0].isalpha() or last[0] in "_$"):
                if last not in ("function", "if", "for", "while", "switch", "catch", "return"):
                    calls.add(last)
            elif last in ("]", ")", "str"):
                opaque = True
        if not ch.isspace():
            last = ch
        i += 1
    return calls, opaque


# --- HTTP clients -------------------------------------------------------------------------

_CURL_VALUES = frozenset(
    {"-X", "--request", "-d", "--data", "--data-raw", "--data-binary", "--data-ascii",
     "--data-urlencode", "--json", "-F", "--form", "--form-string", "-H", "--header", "-u",
     "--user", "-o", "--output", "-T", "--upload-file", "-A", "--user-agent", "-e",
     "--referer", "-b", "--cookie", "-c", "--cookie-jar", "-m", "--max-time",
     "--connect-timeout", "--retry", "--retry-delay", "--retry-max-time", "-w", "--write-out",
     "-x", "--proxy", "--cacert", "--capath", "--cert", "-E", "--key", "--resolve",
     "--connect-to", "-r", "--range", "-Y", "--speed-limit", "-y", "--speed-time", "-z",
     "--time-cond", "--max-redirs", "--limit-rate", "--url", "-K", "--config", "--oauth2-bearer",
     "--aws-sigv4", "--interface", "--dns-servers", "-U", "--proxy-user", "--output-dir",
     "--variable", "--expand-data", "--trace", "--trace-ascii", "--stderr", "-D",
     "--dump-header", "--unix-socket", "--abstract-unix-socket", "--request-target", "-Q",
     "--quote", "--mail-from", "--mail-rcpt", "--ftp-method", "--hostpubmd5", "--pubkey",
     "--cert-type", "--key-type", "--ciphers", "--tls-max", "-P", "--ftp-port", "--keepalive-time"}
)  # fmt: skip
_DATA_OPTS = frozenset({"-d", "--data", "--data-raw", "--data-binary", "--data-ascii",
                        "--data-urlencode", "--json", "--expand-data"})  # fmt: skip
_SENSITIVE_HEADERS = ("authorization", "cookie", "proxy-authorization", "x-api-key", "api-key")


def _curl(name: str, args: list[Word], ctx: Context) -> list[Action]:
    pairs, positionals, flags = _scan_all(args, _CURL_VALUES)
    method: str | None = None
    headers: dict[str, str] = {}
    bodies: list[str] = []
    actions: list[Action] = []
    urls = list(positionals)
    get = bool(flags & {"-G", "--get"})
    for option, word in pairs:
        value = word.value
        if option in ("-X", "--request"):
            method = value.upper() if value is not None else None
            if value is None:
                actions.append(
                    ctx.unknown(
                        name, f"{name} uses an HTTP method known only at run time ({word.text})"
                    )
                )
        elif option in ("-H", "--header"):
            # A header with a run-time value (`Bearer $TOKEN`) still names its header.
            line = value if value is not None else word.text.strip("'\"")
            key, _, header_value = line.partition(":")
            if value is None:
                header_value = "<run-time value>"
            if key.strip():
                low = key.strip().lower()
                headers[key.strip()] = (
                    "<redacted>" if low in _SENSITIVE_HEADERS else header_value.strip()
                )
        elif option in _DATA_OPTS:
            if option == "--json":
                headers.setdefault("Content-Type", "application/json")
            if value is None:
                actions.append(
                    ctx.unknown(name, f"{name} sends a body built at run time ({word.text})")
                )
            elif value.startswith("@") and option != "--data-raw":
                source = value[1:]
                text = stdin_text(ctx.stdin) if source == "-" else uploaded_text(source)
                if text is None:
                    where = source or "standard input"
                    reason = f"{name} sends a body read from {where}, which Interlock cannot see"
                    actions.append(ctx.unknown(name, reason, (source,)))
                else:
                    bodies.append(text)
            else:
                bodies.append(value)
        elif option in ("-F", "--form", "--form-string"):
            bodies.append(value if value is not None else word.text)
            if value is None and option != "--form-string":
                reason = f"{name} sends a form field built at run time ({word.text})"
                actions.append(ctx.unknown(name, reason))
            content = (value.split("=", 1)[1] if "=" in value else value) if value else ""
            if value is not None and option != "--form-string" and content[:1] in ("@", "<"):
                # `name=@file` uploads a file, `name=<file` sends its text as the value.
                source = content[1:].split(";", 1)[0]
                text = uploaded_text(source)
                if text is None:
                    actions.append(
                        ctx.unknown(name, f"{name} uploads a file in a form field ({value})")
                    )
                else:
                    bodies.append(text)
        elif option in ("-T", "--upload-file"):
            method = method or "PUT"
            text = uploaded_text(word.value) if word.value is not None else None
            if text is not None:
                bodies.append(text)
                continue
            actions.append(
                ctx.unknown(
                    name, f"{name} uploads {word.shown}, which Interlock cannot see", (word.shown,)
                )
            )
        elif option == "--url":
            urls.append(word)
        elif option in ("-K", "--config"):
            actions.append(
                ctx.unknown(
                    name, f"{name} reads options from {word.shown}, which Interlock cannot see"
                )
            )
        elif option in ("-o", "--output") and value is not None and value != "-":
            verb = Verb.DESTRUCTIVE if is_system_path(value) else Verb.WRITE
            actions.append(
                ctx.action(f"{name} -o", verb, f"{name} saves the response to {value}", (value,))
            )
    if method is None:
        if flags & {"-I", "--head"}:
            method = "HEAD"
        elif bodies and not get:
            method = "POST"
        else:
            method = "GET"
    body = "&".join(bodies)
    if not urls:
        actions.append(ctx.unknown(name, f"{name} without a URL Interlock can see"))
    for url_word in urls:
        if url_word.value is None:
            actions.append(
                ctx.unknown(name, f"{name} calls a URL known only at run time ({url_word.text})")
            )
            continue
        url = url_word.value
        if "://" not in url:
            url = "http://" + url
        if get and body:
            url = url + ("&" if "?" in url else "?") + body
        payload: dict[str, object] = {"method": method, "url": url, "headers": dict(headers)}
        if body and not get:
            payload["body"] = body
        actions.extend(_nested("http", payload, ctx))
    return actions


def _wget(name: str, args: list[Word], ctx: Context) -> list[Action]:
    value_opts = frozenset({"-O", "--output-document", "-o", "--output-file", "-P",
                            "--directory-prefix", "-U", "--user-agent", "--header",
                            "--post-data", "--post-file", "--body-data", "--body-file",
                            "--method", "-t", "--tries", "-T", "--timeout", "--user",
                            "--password", "-i", "--input-file", "-e", "--execute", "-l",
                            "--level", "-A", "-R", "--accept", "--reject"})  # fmt: skip
    pairs, positionals, flags = _scan_all(args, value_opts)
    method = "GET"
    headers: dict[str, str] = {}
    body = ""
    actions: list[Action] = []
    to_stdout = False
    for option, word in pairs:
        value = word.value or ""
        if option == "--method":
            method = value.upper() or "GET"
        elif option == "--header":
            key, _, header_value = value.partition(":")
            low = key.strip().lower()
            headers[key.strip()] = (
                "<redacted>" if low in _SENSITIVE_HEADERS else header_value.strip()
            )
        elif option in ("--post-data", "--body-data"):
            body = value
            method = "POST" if option == "--post-data" else method
        elif option in ("--post-file", "--body-file", "-i", "--input-file", "-e", "--execute"):
            actions.append(ctx.unknown(name, f"{name} {option} uses input Interlock cannot see"))
        elif option in ("-O", "--output-document"):
            if value == "-":
                to_stdout = True
            else:
                verb = Verb.DESTRUCTIVE if is_system_path(value) else Verb.WRITE
                actions.append(
                    ctx.action(
                        f"{name} -O", verb, f"{name} saves the download to {value}", (value,)
                    )
                )
                to_stdout = True
    if not to_stdout and not flags & {"--spider"}:
        verb = Verb.WRITE
        reason = f"{name} saves the download in the current directory"
        if flags & {"--delete-after"}:
            verb, reason = Verb.READ, f"{name} deletes what it downloads"
        actions.append(ctx.action(name, verb, reason, tuple(w.shown for w in positionals)))
    for url_word in positionals:
        if url_word.value is None:
            actions.append(
                ctx.unknown(name, f"{name} fetches a URL known only at run time ({url_word.text})")
            )
            continue
        url = url_word.value if "://" in url_word.value else "http://" + url_word.value
        payload: dict[str, object] = {"method": method, "url": url, "headers": headers}
        if body:
            payload["body"] = body
        actions.extend(_nested("http", payload, ctx))
    return actions or [ctx.unknown(name, f"{name} without a URL Interlock can see")]


_HTTPIE_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})


def _httpie(name: str, args: list[Word], ctx: Context) -> list[Action]:
    value_opts = frozenset({"-a", "--auth", "-A", "--auth-type", "-o", "--output",
                            "--session", "--session-read-only", "--raw", "--verify", "--cert",
                            "--cert-key", "--proxy", "--timeout", "-p", "--print", "--pretty",
                            "-s", "--style", "--format-options", "--max-redirects",
                            "--boundary", "--default-scheme"})  # fmt: skip
    pairs, positionals, flags = _scan_all(args, value_opts)
    actions: list[Action] = []
    raw_body = next((w for opt, w in pairs if opt == "--raw"), None)
    if not positionals:
        return [ctx.unknown(name, f"{name} without a URL Interlock can see")]
    method: str | None = None
    if (
        positionals[0].value is not None
        and positionals[0].value.upper() in _HTTPIE_METHODS
        and len(positionals) > 1
    ):
        method = positionals[0].value.upper()
        positionals = positionals[1:]
    url_word, items = positionals[0], positionals[1:]
    if url_word.value is None:
        return [ctx.unknown(name, f"{name} calls a URL known only at run time ({url_word.text})")]
    url = url_word.value
    if url.startswith(":"):
        url = "http://localhost" + url
    elif "://" not in url:
        url = ("https://" if name in ("https", "xhs") else "http://") + url
    headers: dict[str, str] = {}
    data: dict[str, object] = {}
    query: list[str] = []
    for item in items:
        value = item.value
        if value is None:
            actions.append(
                ctx.unknown(name, f"{name} sends an item known only at run time ({item.text})")
            )
            continue
        for sep in (":=@", "=@", ":=", "==", "=", "@", ":"):
            key, found, rest = value.partition(sep)
            if found and key and (sep != ":" or "://" not in value):
                break
        else:
            continue
        if sep in (":=@", "=@", "@"):
            actions.append(
                ctx.unknown(
                    name, f"{name} sends the file {rest}, which Interlock cannot see", (rest,)
                )
            )
        elif sep == ":=":
            try:
                data[key] = json.loads(rest)
            except ValueError:
                data[key] = rest
        elif sep == "==":
            query.append(f"{key}={rest}")
        elif sep == "=":
            data[key] = rest
        else:
            headers[key] = "<redacted>" if key.lower() in _SENSITIVE_HEADERS else rest
    body = raw_body.value if raw_body is not None and raw_body.value is not None else ""
    if data:
        body = json.dumps(data)
        headers.setdefault("Content-Type", "application/json")
    if method is None:
        method = "POST" if body else "GET"
    if query:
        url = url + ("&" if "?" in url else "?") + "&".join(query)
    payload: dict[str, object] = {"method": method, "url": url, "headers": headers}
    if body:
        payload["body"] = body
    if flags & {"--offline"}:
        return [ctx.action(name, Verb.READ, f"{name} --offline only prints the request")]
    actions.extend(_nested("http", payload, ctx))
    return actions


CARRIERS: dict[str, Carrier] = {
    "psql": _psql,
    "pgcli": _psql,
    "cockroach-sql": _psql,
    "mysql": _mysql,
    "mariadb": _mysql,
    "sqlite3": _sqlite,
    "sqlite": _sqlite,
    "redis-cli": _redis_cli,
    "valkey-cli": _redis_cli,
    "keydb-cli": _redis_cli,
    "mongosh": _mongo,
    "mongo": _mongo,
    "cqlsh": _cqlsh,
    "clickhouse-client": _clickhouse,
    "clickhouse": _clickhouse,
    "wrangler_d1": _wrangler_d1,
    "sql_argument": _sql_argument,
    "curl": _curl,
    "wget": _wget,
    "http": _httpie,
    "https": _httpie,
    "xh": _httpie,
    "xhs": _httpie,
}

__all__ = ["CARRIERS", "split_options"]


_KEY_FILES = (".pem", ".key", ".p12", ".pfx", ".jks", ".keystore")


def uploaded_text(source: str) -> str | None:
    """The text of a file a request sends (`-d @f`, `-F x=@f`, `-T f`), when Interlock can
    see it: a readable text file of the workspace's git worktree holding no credential. Its
    content then stands as the request's body, judged like any other; a file outside the
    worktree, unreadable, binary, too large or holding a credential stays unseen (unknown)."""
    workspace = current_workspace()
    if not source or source == "-" or workspace is None or not workspace.in_worktree(source):
        return None
    name = source.rsplit("/", 1)[-1]
    template = name.endswith((".example", ".sample", ".template", ".dist"))
    if (name.startswith(".env") and not template) or name.endswith(_KEY_FILES):
        return None
    text = workspace.read_text(source)
    if text is None or contains_secret(text):
        return None
    return text
