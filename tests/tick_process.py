"""One replica's tick, as its own OS process: `python -m tests.tick_process URL AT SOURCE`.
It connects, says `ready`, waits for a line on stdin so that every process ticks at the
same moment, ticks once at `AT` (ISO 8601) with the due source of the feature SOURCE
(`events` or `mentoring`, as the runtime wires it), and prints how many messages it
queued."""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime

from bot.conversation.tick import Source, Ticker
from bot.events.due import reminders
from bot.mentoring.deps import Mentoring
from bot.mentoring.feature import feature as mentoring
from storage.engine import Database
from tests.fakes import FakeClock


def sources(name: str) -> list[Source]:
    if name == "events":
        return [reminders]
    due = mentoring(Mentoring()).due
    assert due is not None
    return [due]


async def main(url: str, at: str, source: str) -> None:
    db = Database(url)
    try:
        ticker = Ticker(db, sources(source), FakeClock(datetime.fromisoformat(at)))
        await db.ping()
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        print(await ticker.tick(), flush=True)
    finally:
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
