"""Credentials Interlock did not issue, carried by a command: the incident's own move.

The agent in the incident found an API token in a file and sent it with `curl`. Agents are
meant to hold only the scoped, short-lived `ilk_` tokens Interlock issues (the proxies add
the real credential upstream), so a command that carries any other live credential is
refused in every environment (`model.FOREIGN_CREDENTIAL_PROTOCOL`; the gate's built-in
rule), with a message to ask for a scoped token. Where a credential sits:

- a header (`-H 'Authorization: Bearer …'`, `X-Api-Key: …`, `Private-Token: …`);
- a URL (`https://user:pass@host`, `?token=…`, `&api_key=…`);
- an environment assignment (`GITHUB_TOKEN=… gh …`, `export API_KEY=…`, `PGPASSWORD=…`);
- an option (`--token`, `--password`, `--api-key`, `-u user:pass`, `-pSECRET`).

What counts as live, and the rule for variables:

- a literal value the credential detector (`interlock.secrets`) recognises, or any literal
  of six characters or more in one of those slots that is not a placeholder (`<token>`,
  `xxxx`, `changeme`, …), a boolean, a number or a path;
- an `ilk_` token is Interlock's own: allowed;
- a variable (`$GITHUB_TOKEN`) is not a literal: its value comes from the agent's own
  environment, which the hook cannot see, as in everyday `gh` and `curl` use. It is not
  allowed when the same command line filled it from a file (`TOKEN=$(cat key.txt)`,
  `source .env`, `export $(cat .env | xargs)`) or the slot reads a file directly
  (`Bearer $(cat token.txt)`): a credential found in a file is exactly the incident;
- a credential sent only to this machine (a loopback host, or a database client without a
  host, which uses the local socket) is a developer's local setup, not the incident.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import MutableMapping
from urllib.parse import parse_qsl, urlsplit

from interlock.classify.shell._context import Context
from interlock.classify.shell._parse import Command, parse
from interlock.model import FOREIGN_CREDENTIAL_PROTOCOL, Action, Verb
from interlock.redact import is_sensitive_key
from interlock.secrets import contains_secret, is_placeholder

ISSUED_PREFIX = "ilk_"
SOURCED = "\0sourced"  # key of `origins` for files sourced into the shell
_MIN_LITERAL = 6
_AUTH_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "x-api-key", "api-key", "apikey", "x-auth-token",
     "private-token", "x-access-token", "x-token", "x-api-token", "x-vault-token",
     "circle-token", "x-figma-token", "x-shopify-access-token"}
)  # fmt: skip
_SCHEMES = ("bearer ", "basic ", "token ", "bot ", "apikey ", "key ", "sso-key ", "digest ")
_CREDENTIAL_OPTIONS = frozenset(
    {"--token", "--password", "--passwd", "--api-key", "--apikey", "--api-token",
     "--access-token", "--auth-token", "--secret", "--client-secret", "--secret-key",
     "--private-token", "--bearer", "--oauth2-bearer", "--pass"}
)  # fmt: skip
_USER_OPTIONS = frozenset({"-u", "--user", "--proxy-user", "-U"})
# Short options that are a password only in some programs (`docker login -p`).
_PROGRAM_OPTIONS = {
    "docker": frozenset({"-p"}),
    "podman": frozenset({"-p"}),
    "buildah": frozenset({"-p"}),
    "helm": frozenset({"-p"}),
    "twine": frozenset({"-p"}),
}
_PASSWORD_SHORT = {"mysql": "-p", "mysqldump": "-p", "mariadb": "-p", "redis-cli": "-a"}
_DB_CLIENTS = frozenset(
    {"psql", "pg_dump", "pg_restore", "mysql", "mysqldump", "mariadb", "redis-cli", "mongosh",
     "mongo", "createdb", "dropdb", "pgcli", "mycli"}
)  # fmt: skip
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0", "[::1]"})  # noqa: S104
_FILE_READERS = frozenset(
    {"cat", "head", "tail", "grep", "egrep", "rg", "awk", "sed", "jq", "yq", "cut", "less",
     "more", "base64", "tr", "xargs", "sort", "strings", "tac", "python", "python3", "node"}
)  # fmt: skip
_SUBSTITUTION = re.compile(r"\$\(([^()]*)\)|`([^`]*)`")
_REFERENCE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
_HOST_OPTIONS = frozenset({"-h", "--host"})
_URL = re.compile(r"[a-z][a-z0-9+.-]{1,15}://[^\s'\"<>]+", re.IGNORECASE)


def _is_live(name: str, value: str) -> bool:
    """Whether a literal in a credential slot is a live credential (see the module doc)."""
    value = value.strip()
    if not value or value.startswith(ISSUED_PREFIX):
        return False
    if contains_secret(f"{name}={value}") or contains_secret(value):
        return True
    if len(value) < _MIN_LITERAL or is_placeholder(value):
        return False
    lowered = value.lower()
    if lowered in ("true", "false", "none", "null", "yes", "no", "disabled", "enabled"):
        return False
    if value.isdigit() or value.startswith(("/", "~", "./", "../", "$")):
        return False
    return not (name.lower().endswith(("_file", "_path", "_dir", "_url")))


def _unquoted(text: str) -> str:
    """A dynamic word's source without its outer quotes (`"Bearer $X"` → `Bearer $X`)."""
    if len(text) > 1 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def _file_in_substitution(text: str) -> str | None:
    """The file a `$(cat FILE)` (or backquoted) substitution in `text` reads, if any."""
    for match in _SUBSTITUTION.finditer(text):
        inner = (match.group(1) or match.group(2) or "").strip()
        if inner.startswith("<"):
            return inner[1:].strip() or "a file"
        for command in parse(inner).commands:
            words = [w.value or w.text for w in command.words]
            if words and posixpath.basename(words[0]) in _FILE_READERS:
                paths = [w for w in words[1:] if not w.startswith("-")]
                if paths or command.redirects:
                    return paths[-1] if paths else "a file"
    return None


class Finder:
    """Looks for foreign credentials in one command, with what the line did before it."""

    def __init__(self, command: Command, ctx: Context, origins: MutableMapping[str, str]):
        self.command = command
        self.ctx = ctx
        self.origins = origins
        self.values = [w.value for w in command.words]
        self.programs = [v.rpartition("/")[2] for v in self.values if v]
        self.found: list[Action] = []

    def run(self) -> list[Action]:
        for name, word in self.command.assignments:
            if is_sensitive_key(name):
                self._slot(f"the environment variable {name}", name, word.value, word.text)
        for index, word in enumerate(self.command.words):
            text = word.value if word.value is not None else word.text
            if ":" in text or "=" in text or text[:1] == "-":  # where a credential can sit
                self._word(index, word.value, word.text)
        if self.found and self._to_this_machine():
            return []
        return self.found

    def _to_this_machine(self) -> bool:
        hosts = []
        for index, value in enumerate(self.values):
            if value is None:
                continue
            for url in _URL.findall(value):
                try:
                    hosts.append((urlsplit(url).hostname or "").lower())
                except ValueError:
                    hosts.append("")
            name, sep, attached = value.partition("=")
            if (name if sep else value) in _HOST_OPTIONS and set(self.programs) & _DB_CLIENTS:
                given = (
                    attached
                    if sep
                    else (self.values[index + 1] or "" if index + 1 < len(self.values) else "")
                )
                hosts.append(given.lower())
        for name, word in self.command.assignments:
            if name in ("PGHOST", "MYSQL_HOST", "REDIS_HOST") and word.value:
                hosts.append(word.value.lower())
        if hosts:
            return all(h in _LOOPBACK for h in hosts)
        # A database client with no host uses the local socket.
        return bool(set(self.programs) & _DB_CLIENTS)

    def _word(self, index: int, value: str | None, text: str) -> None:
        shown = value if value is not None else _unquoted(text)
        lowered = shown.lower()
        name, sep, rest = shown.partition(":")
        if sep and name.strip().lower() in _AUTH_HEADERS:
            credential = rest.strip()
            for scheme in _SCHEMES:
                if credential.lower().startswith(scheme):
                    credential = credential[len(scheme) :].strip()
                    break
            literal = credential if value is not None else None
            self._slot(f"the {name.strip()} header", name.strip(), literal, credential)
            return
        if "://" in shown:
            for url in _URL.findall(shown):
                self._url(url, value is not None)
        option, eq, attached = shown.partition("=")
        by_program = option[:1] == "-" and any(
            option in _PROGRAM_OPTIONS.get(p, ()) for p in self.programs
        )
        if option in _CREDENTIAL_OPTIONS or option in _USER_OPTIONS or by_program:
            if eq:
                given: str | None = attached if value is not None else None
                given_text = attached
            elif index + 1 < len(self.values):
                given = self.values[index + 1]
                given_text = self.command.words[index + 1].text
            else:
                return
            if option in _USER_OPTIONS and option != "-p":
                if given is not None and ":" not in given:
                    return  # a user name only; the program asks for the password
                given = given.partition(":")[2] if given is not None else None
                given_text = given_text.partition(":")[2]
            self._slot(f"the {option} option", option.lstrip("-"), given, given_text)
            return
        for program, short in _PASSWORD_SHORT.items():
            attached_value = lowered.startswith(short) and len(shown) > len(short)
            if program in self.programs and attached_value and not shown.startswith("--"):
                secret = shown[len(short) :]
                self._slot(f"the {short} option", "password", secret if value else None, secret)

    def _url(self, url: str, literal: bool) -> None:
        try:
            parts = urlsplit(url)
            password = parts.password
        except ValueError:
            return
        if password:
            self._slot("the password in a URL", "password", password if literal else None, password)
        for key, given in parse_qsl(parts.query, keep_blank_values=True):
            if is_sensitive_key(key) or key.lower() in ("key", "access_key", "sig", "signature"):
                self._slot(f"the {key} parameter of a URL", key, given if literal else None, given)

    def _slot(self, where: str, name: str, value: str | None, text: str) -> None:
        if value is not None:
            if _is_live(name, value):
                self._add(where, f"{where} carries a literal credential")
            return
        source = _file_in_substitution(text)
        if source is None:
            for variable in _REFERENCE.findall(text):
                source = self.origins.get(variable)
                if source is None and SOURCED in self.origins and variable not in ("HOME", "PWD"):
                    source = self.origins[SOURCED]
                if source is not None:
                    break
        if source is not None:
            self._add(where, f"{where} carries a credential read from {source}")

    def _add(self, where: str, reason: str) -> None:
        self.found.append(
            Action(
                protocol=FOREIGN_CREDENTIAL_PROTOCOL,
                operation=f"{FOREIGN_CREDENTIAL_PROTOCOL}:foreign",
                verb=Verb.UNKNOWN,
                targets=(where,),
                reason=f"{reason}, not one Interlock issued",
                detail=self.ctx.detail,
            )
        )


def foreign_credentials(
    command: Command, ctx: Context, origins: MutableMapping[str, str]
) -> list[Action]:
    """Actions for the credentials Interlock did not issue that `command` carries."""
    return Finder(command, ctx, origins).run()


def remember_origins(command: Command, origins: MutableMapping[str, str]) -> None:
    """Variables the command fills from files (`X=$(cat f)`, `source .env`), for later ones."""
    values = [w.value for w in command.words]
    if not values or values[0] in ("export", "declare", "readonly", "local", "typeset"):
        for name, word in command.assignments:
            source = _file_in_substitution(word.text) if word.value is None else None
            if source is not None:
                origins[name] = source
            else:
                origins.pop(name, None)
        for word in command.words[1:]:
            source = _file_in_substitution(word.text) if word.value is None else None
            if source is not None:
                origins[SOURCED] = source  # export $(cat .env | xargs)
    elif values[0] in ("source", ".") and len(values) > 1:
        origins[SOURCED] = values[1] or command.words[1].text
    elif values[0] == "read" and command.redirects:
        redirected = command.redirects[0].target
        for variable in values[1:]:
            if variable and not variable.startswith("-") and redirected is not None:
                origins[variable] = redirected.value or redirected.text
