"""Sealing keys: generated keys work, rotation keeps old text readable, bad keys are refused."""

from __future__ import annotations

import pytest

from bot.sealing import generate_key, sealer


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
