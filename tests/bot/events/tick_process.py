"""One replica's tick, as its own OS process: `python -m tests.bot.events.tick_process URL
AT`. It connects, says `ready`, waits for a line on stdin so that every process ticks at
the same moment, ticks once at `AT` (ISO 8601) with the events feature's due source, and
prints how many messages it queued."""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime

from bot.conversation.tick import Ticker
from bot.events.due import reminders
from storage.engine import Database
from tests.fakes import FakeClock


async def main(url: str, at: str) -> None:
    db = Database(url)
    try:
        ticker = Ticker(db, [reminders], FakeClock(datetime.fromisoformat(at)))
        await db.ping()
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        print(await ticker.tick(), flush=True)
    finally:
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
