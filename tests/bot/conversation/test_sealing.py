"""Sealing keys: generated keys work, rotation keeps old text readable, bad keys are refused."""

from __future__ import annotations

import base64

import pytest

from bot.conversation.sealing import generate_key, keyed_hash, open_sealed, seal, sealer


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


def test_tags_outlive_a_rotation_while_the_guard_key_starts_afresh() -> None:
    """One keyed hash, two ways to hold the keys: an outbox tag made before a rotation is
    still among the tags after it; the newest hashing key (the guards') is new."""
    old, new = generate_key(), generate_key()
    before, after = sealer(old), sealer(f"{new},{old}")
    assert after.tags("outbox", "alert SU-7K3M-Q9")[1:] == before.tags("outbox", "alert SU-7K3M-Q9")
    assert after.hash_keys[1:] == before.hash_keys
    assert after.hash_keys[0] not in before.hash_keys


def test_an_outbox_tag_is_never_the_guards_hash_of_the_same_text() -> None:
    keys = sealer(generate_key())
    text = "slack:T1:U0REPORTER7"
    (tag,) = keys.tags("outbox", text)
    assert tag != keyed_hash(keys.hash_keys[0], "speak-up look-up", text)
