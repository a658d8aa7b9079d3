"""A proof that a case was just opened works only for that person, that case, for a while."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.conversation.inbound import Actor, Platform
from bot.conversation.payloads import BadPayload
from bot.speakup.opened import LIFETIME, code_of, proof, proven

KEY = b"k" * 32
NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)
ME = Actor(platform=Platform.WEB, tenant="web", user_id="visitor-1")
SOMEONE = Actor(platform=Platform.WEB, tenant="web", user_id="visitor-2")


def test_a_proof_names_its_case_for_its_holder_until_it_expires() -> None:
    given = proof(KEY, "SU-7K3M-Q9", ME, NOW)
    assert code_of(given) == "SU-7K3M-Q9"
    assert proven(KEY, given, ME, NOW + LIFETIME - timedelta(seconds=1)) == "SU-7K3M-Q9"
    assert proven(KEY, given, ME, NOW + LIFETIME) is None
    assert proven(KEY, given, SOMEONE, NOW) is None
    assert proven(b"x" * 32, given, ME, NOW) is None


def test_a_changed_or_bare_proof_proves_nothing() -> None:
    given = proof(KEY, "SU-7K3M-Q9", ME, NOW)
    assert proven(KEY, given.replace("SU-7K3M-Q9", "SU-2222-22"), ME, NOW) is None
    assert proven(KEY, "SU-7K3M-Q9", ME, NOW) is None
    assert proven(KEY, "", ME, NOW) is None
    assert proven(KEY, given.replace(":", ".", 1), ME, NOW) is None


@pytest.mark.parametrize("value", ["SU-7K3M-Q9", "", "SU-7K3M-Q9:1:zz", "x" * 3000])
def test_a_value_that_is_no_proof_of_ours_is_a_bad_payload(value: str) -> None:
    with pytest.raises(BadPayload):
        code_of(value)
