"""Sealing keys: authenticated encryption at rest and keyed hashes, with rotation (newest first)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class Sealer(MultiFernet):
    """MultiFernet, plus a hashing key derived from each sealing key (newest first), for
    keyed hashes of what must be found or checked again but never read back."""

    def __init__(self, keys: Sequence[str]) -> None:
        super().__init__([Fernet(k) for k in keys])
        self.hash_keys = tuple(_hash_key(k) for k in keys)

    def tags(self, purpose: str, text: str) -> tuple[str, ...]:
        """The keyed hash of `text` under every listed key, newest first: store the first,
        look for all, so what was tagged before a rotation is still recognised after it
        (a queued speak-up message's dedupe key: a plain hash of a case code could be
        recomputed from the codes in the same file, a tag only with the key)."""
        return tuple(keyed_hash(k, purpose, text) for k in self.hash_keys)


HASH_INFO = b"peerbot keyed hash v1"


def _hash_key(key: str) -> bytes:
    """A key of its own for hashing, derived (HKDF) from a sealing key, so the encryption
    key is never used for two jobs and knowing this one reveals nothing about it."""
    hkdf = HKDF(algorithm=SHA256(), length=32, salt=None, info=HASH_INFO)
    return hkdf.derive(base64.urlsafe_b64decode(key))


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


def sealer(keys: str) -> Sealer:
    """Keys are comma-separated, newest first: new text is sealed with the first,
    and text sealed with any listed key can still be opened, so rotation never
    locks a report away."""
    parts = [k.strip() for k in keys.split(",") if k.strip()]
    if not parts:
        raise ValueError("no key given; make one with `peerbot keys generate`")
    try:
        return Sealer(parts)
    except ValueError:
        raise ValueError(
            "a key is not valid (each must be 44 characters from `peerbot keys generate`)"
        ) from None


def seal(sealer: MultiFernet, data: dict[str, object]) -> str:
    """Sealed as of time zero: a Fernet token otherwise carries the moment it was made in
    clear, and on a case that is the moment of the report, which the alert policy's random
    delay and digest exist to hide. Nothing reads a token's age."""
    return sealer.encrypt_at_time(json.dumps(data).encode(), 0).decode("ascii")


def open_sealed(sealer: MultiFernet, token: str) -> dict[str, object]:
    opened: dict[str, object] = json.loads(sealer.decrypt(token.encode()))
    return opened


def keyed_hash(key: bytes, purpose: str, text: str) -> str:
    """An HMAC of `text` for one purpose: stable on every replica, meaningless without the
    key, and never equal across purposes (a visitor's hash is not their attempts' key, nor
    an outbox tag). One mechanism, two ways to hold the keys:

    - what must outlive a rotation (outbox tags) is hashed under every key, see `tags`;
    - what may start afresh (look-up counts, form receipts, web form tokens) uses only the
      newest, `Sealer.hash_keys[0]`, held by the runtime as its guard key: a rotation
      resets the counts and open pages are reloaded once, which harms nobody, and a key
      retired because it leaked stops signing at once.
    """
    message = f"{purpose}\0{text}".encode("utf-8", "surrogatepass")
    return hmac.new(key, message, hashlib.sha256).hexdigest()
