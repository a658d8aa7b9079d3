"""A form sent twice makes one case: the second send gets the first one's receipt."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.speakup.cases import Raised


class Receipts:
    """Receipts of forms just sent, by the platform's id for the filled-in form.

    Kept in memory for a few minutes and never stored: a double tap, a resent web
    page or a retried request lands on the same case, and nothing on disk ties a
    platform's form id (which the platform can tie to a person) to a case. Keys are
    salted hashes, so not even memory holds the form id itself.
    """

    def __init__(self, *, keep_for: timedelta = timedelta(minutes=15)) -> None:
        self._keep_for = keep_for
        self._salt = secrets.token_bytes(16)
        self._kept: dict[bytes, tuple[datetime, Raised]] = {}
        self._locks: dict[bytes, asyncio.Lock] = {}

    async def once(
        self, submission: str, now: datetime, make: Callable[[], Awaitable[Raised]]
    ) -> tuple[Raised, bool]:
        """The receipt for this submission and whether it is new; `make` runs at most once
        per submission while its receipt is kept. No submission id: always new."""
        if not submission:
            return await make(), True
        self._forget_before(now - self._keep_for)
        key = hashlib.blake2b(submission.encode(), key=self._salt, digest_size=16).digest()
        lock = self._locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                if key in self._kept:
                    return self._kept[key][1], False
                raised = await make()
                self._kept[key] = (now, raised)
        finally:
            self._locks.pop(key, None)  # even when `make` failed: a lock per form is not kept
        return raised, True

    def _forget_before(self, cutoff: datetime) -> None:
        for key in [k for k, (at, _) in self._kept.items() if at < cutoff]:
            del self._kept[key]
