"""How fast the outbox drains: queue N messages, deliver them to a no-op sender.

Run: python bench/outbox_delivery.py [N] (PostgreSQL too when PEERBOT_TEST_POSTGRES_URL is set).
The baseline in the same run is queueing the same N rows, so the ratio says what
delivery (claim, send, mark sent) costs beside the writes every message needs anyway.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg

from bot.conversation.clock import SystemClock
from bot.conversation.inbound import Conversation, PersonAddress, Platform
from bot.conversation.outbox import DeliveryWorker, Outgoing, enqueue
from bot.conversation.replies import Reply, say
from bot.organisation.config import async_url
from storage.engine import Database
from storage.migrate import upgrade_async

ADDRESS = Conversation(platform=Platform.CONSOLE, tenant="local", channel_id="console")
REPEATS = 3


class NoopSender:
    async def send(self, address: Conversation, reply: Reply, *, key: str) -> None:
        return None

    async def already_sent(self, address: Conversation, key: str) -> bool:
        return False

    async def resolve(self, person: PersonAddress) -> Conversation | None:
        return None


async def one_run(url: str, n: int) -> tuple[float, float]:
    """Seconds to queue n rows (one transaction each, as features do) and to deliver them."""
    db = Database(url)
    clock = SystemClock()
    started = time.perf_counter()
    for i in range(n):
        item = Outgoing(
            dedupe_key=f"bench:{i}", address=ADDRESS, reply=say(f"m{i}"), due_at=clock.now()
        )
        async with db.session() as session:
            await enqueue(session, item, now=clock.now())
    queued = time.perf_counter()
    worker = DeliveryWorker(db, {Platform.CONSOLE: NoopSender()}, clock, batch_size=50)
    delivered = await worker.run_once()
    done = time.perf_counter()
    await db.dispose()
    assert delivered == n, delivered
    return queued - started, done - queued


async def fresh_sqlite(folder: Path) -> str:
    url = async_url(f"sqlite:///{folder / f'{uuid.uuid4().hex}.db'}")
    await upgrade_async(url)
    return url


async def fresh_postgres(admin: str) -> tuple[str, str]:
    name = f"peerbot_bench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(admin)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = async_url(f"{admin.rpartition('/')[0]}/{name}")
    await upgrade_async(url)
    return url, name


async def drop_postgres(admin: str, name: str) -> None:
    conn = await asyncpg.connect(admin)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


def report(backend: str, n: int, runs: list[tuple[float, float]]) -> None:
    queue = statistics.median(r[0] for r in runs)
    deliver = statistics.median(r[1] for r in runs)
    print(
        f"{backend:10} n={n}: queue median {queue:.2f}s ({n / queue:,.0f}/s), "
        f"deliver median {deliver:.2f}s ({n / deliver:,.0f}/s), deliver/queue {deliver / queue:.2f}"
    )


async def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        runs = [await one_run(await fresh_sqlite(Path(folder)), n) for _ in range(REPEATS)]
    report("sqlite", n, runs)
    admin = os.environ.get("PEERBOT_TEST_POSTGRES_URL")
    if admin:
        runs = []
        for _ in range(REPEATS):
            url, name = await fresh_postgres(admin)
            try:
                runs.append(await one_run(url, n))
            finally:
                await drop_postgres(admin, name)
        report("postgresql", n, runs)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000))
