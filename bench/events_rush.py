"""A sign-up rush: 1,000 people press Sign up for one 100-place event, 50 at a time.

Run from the checkout:

    PYTHONPATH=. python bench/events_rush.py [--people 1000] [--places 100] [--concurrency 50]
        [--postgres postgresql://postgres@127.0.0.1:5432/test]

The servers of bench/servers.py, each in its own process: peerbot's real server (real
Settings, migrated database, examples/org.yml applied) and the lean fake Slack Web API. One
event is made in its database, then this process posts, at the same concurrency:
`/support` slash commands (the baseline: an ack and an answer with no writes), then one
signed `block_actions` press of Sign up (`events.signup`, the occurrence id as its value)
from each of `--people` distinct Slack users. Both are acked before any work; the rush's
work (a conditional UPDATE for each place, a queue for the rest) follows the acks, so
the run waits until every press has its sign-up row and its answer.

Then the database is read directly: exactly `--places` going and as many places taken, the
rest waiting, and the waitlist one strict order (positions 1 to N, each once, as
bot.events.places counts them). And the queue is the order people were answered in: each
person told "You're going" has a place, and each told "number N" on the waitlist is number N
in the tables (nobody leaves during the rush, so the number someone was told is where they
still stand). Any other count fails the run (exit status 1). Progress goes to stderr, the
figures to stdout as one Markdown section.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import aiohttp
from sqlalchemy import func
from sqlmodel import col, select

from bench.harness import Poured, Tally, command, database, p, pour, signed, started
from bot.conversation.payloads import encode
from bot.events import places
from bot.events.actions import SIGN_UP
from bot.events.payloads import OccurrenceRef
from bot.organisation.config import async_url
from storage.engine import Database
from storage.events import Occurrence, Signup, SignupStatus
from tests.bot.events.places_fixtures import an_event


def person(n: int) -> str:
    return f"URUSH{n:05d}"


def press(user: str, occurrence: int) -> bytes:
    """Sign up pressed in the person's DM with peerbot, as Slack sends it."""
    interaction = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": user},
        "channel": {"id": f"D0{user}"},
        "trigger_id": f"trig-{user}",
        "actions": [
            {
                "type": "button",
                "action_id": f"{SIGN_UP}#0",
                "block_id": "event",
                "value": encode(OccurrenceRef(occurrence=occurrence)),
            }
        ],
    }
    return urlencode({"payload": json.dumps(interaction)}).encode()


def mix(index: int, body: bytes, every: int, support: bytes) -> list[bytes]:
    """Every `every`th press is followed by a `/support`: someone else asking for help while
    the rush is on, timed with it."""
    return [body, support] if index % every == every - 1 else [body]


def split(poured: Poured, bodies: list[bytes], support: bytes) -> tuple[Poured, Poured]:
    """The presses' acks and the `/support` acks sent among them, apart."""

    def part(is_support: bool) -> Poured:
        chosen = [i for i, body in enumerate(bodies) if (body == support) == is_support]
        return Poured(
            [poured.latencies[i] for i in chosen],
            [i for i in poured.failed if i in chosen],
            poured.seconds,
        )

    return part(False), part(True)


def say(*lines: str) -> None:
    print(*lines, file=sys.stderr)


SLACK_LIMIT = 3000.0
"""Milliseconds Slack waits for an ack."""


def line(name: str, done: Poured) -> str:
    p50, p99 = p(done.latencies, 0.50), p(done.latencies, 0.99)
    met = "met" if p99 < SLACK_LIMIT else "missed"
    return (
        f"| {name} | {len(done.latencies)} | {p50:.1f} ms | {p99:.1f} ms | "
        f"p99 under Slack's {SLACK_LIMIT:,.0f} ms | {met} |"
    )


async def signed_up(db: Database, occurrence: int, people: int) -> float:
    """Seconds until every press has its row (at most two minutes)."""
    began = time.perf_counter()
    deadline = began + float(os.environ.get("BENCH_WAIT", "120"))
    query = select(func.count()).where(col(Signup.occurrence_id) == occurrence)
    while time.perf_counter() < deadline:
        async with db.session(write=False) as session:
            if (await session.exec(query)).one() >= people:
                break
        await asyncio.sleep(0.1)
    return time.perf_counter() - began


NUMBER = re.compile(r"waitlist: number (\d+)\.")


def as_told(said: dict[str, str], rows: Sequence[Signup]) -> list[str]:
    """Where each person was told they stand, against where the tables have them."""
    wrong = []
    for row in rows:
        text = said.get(f"D0{row.user_id}", "")
        number = NUMBER.search(text)
        if row.status == SignupStatus.GOING and not text.startswith("You're going"):
            wrong.append(f"{row.user_id} has a place but was told {text[:40]!r}")
        if row.status == SignupStatus.WAITING and number is None:
            wrong.append(f"{row.user_id} is waiting but was told {text[:40]!r}")
    return wrong


async def checked(
    db: Database, occurrence: int, people: int, capacity: int, said: dict[str, str]
) -> list[str]:
    """What is wrong with the places given and the queue, read from the tables, and with
    what each person was told."""
    async with db.session(write=False) as session:
        date = (
            await session.exec(select(Occurrence).where(col(Occurrence.id) == occurrence))
        ).one()
        rows = (
            await session.exec(select(Signup).where(col(Signup.occurrence_id) == occurrence))
        ).all()
        queue = sorted(
            (r for r in rows if r.status == SignupStatus.WAITING), key=lambda r: (r.queued_at, r.id)
        )
        told = [await places.position(session, r) for r in queue]
    numbers = [NUMBER.search(said.get(f"D0{r.user_id}", "")) for r in queue]
    as_answered = [int(n.group(1)) if n else 0 for n in numbers] == told
    statuses = Counter(r.status for r in rows)
    going = statuses[SignupStatus.GOING]
    say(
        f"\nplaces given: {going} going, {date.taken} taken (capacity {capacity}); "
        f"{len(queue)} waiting; sign-up rows {len(rows)}, distinct people "
        f"{len({r.user_id for r in rows})}; statuses {dict(statuses)}"
    )
    in_order = told == list(range(1, len(queue) + 1))
    last_in = max((r.queued_at for r in rows if r.status == SignupStatus.GOING), default=None)
    overtaken = sum(1 for r in queue if last_in is not None and r.queued_at < last_in)
    say(
        f"waitlist: positions 1..{len(queue)} each once in (queued_at, id) order: {in_order}; "
        f"waiting people who pressed before the last one given a place: {overtaken}"
    )
    say(
        f"waitlist: each waiting person's number as they were told it is where they stand: "
        f"{as_answered}"
    )
    problems = as_told(said, rows)
    if going != capacity or date.taken != capacity:
        problems.append(f"{going} going and {date.taken} taken, not {capacity}")
    if len(queue) != people - capacity or len(rows) != people:
        problems.append(f"{len(queue)} waiting of {len(rows)} rows, not {people - capacity}")
    if not in_order:
        problems.append("the waitlist positions are not 1..N each once")
    if not as_answered:
        problems.append("the waitlist is not in the order people were told their numbers")
    return problems


async def main(args: argparse.Namespace) -> int:
    from bot.conversation.sealing import generate_key

    os.environ.setdefault("BENCH_SEALING_KEY", generate_key())
    users = [person(n) for n in range(1, args.people + 1)]
    async with (
        database(args.postgres) as db_url,
        started("fake-api") as api,
        started("peerbot", f"{api.url}/api/", db_url) as peerbot,
    ):
        db = Database(async_url(db_url))
        try:
            starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
            occurrence = await an_event(db, capacity=args.places, starts=starts)
            connector = aiohttp.TCPConnector(limit=args.concurrency)
            async with aiohttp.ClientSession(connector=connector) as http:
                support = command("/support", user="U1", api=f"{api.url}/api/", tag="reply").body
                width = args.concurrency
                await pour(http, peerbot.url, [support] * width, width, signed)  # warm up
                baseline = await pour(http, peerbot.url, [support] * args.people, width, signed)
                bodies = [press(user, occurrence) for user in users]
                every = max(1, args.people // args.support_during)
                mixed = [b for i, body in enumerate(bodies) for b in mix(i, body, every, support)]
                poured = await pour(http, peerbot.url, mixed, width, signed)
                rush, during = split(poured, mixed, support)
                worked = await signed_up(db, occurrence, args.people)
                answers = await Tally(Counter(f"D0{user}" for user in users)).settled(http, api.url)
                async with http.get(f"{api.url}/said") as response:
                    said = await response.json()
            problems = await checked(db, occurrence, args.people, args.places, said)
        finally:
            await db.dispose()
    whole = rush.seconds + worked
    answered = args.people - answers.lost - answers.doubled
    refused = len(baseline.failed) + len(rush.failed) + len(during.failed)
    if refused:
        problems.append(f"{refused} requests not acked with a 200")
    if answered != args.people:
        problems.append(f"{args.people - answered} presses not answered exactly once")
    for problem in problems:
        say(f"FAILED: {problem}")
    print(section(args, baseline, rush, during, whole, answered, problems))
    return 1 if problems else 0


def section(
    args: argparse.Namespace,
    baseline: Poured,
    rush: Poured,
    during: Poured,
    whole: float,
    answered: int,
    problems: list[str],
) -> str:
    backend = "PostgreSQL" if args.postgres else "SQLite"
    command = "PYTHONPATH=. .venv/bin/python bench/events_rush.py" + (
        f" --postgres {args.postgres}" if args.postgres else ""
    )
    ratios = [f"{p(rush.latencies, q) / p(baseline.latencies, q):.2f}" for q in (0.50, 0.99)]
    return "\n".join(
        [
            "## Sign-up rush (`bench/events_rush.py`)",
            "",
            f"{args.people:,} Slack users each press Sign up once for one {args.places}-place "
            f"event with a waitlist, {args.concurrency} at a time, into the real server on "
            f"{backend}; the baseline is {args.people:,} `/support` commands sent just before, "
            "and more sent among the presses time what the rush costs everyone else. Then the "
            "places, the waitlist's order and each person's answer are checked in the tables "
            "(any other count fails the run).",
            "",
            f"Command: `{command}`",
            "",
            "| request | n | p50 ack | p99 ack | target | |",
            "|---|---|---|---|---|---|",
            line("`/support` (baseline)", baseline),
            line("Sign up press (the rush)", rush),
            line("`/support` among the rush", during),
            "",
            f"Sign up / `/support`: median {ratios[0]}, p99 {ratios[1]}. Every press signed up "
            f"{whole:.1f} s after the first was sent ({args.people / whole:.0f} sign-ups/s); "
            f"{answered:,} of {args.people:,} presses answered exactly once; places and "
            "waitlist: "
            + (
                f"{len(problems)} wrong, the first: " + "; ".join(problems[:3])
                if problems
                else f"exactly {args.places} given, the rest "
                "queued in one strict order, as each was told"
            ),
        ]
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--places", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--support-during", type=int, default=100, help="`/support` commands sent among the rush"
    )
    parser.add_argument("--postgres", help="a PostgreSQL URL; SQLite when left out")
    sys.exit(asyncio.run(main(parser.parse_args())))
