"""Typed payloads: what a button carries round-trips, and nothing else gets through."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.conversation.payloads import BadPayload, FeatureRef, decode, encode
from bot.speakup.codes import case_code
from bot.speakup.payloads import CaseRef, GuardianRef


def test_a_one_field_payload_reads_as_its_value() -> None:
    assert encode(FeatureRef(feature="support")) == "support"
    assert decode(FeatureRef, "support") == FeatureRef(feature="support")


@given(person=st.integers(min_value=1, max_value=2**31))
def test_payloads_round_trip(person: int) -> None:
    code = case_code()
    assert decode(CaseRef, encode(CaseRef(code=code))) == CaseRef(code=code)
    assert decode(GuardianRef, encode(GuardianRef(person=person))).person == person


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        (CaseRef, ""),
        (CaseRef, "SU-2222-22:x"),
        (CaseRef, "su-2222-22"),
        (CaseRef, "SU-0000-00"),
        (GuardianRef, "seven"),
        (GuardianRef, "0"),
        (GuardianRef, "-3"),
        (FeatureRef, "Help"),
        (FeatureRef, "x" * 3000),
    ],
)
def test_anything_else_is_a_bad_payload(kind: type[object], text: str) -> None:
    with pytest.raises(BadPayload):
        decode(kind, text)  # type: ignore[type-var]


@given(text=st.text(max_size=50))
def test_no_text_crashes_decoding(text: str) -> None:
    for kind in (CaseRef, GuardianRef, FeatureRef):
        with contextlib.suppress(BadPayload):
            decode(kind, text)


def test_a_payload_that_cannot_be_carried_is_refused_when_made() -> None:
    with pytest.raises(ValueError, match="holds"):
        encode(FeatureRef(feature="a:b"))
