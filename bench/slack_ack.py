"""Slack acks: peerbot against a bare slack-bolt app, for a DM, a slash command and a button.

Run from the checkout:

    PYTHONPATH=. .venv/bin/python bench/slack_ack.py [--postgres URL] [--rounds 3]
        [--requests 500] [--concurrency 50]

Four processes (bench/servers.py): a lean fake Slack Web API, a bare bolt AsyncApp that
verifies, acks and makes one Web API call per request, peerbot's real server (real Settings,
migrated database, examples/org.yml and the demo events loaded), and this load generator.
Each round sends `--requests` of one kind to one app at `--concurrency`, alternating apps
and kinds; acked/s is timed to the round's last ack, replied/s to its last reply. SQLite
always; with --postgres also a fresh PostgreSQL database beside the one named (dropped
afterwards). Every request has its own reply key, so a lost or doubled reply fails the run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp
from sqlmodel import col, select

from bench.harness import KINDS, Poured, Server, Tally, ask, database, p, pour, started
from bot.events import demo
from bot.organisation.config import async_url
from storage.engine import Database
from storage.events import Occurrence

ACKED_TARGET = 0.9
P99_TARGET = 1.5
APPS = ("bare bolt", "peerbot")


@dataclass
class Round:
    acked: Poured
    replied_per_second: float

    @property
    def acked_per_second(self) -> float:
        return len(self.acked.latencies) / self.acked.seconds


Rounds = dict[tuple[str, str, str], list[Round]]
"""By (backend, kind, app)."""


async def demo_occurrence(database_url: str) -> int:
    """The demo events loaded as `peerbot demo load` loads them; one of their dates."""
    db = Database(async_url(database_url))
    try:
        async with db.session() as session:
            await demo.load(session, now=datetime.now(UTC))
        async with db.session(write=False) as session:
            return int((await session.exec(select(col(Occurrence.id)))).first() or 0)
    finally:
        await db.dispose()


async def one_round(
    http: aiohttp.ClientSession,
    app: Server,
    api: Server,
    tally: Tally,
    kind: str,
    occurrence: int,
    args: argparse.Namespace,
) -> Round:
    requests = [
        ask(kind, api=f"{api.url}/api/", user=f"U{n % 200:04d}", occurrence=occurrence)
        for n in range(args.requests)
    ]
    began = time.perf_counter()
    poured = await pour(http, app.url, [r.body for r in requests], args.concurrency)
    tally.sent(requests, poured)
    await tally.answered(http, api.url, [r.key for r in requests])
    return Round(poured, len(requests) / (time.perf_counter() - began))


async def backend(
    name: str,
    url: str | None,
    http: aiohttp.ClientSession,
    api: Server,
    bare: Server,
    tally: Tally,
    rounds: Rounds,
    args: argparse.Namespace,
) -> None:
    async with database(url) as db_url, started("peerbot", f"{api.url}/api/", db_url) as peerbot:
        occurrence = await demo_occurrence(db_url)
        apps = {"bare bolt": bare, "peerbot": peerbot}
        for app in apps.values():  # first connections, imports, caches
            for kind in KINDS:
                warm = [
                    ask(kind, api=f"{api.url}/api/", user="UWARM", occurrence=occurrence)
                    for _ in range(args.concurrency)
                ]
                bodies = [w.body for w in warm]
                tally.sent(warm, await pour(http, app.url, bodies, args.concurrency))
        for number in range(args.rounds):
            for kind in KINDS:
                order = APPS if number % 2 == 0 else APPS[::-1]
                for app_name in order:
                    done = await one_round(http, apps[app_name], api, tally, kind, occurrence, args)
                    rounds[name, kind, app_name].append(done)
                    print(
                        f"{name} round {number + 1} {kind:14} {app_name:9}: "
                        f"{done.acked_per_second:6.0f} acked/s, "
                        f"{done.replied_per_second:6.0f} replied/s, "
                        f"p99 {p(done.acked.latencies, 0.99):6.1f} ms"
                        + (f", {len(done.acked.failed)} not 200" if done.acked.failed else ""),
                        file=sys.stderr,
                    )


@dataclass(frozen=True)
class Figures:
    acked: float
    replied: float
    p50: float
    p99: float

    @staticmethod
    def of(results: list[Round]) -> Figures:
        return Figures(
            acked=statistics.median(r.acked_per_second for r in results),
            replied=statistics.median(r.replied_per_second for r in results),
            p50=statistics.median(p(r.acked.latencies, 0.50) for r in results),
            p99=statistics.median(p(r.acked.latencies, 0.99) for r in results),
        )


def report(rounds: Rounds, backends: list[str], args: argparse.Namespace, problems: str) -> str:
    lines = [
        "## Slack acks against bare slack-bolt (`bench/slack_ack.py`)",
        "",
        "Signed Slack requests into peerbot's real server and into a bare slack-bolt app that "
        "only verifies, acks and makes one Web API call, both answering one fake Web API on "
        "loopback, each in its own process: a DM `help` (answered with chat.postMessage), "
        "`/events` (answered through its response_url) and an event's Open button from that "
        "list (a real `block_actions` payload, answered through the message's response_url). "
        f"{args.rounds} alternating rounds of {args.requests} requests per app and kind at "
        f"concurrency {args.concurrency}; medians of the rounds. acked/s runs to a round's last "
        "ack, replied/s to its last reply. Target: peerbot acks at least 0.9 times as many a "
        "second as bare bolt, with a p99 ack at most 1.5 times bare bolt's.",
        "",
        f"Command: `PYTHONPATH=. .venv/bin/python {shlex.join(sys.argv)}`",
        "",
        "| backend | request | acked/s bare / peerbot | ratio | p50 ack bare / peerbot "
        "| p99 ack bare / peerbot | ratio | replied/s bare / peerbot | target |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in backends:
        for kind in KINDS:
            bare = Figures.of(rounds[name, kind, "bare bolt"])
            ours = Figures.of(rounds[name, kind, "peerbot"])
            rate, tail = ours.acked / bare.acked, ours.p99 / bare.p99
            met = rate >= ACKED_TARGET and tail <= P99_TARGET
            lines.append(
                f"| {name} | {kind} | {bare.acked:,.0f} / {ours.acked:,.0f} | {rate:.2f} "
                f"| {bare.p50:.1f} / {ours.p50:.1f} ms | {bare.p99:.1f} / {ours.p99:.1f} ms "
                f"| {tail:.2f} | {bare.replied:,.0f} / {ours.replied:,.0f} "
                f"| {'met' if met else 'missed'} |"
            )
    lines += ["", problems]
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> int:
    from bot.conversation.sealing import generate_key

    os.environ.setdefault("BENCH_SEALING_KEY", generate_key())
    backends = {"SQLite": None} | ({"PostgreSQL": args.postgres} if args.postgres else {})
    rounds: Rounds = defaultdict(list)
    tally = Tally()
    connector = aiohttp.TCPConnector(limit=args.concurrency)
    async with (
        started("fake-api") as api,
        started("bare", f"{api.url}/api/") as bare,
        aiohttp.ClientSession(connector=connector) as http,
    ):
        for name, url in backends.items():
            await backend(name, url, http, api, bare, tally, rounds, args)
        problems = await tally.settled(http, api.url)
    refused = sum(len(r.acked.failed) for results in rounds.values() for r in results)
    said = (
        f"Replies: {sum(tally.expected.values()):,} expected, {problems}; "
        f"{refused} requests not acked with a 200."
    )
    print(report(rounds, list(backends), args, said))
    return 1 if problems or refused else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="a PostgreSQL URL: also run on a database beside it")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    sys.exit(asyncio.run(main(parser.parse_args())))
