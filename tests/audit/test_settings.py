"""`[audit]` settings: every wrong value is a one-line error naming the key; editing the file
keeps what the operator wrote."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interlock.audit import CheckpointSigner, FileWitness, KeyPin, WitnessError, witnesses_for
from interlock.audit.settings import set_config_keys
from interlock.audit.signing import generate_signing_key
from interlock.audit.witness import pin_key, pinned_key
from interlock.config import AuditSettings, read_config
from interlock.errors import ConfigError


def settings_of(tmp_path: Path, text: str) -> AuditSettings:
    path = tmp_path / "interlock.toml"
    path.write_text(text)
    return read_config(path).audit


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[audit]\ncheckpoint_every = 0\n", "checkpoint_every"),
        ("[audit]\ncheckpoint_every = true\n", "checkpoint_every"),
        ("[audit]\ncheckpoint_interval = -1\n", "checkpoint_interval"),
        ("[audit]\ncheckpoint_interval = 'soon'\n", "checkpoint_interval"),
        ("[audit]\nkey_fingerprint = 'md5:abc'\n", "key_fingerprint"),
        ("[audit]\nwitnes = {}\n", "unknown key(s) witnes"),
        ("[audit.witness]\ndirectory = ''\n", "directory"),
        ("[audit.witness]\nwebhook = 'ftp://x'\n", "webhook"),
        ("[audit.witness]\nwebhook_read = 'yes'\n", "webhook_read"),
        ("[audit.witness]\nvault = 1\n", "unknown key(s) vault"),
        ("audit = 3\n", "[audit] must be a table"),
        ("[audit\n", "not valid TOML"),
    ],
)
def test_bad_settings_name_the_key(tmp_path: Path, text: str, named: str) -> None:
    with pytest.raises(ConfigError) as info:
        settings_of(tmp_path, text)
    assert named in str(info.value) and "interlock.toml" in str(info.value)


def test_relative_witness_directory_is_relative_to_the_config(tmp_path: Path) -> None:
    found = settings_of(
        tmp_path, "[audit.witness]\ndirectory = 'w'\nwebhook = 'https://x.example/a'\n"
    )
    witnesses = witnesses_for(found)
    assert [w.name for w in witnesses] == [f"file:{tmp_path / 'w'}", "webhook:https://x.example/a"]


_KEY = st.from_regex(r"[a-z][a-z_]{0,12}", fullmatch=True)
_VALUE = st.one_of(
    st.text(max_size=30), st.just('a\x7f\u2028"\\'), st.booleans(), st.integers(-(10**9), 10**9)
)


@given(
    existing=st.dictionaries(_KEY, st.integers(0, 99), max_size=4),
    values=st.dictionaries(_KEY, _VALUE, min_size=1, max_size=4),
    table=st.sampled_from(["audit", "audit.witness"]),
)
def test_set_config_keys_sets_exactly_the_keys_and_keeps_the_rest(
    existing: dict[str, int], values: dict[str, object], table: str
) -> None:
    body = "".join(f"{k} = {v}  # operator's note\n" for k, v in existing.items())
    text = f"# top comment\n[policies]\npaths = ['p']\n\n[{table}]\n{body}\n"
    text += "[resources.db]\nkind = 'x'\n"
    edited = set_config_keys(text, table, values)  # type: ignore[arg-type]
    parsed = tomllib.loads(edited)
    section = parsed
    for part in table.split("."):
        section = section[part]
    assert section == {**existing, **values}
    assert parsed["policies"] == {"paths": ["p"]} and parsed["resources"] == {"db": {"kind": "x"}}
    assert edited.startswith("# top comment\n")
    kept = [k for k in existing if k not in values]
    assert all(f"{k} = {existing[k]}  # operator's note" in edited for k in kept)


def test_set_config_keys_adds_a_missing_table() -> None:
    edited = set_config_keys("[policies]\npaths = ['p']\n", "audit.witness", {"directory": "w"})
    assert tomllib.loads(edited)["audit"]["witness"] == {"directory": "w"}


def test_a_witness_pins_one_key_and_accepts_another_only_endorsed(tmp_path: Path) -> None:
    keys = []
    for name in ("a", "b", "c"):
        generate_signing_key(tmp_path / f"{name}.key", tmp_path / f"{name}.pub")
        keys.append(CheckpointSigner.from_file(tmp_path / f"{name}.key"))
    a, b, c = keys
    witness = FileWitness(tmp_path / "w")
    witness.create()
    assert "pinned" in pin_key(witness, a, "t1")
    assert "already pins" in pin_key(witness, a, "t2")
    with pytest.raises(WitnessError, match="replaced without the pinned key's endorsement"):
        pin_key(witness, b, "t3")
    with pytest.raises(WitnessError):
        pin_key(witness, b, "t3", previous=c)  # endorsed by a key that is not the pinned one
    assert "endorsed by" in pin_key(witness, b, "t4", previous=a)
    chain = pinned_key(witness.read())
    assert chain.fingerprint == b.fingerprint and chain.refused == []
    # A pin appended by hand, endorsed by nobody, changes nothing.
    witness.append(KeyPin(c.public_hex, "t5"))
    chain = pinned_key(witness.read())
    assert chain.fingerprint == b.fingerprint and len(chain.refused) == 1
