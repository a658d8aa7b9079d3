"""Sealed, expiring tokens: data handed to a platform or a browser that only peerbot can open,
and only for a while."""

from __future__ import annotations

import base64
import zlib
from datetime import datetime, timedelta

from cryptography.fernet import Fernet, InvalidToken

from bot.conversation.sealing import keyed_hash


class SealedTokens:
    """Fernet under a key of its own, derived from the server secret for one `purpose`
    (a token made for one use never opens for another), its data compressed first.

    Fernet authenticates as it encrypts: a token changed by anyone fails whole. It also
    carries the moment it was made, which is how it expires; so it is for things whose
    time says nothing (a file link, a form to open), never for anything about a case.
    """

    def __init__(self, key: bytes, purpose: str) -> None:
        derived = bytes.fromhex(keyed_hash(key, "sealed tokens", purpose))
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, data: bytes, now: datetime) -> str:
        return self._fernet.encrypt_at_time(zlib.compress(data), int(now.timestamp())).decode()

    def open(self, token: str, *, lasts: timedelta, now: datetime) -> bytes | None:
        """The data, or None for a token that is not ours, was changed, or is older than
        `lasts`."""
        try:
            sealed = self._fernet.decrypt_at_time(
                token.encode("ascii"), int(lasts.total_seconds()), int(now.timestamp())
            )
            return zlib.decompress(sealed)
        except (InvalidToken, UnicodeEncodeError, zlib.error):
            return None
