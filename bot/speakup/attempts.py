"""Look-ups are counted per source in the database before they are checked, so codes and
passphrases cannot be guessed, not by a burst and not across replicas."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from bot.conversation.inbound import Actor
from bot.conversation.sealing import keyed_hash
from storage.engine import Database
from storage.speakup.guards import count_attempt, purge_attempts, tries_in, uncount_attempt


class Paused(Exception):
    """Too many look-ups from one source: none is checked for `wait`. Said plainly, since
    it is the same whether or not the code exists."""

    def __init__(self, wait: timedelta) -> None:
        super().__init__(f"paused for {wait}")
        self.wait = wait


class Refusals(Protocol):
    """Told of each look-up the limit refuses, and nothing else about it: a rise says
    someone is guessing codes, whoever they are (adapters.metrics counts them)."""

    def lookup_refused(self) -> None: ...


class Uncounted:
    def lookup_refused(self) -> None:
        pass


@dataclass(frozen=True, slots=True, kw_only=True)
class Ticket:
    """One counted look-up, to be given back if it opens a case."""

    source: str
    window: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Attempts:
    """At most `limit` look-ups per source in any `window`-long stretch of time.

    Each look-up is counted (committed) before anything is checked: of a burst of any
    size only the first `limit` are checked, and the count is the database's, so every
    replica sees it. A look-up that opens a case gives its count back, so a reporter
    coming back often is never locked out by their own visits, while a right answer
    after `limit` misses is refused like any other (it is never checked at all).

    Windows are fixed, and a look-up counts against its own window and the one before:
    any `window`-long stretch lies within two, so no stretch ever sees more than `limit`
    checked. Sources are HMACs keyed with the server secret (see
    bot.conversation.sealing.keyed_hash): the table cannot be read back into who tried,
    without that key.
    """

    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    limit: int = 5
    window: timedelta = timedelta(minutes=15)
    refusals: Refusals = field(default_factory=Uncounted)

    async def take(self, db: Database, actor: Actor, now: datetime) -> Ticket | None:
        """Count this look-up; None when the source has used up its limit."""
        ticket = Ticket(source=self._source(actor), window=self._window(now))
        async with db.session() as session:
            tries = await count_attempt(session, ticket.source, ticket.window)
            tries += await tries_in(session, ticket.source, ticket.window - 1)
        if tries > self.limit:
            self.refusals.lookup_refused()
            return None
        return ticket

    def paused_for(self, now: datetime) -> timedelta:
        """How long a refused source waits: until the window after next, when neither window
        that counts holds a try, if it tries nothing meanwhile."""
        window = self.window.total_seconds()
        resumes = (self._window(now) + 2) * window
        return timedelta(seconds=resumes - now.timestamp())

    async def give_back(self, db: Database, ticket: Ticket) -> None:
        async with db.session() as session:
            await uncount_attempt(session, ticket.source, ticket.window)

    async def purge(self, db: Database, now: datetime) -> int:
        """Windows that no longer count go: nothing is kept longer than it guards."""
        async with db.session() as session:
            return await purge_attempts(session, before_window=self._window(now) - 1)

    def _source(self, actor: Actor) -> str:
        return keyed_hash(
            self.key, "speak-up look-up", f"{actor.platform}:{actor.tenant}:{actor.user_id}"
        )

    def _window(self, now: datetime) -> int:
        return int(now.timestamp() // self.window.total_seconds())
