"""Fan-out: a mentoring round's 20,000 check-ins through the outbox to a rate-limited Slack.

Run from the checkout (needs PostgreSQL; a fresh database beside the one named is created
for each run and dropped afterwards):

    PYTHONPATH=. .venv/bin/python bench/fanout.py [--postgres URL] [--pairs 10000] [--rate 333]
        [--tick]

Each run: a fresh database, the fake Slack Web API of bench/servers.py in its own process
limiting chat.postMessage to `--rate` a second (a token bucket holding one second's worth,
429 with a whole-second Retry-After beyond it), and real `peerbot run` processes ticking
every second. The round's check-ins (both people of each pair, each reached through a DM
Slack opens for them) are queued straight into the outbox as the tick queues them, or with
`--tick` by `peerbot mentoring import` and the replicas' own tick (a minute or two more per
run, so left out of `make bench`). The time is taken from the first post the fake is sent
to the last it accepts, beside the limiter's own floor: the bucket's first second goes at
once, the rest at `rate`. Run (a) has one replica deliver, run (b) two at
once, sharing the limit. Every message is counted by its outbox key: a duplicate, a lost or
a stray message fails the run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections import Counter
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from sqlalchemy import func
from sqlmodel import col, select

from bench.harness import database, started
from bot.conversation.inbound import PersonAddress, Platform
from bot.conversation.outbox import Outgoing, enqueue_all
from bot.mentoring import nudges
from bot.mentoring.due import check_in_key
from bot.organisation.config import async_url
from storage.engine import Database
from storage.mentoring import Pair
from storage.outbox import OutboxRow, OutboxStatus
from tests.scenarios.cluster import (
    PROGRAMME,
    import_pairs,
    mentee,
    mentor,
    replica_settings,
    start_replicas,
)

TARGET = 1.05
"""Delivery within this much of the limiter's floor (the issue's target)."""


@dataclass
class Run:
    replicas: int
    queued: int
    queue_seconds: float
    """With the tick, from the import's end until it had queued every check-in."""
    seconds: float
    """From the first post tried to the last accepted."""
    refused: int
    duplicates: int
    lost: int
    stray: int
    load: float


async def outbox(db: Database) -> Counter[str]:
    async with db.session(write=False) as session:
        query = select(OutboxRow.status, func.count()).group_by(col(OutboxRow.status))
        return Counter({status: n for status, n in (await session.exec(query)).all()})


async def fanout(http: aiohttp.ClientSession, api: str, *, keys: bool = False) -> dict[str, object]:
    async with http.get(f"{api}/fanout", params={"keys": "1"} if keys else {}) as answer:
        seen: dict[str, object] = await answer.json()
        return seen


def round_of(pairs: int, now: datetime) -> list[Outgoing]:
    """The check-ins the tick queues for a round of `pairs` pairs (the same keys, words,
    buttons and addresses: each person by their Slack id, their DM not yet known), built
    here rather than by the tick, whose queueing of a round is not what is timed."""
    items = []
    for n in range(pairs):
        pair = Pair(id=n + 1, programme=PROGRAMME, created_at=now, changed_at=now)
        people = ((mentor(n), mentee(n)[0]), (mentee(n), mentor(n)[0]))
        for member, ((_, user_id), partner) in enumerate(people, start=2 * n + 1):
            items.append(
                Outgoing(
                    dedupe_key=check_in_key(pair, now, member),
                    address=PersonAddress(platform=Platform.SLACK, tenant="", user_id=user_id),
                    reply=nudges.check_in("Scale-out Mentoring", partner, pair, now),
                    due_at=now,
                )
            )
    return items


async def queue_round(
    db: Database, env: dict[str, str], folder: Path, pairs: int, *, by_tick: bool
) -> None:
    """The round's check-ins in the outbox: through `peerbot mentoring import` and the
    replicas' own tick, or (quicker) queued here as the tick queues them."""
    if by_tick:
        await import_pairs(db, env, folder, range(pairs))
        return
    now = datetime.now(UTC)
    async with db.session() as session:
        await enqueue_all(session, round_of(pairs, now), now=now)


async def one_run(
    admin: str, replicas: int, pairs: int, rate: float, within: float, *, by_tick: bool
) -> Run:
    expected = 2 * pairs
    async with (
        database(admin) as url,
        started("fake-api", f"chat.postMessage={rate}") as api,
        AsyncExitStack() as stack,
        aiohttp.ClientSession() as http,
    ):
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        env = replica_settings(folder, url, f"{api.url}/api/")
        await start_replicas(stack, folder, env, replicas)
        db = Database(async_url(url), pool_size=2)
        stack.push_async_callback(db.dispose)
        print(f"{replicas} replica(s) up; queueing a round of {pairs} pairs", file=sys.stderr)
        await queue_round(db, env, folder, pairs, by_tick=by_tick)
        imported = time.monotonic()
        queue_seconds = 0.0
        async with asyncio.timeout(within):
            while True:
                left = await outbox(db)
                if not queue_seconds and left.total() >= expected:
                    queue_seconds = time.monotonic() - imported
                    print(f"queued {left.total()} in {queue_seconds:.1f} s", file=sys.stderr)
                seen = await fanout(http, api.url)
                waiting = left[OutboxStatus.PENDING] + left[OutboxStatus.SENDING]
                if queue_seconds and not waiting and int(str(seen["distinct"])) >= expected:
                    break
                await asyncio.sleep(0.5)
        await asyncio.sleep(1)  # a moment more for a second copy of anything to show
        seen = await fanout(http, api.url, keys=True)
        async with db.session(write=False) as session:
            queued = set((await session.exec(select(OutboxRow.dedupe_key))).all())
    posted = Counter(seen["keys"])  # type: ignore[arg-type]
    first, last = float(str(seen["first"])), float(str(seen["last"]))
    return Run(
        replicas=replicas,
        queued=len(queued),
        queue_seconds=queue_seconds,
        seconds=last - first,
        refused=int(str(seen["refused"])),
        duplicates=sum(posted.values()) - len(posted),
        lost=len(queued - set(posted)),
        stray=len(set(posted) - queued),
        load=os.getloadavg()[0],
    )


def report(runs: list[Run], pairs: int, rate: float, command: str, *, by_tick: bool) -> None:
    n = 2 * pairs
    floor = (n - rate) / rate  # the bucket's one second's worth at once, the rest at `rate`
    queued = (
        "queued by the replicas' own tick after `peerbot mentoring import`"
        if by_tick
        else "queued straight into the outbox as the tick queues them; `--tick` has the tick do it"
    )
    print("## Fan-out through the outbox (`bench/fanout.py`)\n")
    print(
        f"A round of {pairs:,} mentoring pairs: {n:,} check-ins ({queued}), delivered by "
        "`peerbot run` through the real Slack sender (each person's DM opened first with "
        "conversations.open, not limited here) to a fake Web API that limits "
        f"chat.postMessage to {rate:g}/s (a token bucket holding one second's worth; beyond it "
        "HTTP 429 with a whole-second Retry-After). The floor is what that limiter allows at "
        f"best, (N - {rate:g}) / {rate:g} = {floor:.1f} s; time runs from the first post tried "
        f"to the last accepted. Target: within {TARGET}x the floor, no duplicate, none lost.\n"
    )
    print(f"Command: `{command}`\n")
    print(
        "| run | N | limit | floor | time | time / floor | target | duplicates | lost "
        "| 429s | tick queued all in | load average |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for run in runs:
        ratio = run.seconds / floor
        verdict = "met" if ratio <= TARGET and not (run.duplicates or run.lost) else "missed"
        name = "(a) 1 replica" if run.replicas == 1 else f"(b) {run.replicas} replicas"
        queue = f"{run.queue_seconds:.1f} s" if by_tick else "-"
        print(
            f"| {name} | {run.queued:,} | {rate:g}/s | {floor:.1f} s | {run.seconds:.1f} s "
            f"| {ratio:.3f} | <= {TARGET} {verdict} | {run.duplicates} | {run.lost} "
            f"| {run.refused:,} | {queue} | {run.load:.1f} |"
        )
    print(
        "\nload average: the machine's 1-minute load at the end of the run (2 cores, shared): "
        "a replica's share of the CPU, not the outbox, is what caps its rate when it is high."
    )


async def main(args: argparse.Namespace) -> int:
    floor = (2 * args.pairs - args.rate) / args.rate
    runs = []
    for replicas in (1, 2):
        run = await one_run(
            args.postgres,
            replicas,
            args.pairs,
            args.rate,
            within=3 * floor + 120,
            by_tick=args.tick,
        )
        print(
            f"{replicas} replica(s): {run.seconds:.1f} s for {run.queued} "
            f"({run.seconds / floor:.3f}x the floor), {run.refused} 429s",
            file=sys.stderr,
        )
        runs.append(run)
    command = "PYTHONPATH=. .venv/bin/python bench/fanout.py " + " ".join(sys.argv[1:])
    report(runs, args.pairs, args.rate, command.strip(), by_tick=args.tick)
    wrong = any(r.duplicates or r.lost or r.stray or r.queued != 2 * args.pairs for r in runs)
    return 1 if wrong else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "PEERBOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
        help="a PostgreSQL database; a fresh one is created beside it for each run",
    )
    parser.add_argument("--pairs", type=int, default=10_000, help="2 check-ins each")
    parser.add_argument("--rate", type=float, default=333, help="chat.postMessage a second")
    parser.add_argument(
        "--tick",
        action="store_true",
        help="import the pairs and let the replicas' tick queue the round (a minute or two "
        "more per run); otherwise the check-ins are queued straight into the outbox",
    )
    sys.exit(asyncio.run(main(parser.parse_args())))
