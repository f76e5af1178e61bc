"""Properties of the verb lexicon that judges known CLIs' subcommands (verbs.toml).

The table names each tool's exceptions; the lexicon covers the rest. These properties hold
for every tool marked `lexicon = true`, so a tool added to the table inherits them: a
deletion is never hidden by the words around it, an unknown subcommand is never a blanket
read or write, options that destroy never lower a verdict, and flags or quoting do not
change what a command means.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from interlock.classify.shell import classify
from interlock.classify.shell._lexicon import LEXICON, verb_of
from interlock.classify.shell._table import TABLE
from interlock.model import Verb, most_severe

LEXICON_TOOLS = sorted({name for name, entry in TABLE.items() if entry.lexicon and "/" not in name})
DESTRUCTIVE_WORDS = sorted(w for w, v in LEXICON.words.items() if v is Verb.DESTRUCTIVE)
READ_WORDS = sorted(w for w, v in LEXICON.words.items() if v is Verb.READ)
CASES = yaml.safe_load((Path(__file__).parent / "cases" / "shell-clis.yaml").read_text())

# Nouns no table entry or lexicon word uses: a command group, a resource name.
nouns = st.text(alphabet="bcfghjkmnpqvwxz", min_size=3, max_size=8).map(lambda s: "qz" + s)


def _verb(line: str) -> Verb:
    return most_severe(a.verb for a in classify(line, 0))


def test_every_lexicon_tool_is_listed() -> None:
    assert len(LEXICON_TOOLS) >= 40
    for name in ("supabase", "neonctl", "railway", "vault", "stripe", "gcloud", "mc", "gh"):
        assert name in LEXICON_TOOLS


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(LEXICON_TOOLS),
    st.lists(nouns, max_size=3),
    st.sampled_from(DESTRUCTIVE_WORDS),
    st.lists(nouns, max_size=2),
    st.sampled_from(["", "--yes", "-y", "--output=json", "--quiet"]),
)
def test_a_destructive_word_is_never_hidden(
    tool: str, groups: list[str], word: str, rest: list[str], flag: str
) -> None:
    # The tool's own meaning of the word wins (`gh run cancel` is a write, `fastly purge` of
    # one key too): the table names those exceptions.
    assume(word not in TABLE[tool].scan and (groups or TABLE[tool].lookup(word) is None))
    line = " ".join([tool, *groups, word, *rest, flag])
    assert _verb(line) in (Verb.DESTRUCTIVE, Verb.UNKNOWN), line


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(LEXICON_TOOLS),
    st.lists(nouns, min_size=1, max_size=3),
    st.sampled_from(DESTRUCTIVE_WORDS),
    st.sampled_from(READ_WORDS),
)
def test_a_read_word_after_a_deletion_does_not_lower_it(
    tool: str, groups: list[str], word: str, read: str
) -> None:
    assume(word not in TABLE[tool].scan and read not in TABLE[tool].scan)
    line = " ".join([tool, *groups, word, read])
    assert _verb(line) in (Verb.DESTRUCTIVE, Verb.UNKNOWN), line


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(LEXICON_TOOLS), st.lists(nouns, min_size=1, max_size=3))
def test_an_unknown_subcommand_stays_unknown(tool: str, words: list[str]) -> None:
    # Never a blanket read or write for a whole CLI.
    line = " ".join([tool, *words])
    assert _verb(line) is Verb.UNKNOWN, line


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([c["payload"] for c in CASES]),
    st.sampled_from(sorted(LEXICON.destructive_options)),
)
def test_a_destructive_option_never_lowers_the_verdict(payload: str, option: str) -> None:
    before = _verb(payload)
    after = _verb(f"{payload} {option}")
    assert after.severity >= before.severity, (payload, option, before, after)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(LEXICON_TOOLS),
    st.lists(nouns, max_size=2),
    st.sampled_from(sorted(LEXICON.words)),
    st.lists(nouns, max_size=2),
)
def test_flags_and_quoting_do_not_change_the_meaning(
    tool: str, groups: list[str], word: str, rest: list[str]
) -> None:
    plain = " ".join([tool, *groups, word, *rest])
    flagged = " ".join([tool, "--qz-verbose", *groups, f"'{word}'", *rest, "--qz-flag=x"])
    assert _verb(plain) is _verb(flagged), (plain, flagged)


@given(st.sampled_from(sorted(LEXICON.words)))
def test_a_word_means_what_its_parts_mean(word: str) -> None:
    # `delete-bucket`, `pg:backups:delete`, `deleteBucket` read like `delete`.
    expected = LEXICON.words[word]
    if "-" in word or "_" in word or ":" in word or expected is Verb.UNKNOWN:
        return  # unknown words (`ssh`, `exec`) count whole only: `ssh-keys` is a noun
    for form in (f"{word}-qzthing", f"qzthing:{word}", f"{word}Qzthing"):
        assert verb_of(form, {}) is expected, form


# The CLIs issue 16 names: each is known to the classifier and listed in the coverage table.
ISSUE_CLIS = (
    "aws gcloud az doctl flyctl heroku vercel netlify railway render supabase neonctl pscale",
    "wrangler psql mysql mongosh redis-cli cqlsh clickhouse-client kafka-topics nats",
    "rabbitmqctl restic borg rclone mc azcopy gsutil s5cmd vault op doppler infisical sops",
    "kubectl helm kustomize argocd flux velero terraform tofu pulumi cdk ansible gh glab",
    "circleci gitlab-runner fastly cloudflared kong deck flipt unleash ldcli stripe algolia pd",
    "datadog-ci nginx systemctl docker podman",
)


def test_every_cli_the_issue_names_is_known_and_documented() -> None:
    from interlock.classify.shell._carriers import CARRIERS

    coverage = (Path(__file__).parents[2] / "docs" / "classifiers" / "coverage.md").read_text()
    for name in " ".join(ISSUE_CLIS).split():
        assert name in TABLE or name in CARRIERS, name
        assert f"`{name}`" in coverage or f"`{name} " in coverage, name
