"""Sealing keys: authenticated encryption at rest, with rotation (newest key first)."""

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
    """MultiFernet, plus a keyed hash (tag) for what must be found again but never read,
    like the dedupe key of a queued speak-up message: a plain hash of a case code could
    be recomputed from the codes in the same file, a tag only with the key."""

    def __init__(self, keys: Sequence[str]) -> None:
        super().__init__([Fernet(k) for k in keys])
        self._tag_keys = tuple(_tag_key(k) for k in keys)

    def tags(self, text: str) -> tuple[str, ...]:
        """The tag of `text` under each key, newest first: store the first; look for all,
        so that what was tagged before a rotation is still recognised after it."""
        data = text.encode()
        return tuple(hmac.new(k, data, hashlib.sha256).hexdigest() for k in self._tag_keys)


def _tag_key(key: str) -> bytes:
    """A key of its own for tagging, so the encryption key is never used for two jobs."""
    hkdf = HKDF(algorithm=SHA256(), length=32, salt=None, info=b"peerbot tag")
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


GUARD_INFO = b"peerbot speak-up guards v1"


def guard_key(keys: str) -> bytes:
    """The server secret behind every keyed hash and signed token, derived (HKDF) from the
    newest sealing key, so every replica has it without a second secret to deploy, and
    knowing it reveals nothing about the sealing key. A rotation changes it too: look-up
    counts start afresh and open pages must be reloaded once, which harms nobody."""
    newest = next(k.strip() for k in keys.split(",") if k.strip())
    material = base64.urlsafe_b64decode(newest)
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=GUARD_INFO).derive(material)


def keyed_hash(key: bytes, purpose: str, text: str) -> str:
    """An HMAC of `text` for one purpose: stable on every replica, meaningless without the
    key, and never equal across purposes (a visitor's hash is not their attempts' key)."""
    message = f"{purpose}\0{text}".encode("utf-8", "surrogatepass")
    return hmac.new(key, message, hashlib.sha256).hexdigest()
