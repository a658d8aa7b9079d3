"""Growth: ack latency and the tick's duration from 1,000 to 100,000 mentoring pairs.

Needs PostgreSQL. Run from the checkout:

    PYTHONPATH=. python bench/growth.py --postgres postgresql://postgres@127.0.0.1:5432/test
        [--sizes 1000,10000,100000]

For each size a fresh database beside the one named is migrated, given the example
organisation, and filled by COPY (never through chat): that many pairs as they stand a month
into 2027 (one in forty in the example's monthly reverse-mentoring programme, the rest in its
unscheduled board pairing; January's round closed, February's asked, most pairs answered in
every round since September), a tenth as many events with a date each and ten sign-ups per
date from the same people, and the outbox holding February's check-ins as sent; then VACUUM
ANALYZE. The tick is the runtime's own (every feature's due source), on a clock set in 2027:
idle ticks (nothing new due), then the tick that opens March's round (a check-in for everyone
in a live pair of the monthly programme, and the stuck alerts of January and February). Only
one pair in forty is due in that round because each message costs one INSERT into the outbox
(some milliseconds): the per-pair cost is the figure, and a round of all 100,000 would take
minutes. Then peerbot's real server (bench/servers.py's, in its own process, with a fake
Slack Web API) takes signed DMs "home" from the seeded people, which read their pairs and
sign-ups, and every one must be answered exactly once (else exit status 1).

Every statement the ticks issue is caught on the engine; at the largest size each distinct
one is EXPLAINed, a line per query goes in the section and the full plans to stderr. A Seq
Scan on a table that grows with pairs, events, people or the outbox misses the target.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg

from bench.harness import Tally, database, dm, p, pour, started
from bench.servers import EXAMPLE
from bot.conversation.tick import Ticker
from bot.organisation.config import load_settings
from bot.organisation.sync import apply_org_file
from storage.engine import Database
from storage.events import LOOK_NOW
from storage.migrate import upgrade_async
from tests.fakes import FakeClock
from tests.plans import Plan, caught, explained, shape

PROGRAMME = "reverse-mentoring"
"""The example's monthly programme: first Tuesday, 10:00 London (GMT in winter)."""
UNSCHEDULED = "board-pairing"
"""The example's programme with no cadence: its pairs are never due."""
SCHEDULED_SHARE = 40
"""One pair in ten is in the monthly programme (see the docstring)."""
HISTORY = (
    datetime(2026, 9, 1, 9, 0, tzinfo=UTC),
    datetime(2026, 10, 6, 9, 0, tzinfo=UTC),
    datetime(2026, 11, 3, 10, 0, tzinfo=UTC),
    datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
)
"""The rounds before January, answered as January's were."""
JANUARY = datetime(2027, 1, 5, 10, 0, tzinfo=UTC)
FEBRUARY = datetime(2027, 2, 2, 10, 0, tzinfo=UTC)
MARCH = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)
APRIL = datetime(2027, 4, 6, 9, 0, tzinfo=UTC)
"""After the clocks change: 10:00 BST."""
NETWORKS = ("race-equality", "disabled-staff", "lgbtq", "womens", "multi-faith")
SIGNUPS_PER_DATE = 10
EVENT_DAYS = 180
"""The events' dates spread over half a year from February."""
GROWING = frozenset(
    {
        "mentoring_pair",
        "mentoring_member",
        "mentoring_checkin",
        "mentoring_hours",
        "event_series",
        "event_occurrence",
        "event_signup",
        "network_member",
        "outbox",
        "due_window",
        "seen_event",
        "conversation_reference",
    }
)
"""Tables that grow with pairs, events, people or the outbox: a Seq Scan on one is a miss."""
IDLE_TICKS = 5
DMS = 600
ROUNDS = 3
"""The DMs go in rounds, each after the last one's replies; figures are the rounds' medians."""
CONCURRENCY = 20


# --- seeding ----------------------------------------------------------------------------------


def _people(n: int) -> list[tuple[int, str, str]]:
    """Member ids 2n-1 and 2n are pair n's senior and frontline: (id, email, Slack id)."""
    return [
        (i, f"{role}{pair}@riverside.example.nhs.uk", f"U{i:07d}")
        for pair in range(1, n + 1)
        for i, role in ((2 * pair - 1, "senior"), (2 * pair, "frontline"))
    ]


def pair_of(member: int) -> int:
    return (member + 1) // 2


def _status(pair: int) -> str:
    """Nine in ten pairs active, the rest paused or left, as a real programme has."""
    return {0: "paused", 1: "left"}.get(pair % 19, "active")


def _programme(pair: int) -> str:
    return PROGRAMME if pair % SCHEDULED_SHARE == 0 else UNSCHEDULED


def due_pairs(pairs: int) -> int:
    """The live pairs of the monthly programme: each gets March's check-ins."""
    return sum(
        1 for n in range(1, pairs + 1) if _programme(n) == PROGRAMME and _status(n) != "left"
    )


async def _copy(connection: asyncpg.Connection, table: str, rows: list[dict[str, Any]]) -> None:
    """COPY the rows in (each a dict of the same columns); the id sequence moved past them."""
    columns = list(rows[0])
    records = [tuple(row[c] for c in columns) for row in rows]
    await connection.copy_records_to_table(table, records=records, columns=columns)
    if "id" in columns:
        await connection.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
        )


async def seed(url: str, pairs: int) -> None:
    """The programmes a month into 2027, and the events, by COPY: seconds for 100,000 pairs."""
    connection = await asyncpg.connect(url)
    try:
        people = _people(pairs)
        before = HISTORY[0] - timedelta(days=7)
        await connection.execute(
            "UPDATE programme SET rounds_from = $1 WHERE key = $2", JANUARY, PROGRAMME
        )
        pair_rows = [
            {"id": n, "programme": _programme(n), "status": _status(n)}
            | {"created_at": before, "changed_at": before}
            for n in range(1, pairs + 1)
        ]
        await _copy(connection, "mentoring_pair", pair_rows)
        members = [
            {"id": i, "pair_id": pair, "role": "frontline" if i % 2 == 0 else "senior"}
            | {"email": email, "name": "", "slack": slack, "asked_due": FEBRUARY}
            | {"active_in": None if _status(pair) == "left" else _programme(pair)}
            | {"asked_round": FEBRUARY}
            for i, email, slack in people
            for pair in [pair_of(i)]
        ]
        await _copy(connection, "mentoring_member", members)
        openings = (*HISTORY, JANUARY, FEBRUARY, MARCH)
        rounds = [
            {"id": n, "programme": PROGRAMME, "opens_at": opens, "closes_at": closes}
            | {"state": "open" if opens == FEBRUARY else "closed", "seen_at": opens}
            for n, (opens, closes) in enumerate(itertools.pairwise(openings), start=1)
        ]
        await _copy(connection, "mentoring_round", rounds)
        answered = {"answer": "met", "answered_at": FEBRUARY, "changed_at": FEBRUARY}
        await _copy(
            connection,
            "mentoring_checkin",
            [
                {"pair_id": pair, "member_id": i, "round_id": r["id"]} | answered
                for i, _, _ in people
                if i % 2
                and _programme(pair := pair_of(i)) == PROGRAMME
                and pair % 7  # one pair in seven never met: stuck when February closes
                for r in rounds
            ],
        )
        week = json.dumps([0, 1, 2, 3, 4])
        await _copy(
            connection,
            "mentoring_hours",
            [
                {"email": email, "days": week, "quiet_from": "20:00", "quiet_until": "08:00"}
                | {"time_zone": "", "seen_zone": ""}
                for i, email, _ in people
                if i % 10 == 0
            ],
        )
        address = {"platform": "slack", "due_at": FEBRUARY, "created_at": FEBRUARY}
        await _copy(
            connection,
            "outbox",
            [
                {"dedupe_key": f"mentoring:checkin:{pair_of(i)}:2027-02-02T10:00Z:{i}"}
                | {"address": json.dumps({"user_id": slack}), "reply": json.dumps({})}
                | {"status": "sent", "attempts": 1, "sent_at": FEBRUARY}
                | address
                for i, _, slack in people
            ],
        )
        await _events(connection, pairs // 10, [slack for _, _, slack in people])
        await connection.execute("VACUUM ANALYZE")  # as autovacuum would after the load
    finally:
        await connection.close()


async def _events(connection: asyncpg.Connection, count: int, people: list[str]) -> None:
    """`count` events, one date each, spread over half a year from February, each with ten
    sign-ups (eight going, two waiting) from the members; reminders a day and an hour before."""
    spacing = timedelta(days=EVENT_DAYS) / count
    starts = [FEBRUARY + timedelta(hours=2) + spacing * n for n in range(count)]
    series = {"title": "An event", "description": "", "place": "Room 1", "online_url": ""}
    series |= {"accessibility": "", "minutes": 60, "time_zone": "Europe/London", "rule": ""}
    series |= {"capacity": 8, "waitlist": True, "reminders": json.dumps([1440, 60])}
    series |= {"created_by": "lead", "created_at": FEBRUARY}
    await _copy(
        connection,
        "event_series",
        [
            {"id": n, "network": NETWORKS[n % len(NETWORKS)], "first_start": start} | series
            for n, start in enumerate(starts, start=1)
        ],
    )
    await _copy(
        connection,
        "event_occurrence",
        [
            {"id": n, "series_id": n, "slot": start, "starts_at": start}
            | {"ends_at": start + timedelta(hours=1), "place": "", "online_url": ""}
            | {"taken": 8, "sequence": 0, "next_reminder_at": LOOK_NOW}  # new: looked at once
            for n, start in enumerate(starts, start=1)
        ],
    )
    signups = []
    for n in range(1, count + 1):
        for k in range(SIGNUPS_PER_DATE):
            queued = FEBRUARY - timedelta(days=1, minutes=SIGNUPS_PER_DATE - k)
            signups.append(
                {"occurrence_id": n, "platform": "slack", "tenant": "T1", "offers": 0}
                | {"user_id": people[(n * SIGNUPS_PER_DATE + k) % len(people)]}
                | {"status": "going" if k < 8 else "waiting"}
                | {"queued_at": queued, "changed_at": queued}
            )
    await _copy(connection, "event_signup", signups)


# --- the tick, its statements and their plans --------------------------------------------------


async def ticked(ticker: Ticker, clock: FakeClock, at: datetime) -> tuple[float, int]:
    clock.current = at
    began = time.perf_counter()
    queued = await ticker.tick()
    return time.perf_counter() - began, queued


@dataclass
class Size:
    pairs: int
    live: int = 0
    events: int = 0
    signups: int = 0
    seeded: float = 0.0
    idle: list[float] = field(default_factory=list)
    opening: float = 0.0
    opened: int = 0
    outbox: int = 0
    acks: list[list[float]] = field(default_factory=list)
    """Each round's ack times."""
    unanswered: int = 0
    plans: list[Plan] = field(default_factory=list)

    @property
    def misses(self) -> list[str]:
        """Growing tables some tick query reads by Seq Scan."""
        return sorted({t for plan in self.plans for t in plan.seq_scans() & GROWING})

    @property
    def per_pair(self) -> float:
        """The round's tick beyond an idle one, per pair due in it."""
        return (self.opening - statistics.median(self.idle)) / max(1, self.live)


async def measure(url: str, pairs: int, explain: bool) -> Size:
    size = Size(pairs=pairs, events=pairs // 10, signups=pairs // 10 * SIGNUPS_PER_DATE)
    size.live = due_pairs(pairs)
    async with database(url) as db_url:
        settings = load_settings(
            database_url=db_url, PEERBOT_SEALING_KEY=os.environ["BENCH_SEALING_KEY"]
        )
        await upgrade_async(settings.async_database_url)
        db = Database(settings.async_database_url)
        try:
            await apply_org_file(db, EXAMPLE)
            began = time.perf_counter()
            await seed(db_url, pairs)
            size.seeded = time.perf_counter() - began
            print(f"{pairs:,} pairs: seeded in {size.seeded:.1f} s", file=sys.stderr)
            size.idle, size.opening, size.opened = await ticks(db, settings, size, explain)
            size.outbox = await _count(db_url, "outbox")
            size.acks, size.unanswered = await acks(db_url, pairs)
        finally:
            await db.dispose()
    print(
        f"{pairs:,} pairs: idle tick {statistics.median(size.idle) * 1000:.1f} ms, round "
        f"{size.opening:.1f} s ({size.opened:,} queued), ack p50 {ack(size, 0.5):.1f} ms "
        f"p99 {ack(size, 0.99):.1f} ms",
        file=sys.stderr,
    )
    return size


async def ticks(
    db: Database, settings: Any, size: Size, explain: bool
) -> tuple[list[float], float, int]:
    """Idle ticks in February, then March's round opening; the statements of all of them
    caught, and at the largest size explained."""
    from adapters.runtime import wire

    clock = FakeClock(FEBRUARY + timedelta(days=10))
    runtime = wire(settings, db, clock)
    ticker = Ticker(db, runtime.router.due_sources, clock, sealer=runtime.sealer)
    with caught(db) as statements:
        statements.on = False
        await ticked(ticker, clock, clock.current)  # what came due since the seed: events
        statements.on = True
        idle = [
            (await ticked(ticker, clock, clock.current + timedelta(minutes=1)))[0]
            for _ in range(IDLE_TICKS)
        ]
        statements.on = False
        await ticked(ticker, clock, MARCH - timedelta(minutes=2))  # the events of late February
        statements.on = True
        opening, opened = await ticked(ticker, clock, MARCH + timedelta(minutes=1))
        idle += [
            (await ticked(ticker, clock, clock.current + timedelta(minutes=1)))[0]
            for _ in range(IDLE_TICKS)
        ]
    if explain:
        async with db.engine.begin() as connection:  # the plans as they stand after the ticks
            await connection.exec_driver_sql("ANALYZE")
        size.plans = await explained(db, statements)
    return idle, opening, opened


async def _count(url: str, table: str) -> int:
    connection = await asyncpg.connect(url)
    try:
        return int(await connection.fetchval(f"SELECT count(*) FROM {table}"))
    finally:
        await connection.close()


# --- acks into the real server ------------------------------------------------------------------


async def acks(url: str, pairs: int) -> tuple[list[list[float]], int]:
    """Ack times of DMs "home" from people spread through the tables (which read their
    pairs and sign-ups), `CONCURRENCY` at once after a warm-up, round by round; and how many
    were not answered exactly once."""
    stride = max(1, 2 * pairs // (DMS + CONCURRENCY))
    users = [f"U{i:07d}" for i in range(1, 2 * pairs + 1, stride)][: DMS + CONCURRENCY]
    warm, timed = users[:CONCURRENCY], users[CONCURRENCY:]
    tally = Tally()
    rounds = []
    async with started("fake-api") as api, started("peerbot", f"{api.url}/api/", url) as peerbot:
        connector = aiohttp.TCPConnector(limit=CONCURRENCY)
        async with aiohttp.ClientSession(connector=connector) as http:
            for n, part in enumerate([warm] + [timed[n::ROUNDS] for n in range(ROUNDS)]):
                sent = [dm("home", user=u, channel=f"D{u}") for u in part]
                done = await pour(http, peerbot.url, [s.body for s in sent], CONCURRENCY)
                tally.sent(sent, done)
                await tally.answered(http, api.url, [s.key for s in sent])
                if n:  # the first part only warms the server up
                    rounds.append(done)
            problems = await tally.settled(http, api.url)
    refused = sum(len(done.failed) for done in rounds)
    unanswered = problems.lost + problems.doubled + problems.stray + refused
    return [done.latencies for done in rounds], unanswered


def ack(size: Size, q: float) -> float:
    """The median over the rounds of each round's `q` quantile, in ms."""
    return statistics.median(p(latencies, q) for latencies in size.acks)


# --- the section ---------------------------------------------------------------------------------


def growth(small: float, large: float, ratio: float) -> str:
    """How a figure grows over `ratio` times the data: its exponent k in n^k."""
    if ratio <= 1:
        return "one size only: no shape"
    k = math.log(max(large, 1e-9) / max(small, 1e-9)) / math.log(ratio)
    if k < 0.1:
        return f"flat (n^{k:.2f})"
    if k < 0.3:
        return f"logarithmic or so (n^{k:.2f})"
    return f"linear (n^{k:.2f})" if k < 1.2 else f"worse than linear (n^{k:.2f})"


def report(sizes: list[Size], command: str) -> str:
    first, last = sizes[0], sizes[-1]
    ratio = last.pairs / first.pairs
    idle = [statistics.median(s.idle) * 1000 for s in sizes]
    lines = [
        f"## Growth: ack latency and the tick from {first.pairs:,} to {last.pairs:,} pairs "
        "(`bench/growth.py`)",
        "",
        "Each size is a fresh PostgreSQL database filled by COPY: mentoring pairs a month into "
        f"2027 (one in {SCHEDULED_SHARE} in a monthly programme, the rest in one with no "
        "schedule), a tenth as many events with ten sign-ups each, the outbox holding last "
        "round's check-ins; then VACUUM ANALYZE. The tick is the runtime's own (every feature's "
        "due source). An idle tick has nothing new due; the round's tick queues a check-in for "
        "everyone in a live pair of the monthly programme (its cost per pair is beyond an idle "
        "tick's). The ack is a signed DM `home` (which reads the person's pairs and sign-ups) "
        f"into the real server, {CONCURRENCY} at once, in {ROUNDS} rounds. The baseline is the "
        f"smallest size: a figure within 2x of it over {ratio:,.0f} times the data is flat.",
        "",
        f"Command: `{command}`",
        "",
        f"| pairs | events | sign-ups | outbox rows after | idle tick (median of {2 * IDLE_TICKS}) "
        "| round-opening tick | queued | per live pair | DM ack p50 | DM ack p99 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s, ms in zip(sizes, idle, strict=True):
        lines.append(
            f"| {s.pairs:,} | {s.events:,} | {s.signups:,} | {s.outbox:,} | {ms:.1f} ms | "
            f"{s.opening:.2f} s | {s.opened:,} | {s.per_pair * 1e6:.0f} µs | "
            f"{ack(s, 0.5):.1f} ms | {ack(s, 0.99):.1f} ms |"
        )
    misses = last.misses
    targets = [
        ("idle tick", idle[0], idle[-1], "ms"),
        ("round-opening tick per live pair", first.per_pair * 1e6, last.per_pair * 1e6, "µs"),
        ("DM ack p50", ack(first, 0.5), ack(last, 0.5), "ms"),
        ("DM ack p99", ack(first, 0.99), ack(last, 0.99), "ms"),
    ]
    lines += [
        "",
        f"| figure | at {first.pairs:,} | at {last.pairs:,} | shape | target | |",
        "|---|---|---|---|---|---|",
    ]
    for name, small, large, unit in targets:
        met = "met" if large <= 2 * small else "missed"
        lines.append(
            f"| {name} | {small:.1f} {unit} | {large:.1f} {unit} | "
            f"{growth(small, large, ratio)} | flat: within 2x | {met} |"
        )
    lines.append(
        f"| tick queries reading a growing table by Seq Scan | | {len(misses)} "
        f"({', '.join(misses) or 'none'}) | | none: every tick query uses an index | "
        f"{'met' if not misses else 'missed'} |"
    )
    lines += [
        "",
        f"The {len(last.plans)} distinct statements of those ticks at {last.pairs:,} pairs, "
        "each EXPLAINed (an IN list of any length counts once). A Seq Scan on a small table "
        "that does not grow with the data (the organisation file's people, roles and "
        "programmes, a programme's rounds, speak-up cases) is the planner's right choice:",
        "",
        "| statement | how it reaches its rows |",
        "|---|---|",
    ]
    for plan in sorted(last.plans, key=lambda plan: plan.statement):
        flag = " **Seq Scan on a growing table**" if plan.seq_scans() & GROWING else ""
        lines.append(f"| `{_short(plan.statement)}` | {plan.access}{flag} |")
    lines += ["", "<details><summary>The plans</summary>", ""]
    for plan in last.plans:
        lines += ["```", _short(plan.statement, 400), plan.text, "```", ""]
    lines.append("</details>")
    unanswered = sum(s.unanswered for s in sizes)
    lines += [
        "",
        f"DMs answered exactly once: every one ({unanswered} not)."
        if not unanswered
        else f"FAILED: {unanswered} DMs not answered exactly once.",
    ]
    return "\n".join(lines)


def _short(statement: str, width: int = 110) -> str:
    flat = shape(statement).replace("|", "\\|")
    return flat if len(flat) <= width else flat[: width - 1] + "…"


async def main(args: argparse.Namespace) -> int:
    from bot.conversation.sealing import generate_key

    os.environ.setdefault("BENCH_SEALING_KEY", generate_key())
    sizes = [int(s) for s in args.sizes.split(",")]
    measured = [await measure(args.postgres, n, explain=n == sizes[-1]) for n in sizes]
    for plan in measured[-1].plans:
        print(f"\n{plan.statement}\n{plan.text}", file=sys.stderr)
    command = "PYTHONPATH=. .venv/bin/python bench/growth.py --postgres " + args.postgres
    if args.sizes != DEFAULT_SIZES:
        command += f" --sizes {args.sizes}"
    print(report(measured, command))
    return 1 if any(s.unanswered for s in measured) else 0


DEFAULT_SIZES = "1000,10000,100000"

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--postgres", required=True, help="a PostgreSQL URL; a fresh database beside it"
    )
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="pairs, comma-separated")
    sys.exit(asyncio.run(main(parser.parse_args())))
