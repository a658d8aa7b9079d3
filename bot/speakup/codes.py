"""Case codes people can read out, passphrases they can copy, and slow hashes of them."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
"""No 0/O, 1/I/L: a code read over the phone or copied from a screen survives."""

PASSPHRASE_GROUPS = 4
GROUP = 5
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1

DECOY = (
    f"scrypt${SCRYPT_N}$cGVlcmJvdCBkZWNveSBzYWx0$T25seSB0aGUgdGltZSBpdCB0YWtlcyBtYXR0ZXJzIGhlcmUu"
)
"""A stored hash no passphrase matches (its digest is no scrypt output): checked for a code
that does not exist or a case without a passphrase, so every look-up costs the same."""


TYPED_CODE = re.compile(r"SU[-\s]?[A-Z0-9]{4}[-\s]?[A-Z0-9]{2}", re.IGNORECASE)
"""A case code as people paste or type it back (see normalise_code)."""


def case_code() -> str:
    """`SU-7K3M-Q9`: short enough to write down, one of 887 million."""
    chars = "".join(secrets.choice(ALPHABET) for _ in range(6))
    return f"SU-{chars[:4]}-{chars[4:]}"


def passphrase() -> str:
    """Four groups of five (about 99 bits): unguessable, and easy to copy whole."""
    chars = "".join(secrets.choice(ALPHABET) for _ in range(PASSPHRASE_GROUPS * GROUP))
    return "-".join(chars[i : i + GROUP] for i in range(0, len(chars), GROUP))


def normalise(text: str) -> str:
    """What someone types back: any case, spaces or hyphens, is the same code."""
    return "".join(c for c in text.upper() if c.isalnum())


def normalise_code(text: str) -> str:
    raw = normalise(text).removeprefix("SU")
    return f"SU-{raw[:4]}-{raw[4:]}" if len(raw) == 6 else ""


def hash_passphrase(phrase: str) -> str:
    """scrypt with a fresh salt: a stolen database does not give passphrases away quickly."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(normalise(phrase), salt, SCRYPT_N)
    return "$".join(
        ["scrypt", str(SCRYPT_N), _b64(salt), _b64(digest)],
    )


def check_passphrase(phrase: str, stored: str) -> bool:
    try:
        scheme, n, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    given = _scrypt(normalise(phrase), base64.b64decode(salt), int(n))
    return hmac.compare_digest(given, base64.b64decode(digest))


def _scrypt(text: str, salt: bytes, n: int) -> bytes:
    return hashlib.scrypt(
        text.encode(), salt=salt, n=n, r=SCRYPT_R, p=SCRYPT_P, dklen=32, maxmem=64 * 1024 * 1024
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True, slots=True, kw_only=True)
class Secret:
    """A new passphrase and its slow hash, made before any transaction opens so no
    database lock is held while scrypt works."""

    phrase: str
    hashed: str


def new_secret() -> Secret:
    phrase = passphrase()
    return Secret(phrase=phrase, hashed=hash_passphrase(phrase))


class Busy(Exception):
    """Too many slow hashes are waiting already: come back in a minute."""


class SlowHashes:
    """At most one scrypt check per core at a time, and a bounded queue behind them.

    scrypt is slow on purpose, so a burst of look-ups from many sources would otherwise
    fill every thread with it and starve everything else peerbot does. Beyond the queue
    a check is refused at once (Busy) rather than left waiting for minutes.
    """

    def __init__(self, *, at_once: int | None = None, queued: int | None = None) -> None:
        self._at_once = at_once or os.cpu_count() or 1
        self._queued = 8 * self._at_once if queued is None else queued
        self._slots = asyncio.Semaphore(self._at_once)
        self._inside = 0

    async def check(self, phrase: str, stored: str) -> bool:
        """Raises Busy when the queue is full: a look-up can be tried again later."""
        if self._inside >= self._at_once + self._queued:
            raise Busy
        self._inside += 1
        try:
            async with self._slots:
                return await asyncio.to_thread(check_passphrase, phrase, stored)
        finally:
            self._inside -= 1

    async def issue(self) -> Secret:
        """Waits its turn however long the queue: a concern is never turned away for load."""
        async with self._slots:
            return await asyncio.to_thread(new_secret)
