"""The command text shown in an action's `detail`, with credentials taken out.

Details go to the audit log and to approvers' screens, so they must never carry a secret the
agent typed: header values (`-H 'Authorization: Bearer …'`), the values of options named
like a credential (`--token`, `--password`, `-u user:pass`), passwords inside URLs,
assignments to credential-like variables (`PGPASSWORD=…`) and words shaped like well-known
token formats. Redaction works on the resolved words, not on the raw text.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from interlock.classify.shell._parse import Command

MAX_DETAIL = 200
MASK = "***"

_SECRET_HINTS = ("token", "password", "passwd", "secret", "apikey", "api-key", "api_key",
                 "auth", "cookie", "credential", "private-key", "access-key", "pass")  # fmt: skip
# Query parameters that carry a credential without saying so (`?key=…`, `&sig=…`).
_SECRET_PARAMS = frozenset({"key", "access_key", "sig", "signature", "code", "auth"})
# Short options whose value is a credential in the tools that carry them.
_SECRET_SHORT = frozenset({"-H", "-b", "-E"})
_TOKEN_PREFIXES = ("ghp_", "gho_", "ghu_", "ghs_", "github_pat_", "glpat-", "xoxb-", "xoxp-",
                   "sk-", "sk_live_", "rk_live_", "AKIA", "ASIA", "eyJ", "npm_", "pypi-",
                   "hf_", "dop_v1_", "SG.")  # fmt: skip


def _is_secret_name(name: str) -> bool:
    lowered = name.lower()
    return any(hint in lowered for hint in _SECRET_HINTS)


def redact_word(word: str) -> str:
    """One word with any credential it carries replaced by `***`."""
    if word.startswith(_TOKEN_PREFIXES) and len(word) > 12:
        return MASK
    if "://" in word and ("@" in word or "?" in word):
        word = redact_url(word)
    if ":" in word and not word.startswith(("-", "/", ".")) and " " in word:
        # A header line (`Authorization: Bearer …`): keep the name, drop the value.
        name, _, _ = word.partition(":")
        if name and " " not in name.strip():
            return f"{name}: {MASK}"
    if word.startswith("-") and "=" in word:
        name, _, _ = word.partition("=")
        if _is_secret_name(name) or name in ("--header", "--user"):
            return f"{name}={MASK}"
    if "=" in word and not word.startswith("-"):
        name, _, _ = word.partition("=")
        if name.isidentifier() and _is_secret_name(name):
            return f"{name}={MASK}"
    if word.lower().startswith("bearer ") or word.lower().startswith("basic "):
        return word.split(" ", 1)[0] + " " + MASK
    return word


def redact_url(url: str) -> str:
    """`scheme://user:pass@host/…?token=…` → `scheme://user:***@host/…?token=***`."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return MASK
    if password is not None:
        netloc = parts.netloc.replace(f":{password}@", f":{MASK}@", 1)
        parts = parts._replace(netloc=netloc)
    if parts.query:
        pairs = [p.partition("=") for p in parts.query.split("&")]
        query = "&".join(
            f"{k}={MASK}"
            if eq and (_is_secret_name(k) or k.lower() in _SECRET_PARAMS)
            else k + eq + v
            for k, eq, v in pairs
        )
        parts = parts._replace(query=query)
    return parts.geturl()


def detail_for(command: Command) -> str:
    """The command as it reads, redacted and cut to `MAX_DETAIL` characters."""
    out: list[str] = []
    for name, value in command.assignments:
        shown = MASK if _is_secret_name(name) else redact_word(value.text)
        out.append(f"{name}={shown}")
    hide_next = False
    program = command.words[0].value if command.words else None
    for word in command.words:
        text = word.value if word.value is not None else word.text
        if hide_next:
            out.append(_hide_value(text))
            hide_next = False
            continue
        if out and out[-1] in ("-u", "--user") and ":" in text:
            out.append(_quote(text.split(":", 1)[0] + ":" + MASK))
            continue
        if out and out[-1] == "-a" and program in _REDIS_CLIENTS:
            out.append(MASK)
            continue
        if text.startswith("-") and "=" not in text:
            flag = text
            secret_long = flag.startswith("--") and _is_secret_name(flag)
            if flag in _SECRET_SHORT or secret_long or flag == "--header":
                hide_next = True
            elif program in ("mysql", "mariadb", "mysqldump") and flag.startswith("-p"):
                text = "-p" + (MASK if len(flag) > 2 else "")
        out.append(_quote(redact_word(text)))
    for redirect in command.redirects:
        if redirect.target is not None and redirect.op not in ("<<", "<<-"):
            out.append(f"{redirect.fd or ''}{redirect.op} {_quote(redirect.target.shown)}")
    text = " ".join(out)
    if len(text) > MAX_DETAIL:
        text = text[: MAX_DETAIL - 1] + "…"
    return text


_REDIS_CLIENTS = frozenset({"redis-cli", "valkey-cli", "keydb-cli"})


def _hide_value(text: str) -> str:
    if ":" in text:
        name, _, _ = text.partition(":")
        if name and " " not in name.strip() and "//" not in text:
            return _quote(f"{name}: {MASK}")
    return MASK


def _quote(text: str) -> str:
    if text and all(ch.isalnum() or ch in "-_./:=@%+,~*{}$" for ch in text):
        return text
    return "'" + text.replace("'", "'\\''") + "'"
