"""Properties over arbitrary text: the scanner never raises and redaction leaves nothing."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlock.secrets import Confidence, contains_secret, find_secrets, redact_secrets
from tests.secrets._fakes import Plant, plants

PLANTS = plants()

# Text built from pieces a credential scanner reacts to, so the generator reaches the rules.
_PIECES = st.sampled_from(
    [p.line for p in PLANTS]
    + [p.value for p in PLANTS]
    + ["token", "secret", "password", "=", ":", '"', "'", " ", "\n", "://", "@", "-----BEGIN ",
       "PRIVATE KEY-----", "-----END ", "sk-", "ghp_", "AKIA", "eyJ", ".", "Q~", "sig=", "&",
       "postgres://u:", "api_key", "İ", "ß", "\r\n", "[redacted:x]"]
)  # fmt: skip
_TEXTS = st.one_of(st.text(max_size=400), st.lists(_PIECES, max_size=30).map("".join))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXTS)
def test_never_raises_and_findings_are_well_formed(text: str) -> None:
    findings = find_secrets(text)
    previous_end = -1
    for finding in findings:
        assert 0 <= finding.start < finding.end <= len(text)
        assert finding.start >= previous_end  # no overlaps, in order
        previous_end = finding.end
        assert finding.line == text.count("\n", 0, finding.start) + 1
    medium = any(f.confidence.rank >= Confidence.MEDIUM.rank for f in findings)
    assert contains_secret(text) == medium


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXTS)
def test_redaction_leaves_no_high_confidence_finding(text: str) -> None:
    redacted = redact_secrets(text)
    assert not [f for f in find_secrets(redacted) if f.confidence is Confidence.HIGH]
    assert redact_secrets(redacted) == redacted  # nothing left to mask


@given(st.sampled_from(PLANTS), st.text(max_size=40), st.text(max_size=40))
def test_a_planted_value_is_masked_wherever_it_sits(plant: Plant, before: str, after: str) -> None:
    text = f"{before}\n{plant.line}\n{after}"
    assert plant.value not in redact_secrets(text)
