"""Sealing keys: generated keys work, rotation keeps old text readable, bad keys are refused."""

from __future__ import annotations

import base64

import pytest

from bot.sealing import generate_key, open_sealed, seal, sealer


def test_rotation_opens_text_sealed_with_an_older_key() -> None:
    old, new = generate_key(), generate_key()
    sealed_before = sealer(old).encrypt(b"concern")
    rotated = sealer(f"{new}, {old}")
    assert rotated.decrypt(sealed_before) == b"concern"
    assert sealer(new).decrypt(rotated.encrypt(b"later")) == b"later"


@pytest.mark.parametrize("keys", ["", " , ", "not-a-key"])
def test_unusable_keys_are_refused_with_the_way_to_fix_it(keys: str) -> None:
    with pytest.raises(ValueError, match="peerbot keys generate"):
        sealer(keys)


def test_sealed_text_does_not_carry_the_time_it_was_sealed() -> None:
    """A Fernet token starts with its creation time in clear: on a case, that is the moment
    of the report, which the alert policy's random delay and digest exist to hide."""
    keys = sealer(generate_key())
    token = seal(keys, {"what": "concern"})
    assert int.from_bytes(base64.urlsafe_b64decode(token)[1:9], "big") == 0
    assert open_sealed(keys, token) == {"what": "concern"}
