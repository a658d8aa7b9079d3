"""Memory: one `peerbot run` process's resident memory with a large trust loaded, under ack load.

Run from the checkout:

    PYTHONPATH=. .venv/bin/python bench/memory.py [--postgres URL] [--staff 20000]
        [--events 1000] [--pairs 10000] [--seconds 20]

A fresh database (SQLite; with --postgres also a PostgreSQL one beside the one named,
dropped afterwards) is migrated, the example organisation applied, and a large trust's
data bulk-inserted: `--staff` people who have used peerbot (each with a conversation
reference, working hours and a network joined), `--events` upcoming events with ten
sign-ups each, and `--pairs` mentoring pairs of those people, each already asked for the
round under way (a tick's work, its messages dropped: the steady state between the
openings of rounds). Then `peerbot run` serves it
and the signed requests of bench/slack_ack.py (DMs, `/events`, Open buttons, from staff in
their own DMs) are posted at concurrency 50 for `--seconds`, while /proc/PID/status is read
every 0.2 s. The bare slack-bolt app of bench/slack_ack.py under the same load is the
reference. Every request must be answered exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import insert
from sqlmodel import SQLModel, col

from bench.harness import KINDS, Poured, Server, Tally, ask, database, pour, started
from bench.servers import EXAMPLE, SECRET
from bot.conversation.codec import address_to_json
from bot.conversation.inbound import Conversation, Platform
from bot.conversation.sealing import generate_key
from bot.mentoring.due import due as mentoring_due
from bot.organisation.config import async_url
from bot.organisation.sync import apply_org_file
from storage.directory import active_networks
from storage.engine import Database
from storage.events import EventSeries, Membership, Occurrence, Signup, SignupStatus
from storage.mentoring import Hours, Member, Pair, PairRole, PairStatus
from storage.migrate import upgrade_async
from storage.references import ConversationReference
from tests.adapters.running import peerbot_running

TARGET_MB = 150
DOMAIN = "riverside.example.nhs.uk"
PROGRAMME = "nursing-mentoring"
SIGNUPS = 10
"""Sign-ups per event."""
CHUNK = 2000
"""Rows per INSERT statement."""


# --- the trust's data ------------------------------------------------------------------------


def staff_id(n: int) -> str:
    return f"USTAFF{n:05d}"


@dataclass(frozen=True)
class Loaded:
    staff: list[str]
    """Their Slack user ids."""
    occurrences: list[int]
    rows: int


async def inserted(
    db: Database, table: type[SQLModel], rows: Sequence[dict[str, Any]], *, keyed: bool
) -> list[int]:
    """Rows added in bulk, CHUNK to a statement; their ids, in order, when `keyed`."""
    ids: list[int] = []
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        async with db.session() as session:
            if keyed:
                statement = insert(table).returning(
                    col(table.id),  # type: ignore[attr-defined]
                    sort_by_parameter_order=True,
                )
                ids += list((await session.execute(statement, chunk)).scalars())
            else:
                await session.execute(insert(table), chunk)
    return ids


async def seed(db: Database, args: argparse.Namespace) -> Loaded:
    now = datetime.now(UTC).replace(microsecond=0)
    staff = [staff_id(n) for n in range(args.staff)]
    email = {user: f"{user.lower()}@{DOMAIN}" for user in staff}
    async with db.session(write=False) as session:
        networks = [n.key for n in await active_networks(session)]
    rows = 0

    async def add(
        table: type[SQLModel], values: Sequence[dict[str, Any]], *, keyed: bool = False
    ) -> list[int]:
        nonlocal rows
        rows += len(values)
        return await inserted(db, table, values, keyed=keyed)

    await add(
        ConversationReference,
        [
            {
                "platform": "slack",
                "tenant": "T1",
                "user_id": user,
                "reference": address_to_json(
                    Conversation(
                        platform=Platform.SLACK, tenant="T1", channel_id=f"D{user}", user_id=user
                    )
                ),
            }
            for user in staff
        ],
    )
    await add(
        Hours,
        [
            {
                "email": email[u],
                "days": [0, 1, 2, 3, 4],
                "quiet_from": "18:00",
                "quiet_until": "08:00",
            }
            for u in staff
        ],
    )
    await add(
        Membership,
        [
            {
                "network": networks[i % len(networks)],
                "platform": "slack",
                "tenant": "T1",
                "user_id": user,
                "muted": False,
                "joined_at": now,
            }
            for i, user in enumerate(staff)
        ],
    )
    series = await add(
        EventSeries,
        [
            {
                "network": networks[i % len(networks)],
                "title": f"Lunch and learn {i + 1}",
                "description": "An hour together over lunch: a short talk, then questions. " * 3,
                "place": "Education Centre, Room 2",
                "online_url": "",
                "accessibility": "Step-free access; hearing loop.",
                "first_start": now + timedelta(days=2, hours=i),
                "minutes": 60,
                "time_zone": "Europe/London",
                "rule": "",
                "capacity": 50,
                "waitlist": True,
                "reminders": [1440, 60],
                "created_by": "slack:U07LEAD001",
                "created_at": now,
            }
            for i in range(args.events)
        ],
        keyed=True,
    )
    starts = [now + timedelta(days=2, hours=i) for i in range(args.events)]
    occurrences = await add(
        Occurrence,
        [
            {
                "series_id": s,
                "slot": start,
                "starts_at": start,
                "ends_at": start + timedelta(hours=1),
                "taken": SIGNUPS,
            }
            for s, start in zip(series, starts, strict=True)
        ],
        keyed=True,
    )
    people = itertools.cycle(staff)
    await add(
        Signup,
        [
            {
                "occurrence_id": o,
                "platform": "slack",
                "tenant": "T1",
                "user_id": next(people),
                "status": SignupStatus.GOING,
                "queued_at": now,
                "changed_at": now,
                "invites": 1,
            }
            for o in occurrences
            for _ in range(SIGNUPS)
        ],
    )
    pairs = await add(
        Pair,
        [
            {
                "programme": PROGRAMME,
                "status": PairStatus.ACTIVE,
                "created_at": now,
                "changed_at": now,
            }
            for _ in range(args.pairs)
        ],
        keyed=True,
    )
    partners = itertools.cycle(staff)
    await add(
        Member,
        [
            {
                "pair_id": pair,
                "role": role,
                "email": email[user],
                "name": f"Staff member {user[6:]}",
                "slack": user,
                "active_in": PROGRAMME,
            }
            for pair in pairs
            for role, user in ((PairRole.MENTOR, next(partners)), (PairRole.MENTEE, next(partners)))
        ],
    )
    async with db.session() as session:  # the round under way: everyone asked already
        await mentoring_due(session, now)
    return Loaded(staff, occurrences, rows)


# --- resident memory -------------------------------------------------------------------------


def status(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (the peak so far) of a process, in MB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in {"VmRSS", "VmHWM"}:
            found[name] = int(value.split()[0]) / 1024
    return found


@dataclass
class Memory:
    """One process's resident memory before, during and after a load."""

    rest: float = 0.0
    during: list[float] = field(default_factory=list)
    after: float = 0.0
    peak: float = 0.0

    def row(self, backend: str, app: str, target: bool) -> str:
        verdict = ("met" if self.peak <= TARGET_MB else "missed") if target else "reference"
        return (
            f"| {backend} | {app} | {self.rest:.0f} MB | {statistics.median(self.during):.0f} / "
            f"{max(self.during):.0f} MB | {self.after:.0f} MB | {self.peak:.0f} MB "
            f"| {'≤ ' if target else ''}{TARGET_MB if target else '-'} | {verdict} |"
        )


async def sampled(pid: int, during: list[float], every: float = 0.2) -> None:
    while True:
        during.append(status(pid)["VmRSS"])
        await asyncio.sleep(every)


async def loaded(
    http: aiohttp.ClientSession,
    app: Server,
    label: str,
    api: Server,
    tally: Tally,
    staff: Sequence[str],
    occurrences: Sequence[int],
    args: argparse.Namespace,
) -> tuple[Memory, int, int]:
    """`args.seconds` of the mixed load on `app`; its memory, and how many requests were
    sent and not acked with a 200."""
    pid = app.pid
    memory = Memory(rest=status(pid)["VmRSS"])
    sampler = asyncio.create_task(sampled(pid, memory.during))
    rng = random.Random(7)
    sent = refused = 0
    deadline = time.monotonic() + args.seconds
    keys: list[str] = []
    try:
        while time.monotonic() < deadline:
            requests = []
            for n in range(300):
                user = rng.choice(staff)
                requests.append(
                    ask(
                        KINDS[n % len(KINDS)],
                        api=f"{api.url}/api/",
                        user=user,
                        occurrence=rng.choice(occurrences),
                        channel=f"D{user}",
                    )
                )
            poured: Poured = await pour(http, app.url, [r.body for r in requests], args.concurrency)
            tally.sent(requests, poured)
            keys += [r.key for r in requests]
            sent += len(requests)
            refused += len(poured.failed)
        await tally.answered(http, api.url, keys)
    finally:
        sampler.cancel()
    await asyncio.sleep(5)  # a moment idle: what is kept after the load
    memory.after, memory.peak = status(pid)["VmRSS"], status(pid)["VmHWM"]
    print(
        f"{label}: {sent} requests, RSS at rest {memory.rest:.0f} MB, under load up to "
        f"{max(memory.during):.0f} MB, after {memory.after:.0f} MB, peak {memory.peak:.0f} MB",
        file=sys.stderr,
    )
    return memory, sent, refused


async def on_backend(
    name: str,
    url: str | None,
    http: aiohttp.ClientSession,
    api: Server,
    tally: Tally,
    args: argparse.Namespace,
) -> tuple[Memory, int, int, Loaded]:
    async with database(url) as db_url:
        db = Database(async_url(db_url))
        try:
            await upgrade_async(async_url(db_url))
            await apply_org_file(db, EXAMPLE)
            began = time.perf_counter()
            data = await seed(db, args)
            print(
                f"{name}: {data.rows} rows seeded in {time.perf_counter() - began:.0f} s",
                file=sys.stderr,
            )
        finally:
            await db.dispose()
        settings = {
            "DATABASE_URL": db_url,
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": f"{api.url}/api/",
            "PEERBOT_SEALING_KEY": os.environ["BENCH_SEALING_KEY"],
            "PEERBOT_ORG_FILE": str(EXAMPLE),
            "PEERBOT_LOG_LEVEL": "WARNING",
        }
        with tempfile.TemporaryDirectory() as folder:
            async with peerbot_running(Path(folder), settings, within=120) as peerbot:
                server = Server(peerbot.base, peerbot.pid)
                memory, sent, refused = await loaded(
                    http, server, f"{name} peerbot", api, tally, data.staff, data.occurrences, args
                )
    return memory, sent, refused, data


async def main(args: argparse.Namespace) -> int:
    os.environ.setdefault("BENCH_SEALING_KEY", generate_key())
    backends = {"SQLite": None} | ({"PostgreSQL": args.postgres} if args.postgres else {})
    tally = Tally()
    rows = []
    total = refused_all = 0
    connector = aiohttp.TCPConnector(limit=args.concurrency)
    async with (
        started("fake-api") as api,
        aiohttp.ClientSession(connector=connector) as http,
    ):
        data: Loaded | None = None
        for name, url in backends.items():
            memory, sent, refused, data = await on_backend(name, url, http, api, tally, args)
            rows.append(memory.row(name, "peerbot", target=True))
            total, refused_all = total + sent, refused_all + refused
        assert data is not None
        async with started("bare", f"{api.url}/api/") as bare:
            memory, sent, refused = await loaded(
                http, bare, "bare bolt", api, tally, data.staff, data.occurrences, args
            )
        rows.append(memory.row("-", "bare bolt", target=False))
        total, refused_all = total + sent, refused_all + refused
        problems = await tally.settled(http, api.url)
    print(
        "\n".join(
            [
                "## Resident memory under ack load (`bench/memory.py`)",
                "",
                f"One `peerbot run` process serving a trust of {args.staff:,} staff (each with a "
                f"conversation reference, working hours and a network joined), {args.events:,} "
                f"upcoming events with {SIGNUPS} sign-ups each and {args.pairs:,} mentoring pairs, "
                f"bulk-loaded into its database, under {args.seconds} s of the signed requests of "
                "`bench/slack_ack.py` (DMs, `/events`, Open buttons) at concurrency "
                f"{args.concurrency}. VmRSS from /proc/PID/status every 0.2 s before, during and "
                "5 s after the load; peak is VmHWM, start-up included. The bare slack-bolt app "
                "under the same load is the reference. Target: peak at most 150 MB.",
                "",
                f"Command: `PYTHONPATH=. .venv/bin/python {shlex.join(sys.argv)}`",
                "",
                "| backend | app | RSS at rest | RSS under load: median / max | RSS after "
                "| peak (VmHWM) | target (MB) | |",
                "|---|---|---|---|---|---|---|---|",
                *rows,
                "",
                f"Requests: {total:,} sent, {refused_all} not acked with a 200; replies "
                f"{sum(tally.expected.values()):,} expected, {problems}.",
            ]
        )
    )
    return 1 if problems or refused_all else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="a PostgreSQL URL: also run on a database beside it")
    parser.add_argument("--staff", type=int, default=20_000)
    parser.add_argument("--events", type=int, default=1_000)
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=50)
    sys.exit(asyncio.run(main(parser.parse_args())))
