"""Wrong codes and passphrases are counted per source, so codes cannot be guessed."""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict, deque
from datetime import datetime, timedelta


class Attempts:
    """A sliding window of failures per source, kept in memory only.

    Sources are keyed by a salted hash that changes every start, so this table
    can never be read back into who tried which code.
    """

    def __init__(self, *, limit: int = 5, window: timedelta = timedelta(minutes=15)) -> None:
        self._limit = limit
        self._window = window
        self._salt = secrets.token_bytes(16)
        self._failures: defaultdict[bytes, deque[datetime]] = defaultdict(deque)

    def _key(self, source: str) -> bytes:
        return hashlib.blake2b(source.encode(), key=self._salt, digest_size=16).digest()

    def blocked(self, source: str, now: datetime) -> bool:
        failures = self._failures.get(self._key(source))
        if not failures:
            return False
        while failures and now - failures[0] > self._window:
            failures.popleft()
        return len(failures) >= self._limit

    def failed(self, source: str, now: datetime) -> None:
        self._failures[self._key(source)].append(now)
