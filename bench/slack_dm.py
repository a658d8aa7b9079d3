"""peerbot against a bare slack-bolt app: the same signed DM "help" stream, the same fake Web API.

Run from the checkout:

    PYTHONPATH=. python bench/slack_dm.py [--rounds 5] [--requests 2000] [--concurrency 50]
        [--database postgresql://postgres@127.0.0.1:5432/test]

Without --database peerbot runs on a fresh SQLite file; with a PostgreSQL URL a fresh database
is created beside it and dropped afterwards. Four processes: a lean fake Slack Web API, peerbot's
real server (real Settings, migrated database, examples/org.yml applied), a bare bolt AsyncApp
that only verifies, acks and replies once with chat.postMessage, and this load generator, so no
server shares an event loop with the load. Rounds alternate between the two apps, each round
timed to its last ack (acked/s) and to its last reply (replied/s). Every event has
its own event_id and DM channel, so at the end the fake API can tell whether each got exactly
one reply: a lost or doubled reply fails the run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from tests.adapters.slack.test_endpoint import signed as slack_signed

SECRET = "bench-secret"
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "org.yml"


# --- the three servers, each run as `python bench/slack_dm.py serve-... PORT ...` ------------


async def serve_fake_api(port: int) -> None:
    """Answers every Web API method with ok and counts chat.postMessage per channel (and
    keeps the last text each channel was sent, for a run to check what people were told).
    Files (a calendar invite) are taken as Slack takes them: an upload URL, then the bytes."""
    replies: Counter[str] = Counter()
    said: dict[str, str] = {}
    uploads = iter(range(1, 2**31))

    async def method(request: web.Request) -> web.Response:
        name = request.match_info["method"]
        if name == "chat.postMessage":
            if request.content_type == "application/json":
                params = dict(await request.json())
            else:
                params = dict(await request.post())
            replies[str(params.get("channel", ""))] += 1
            said[str(params.get("channel", ""))] = str(params.get("text", ""))
        else:
            await request.read()
        if name == "files.getUploadURLExternal":
            file_id = f"F{next(uploads)}"
            url = f"http://127.0.0.1:{port}/upload/{file_id}"
            return web.json_response({"ok": True, "upload_url": url, "file_id": file_id})
        if name == "files.completeUploadExternal":
            return web.json_response({"ok": True, "files": [{"id": "F1"}]})
        return web.json_response({"ok": True, "channel": "D1", "ts": "1700000000.000100"})

    async def upload(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text="OK")

    async def counts(_request: web.Request) -> web.Response:
        return web.json_response(dict(replies))

    async def last_said(_request: web.Request) -> web.Response:
        return web.json_response(said)

    app = web.Application()
    app.router.add_post("/api/{method}", method)
    app.router.add_post("/upload/{file_id}", upload)
    app.router.add_get("/counts", counts)
    app.router.add_get("/said", last_said)
    await _serve(app, port)


async def serve_bare(port: int, api_url: str) -> None:
    """The yardstick: bolt's own verification, ack, and one reply per DM."""
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    app = AsyncApp(
        client=AsyncWebClient(token="xoxb-bench", base_url=api_url),
        signing_secret=SECRET,
        process_before_response=False,
    )

    @app.event("message")
    async def reply(event: dict[str, Any], client: AsyncWebClient) -> None:
        await client.chat_postMessage(channel=event["channel"], text="Hello")

    await _serve(app.web_app(path="/slack/events"), port)


async def serve_peerbot(port: int, api_url: str, database_url: str) -> None:
    from adapters.runtime import open_runtime
    from adapters.server import create_app
    from bot.organisation.config import load_settings
    from bot.organisation.sync import apply_org_file
    from storage.migrate import upgrade_async

    settings = load_settings(
        database_url=database_url,
        SLACK_BOT_TOKEN="xoxb-bench",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=api_url,
        PEERBOT_SEALING_KEY=os.environ["BENCH_SEALING_KEY"],
    )
    await upgrade_async(settings.async_database_url)
    runtime = await open_runtime(settings)
    await apply_org_file(runtime.db, EXAMPLE)
    await _serve(create_app(runtime), port)


async def _serve(app: web.Application, port: int) -> None:
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port, backlog=1024).start()
    print("ready", flush=True)
    await asyncio.Event().wait()


# --- the load generator ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def started(name: str, *args: str) -> AsyncIterator[str]:
    """One server in its own process; yields its base URL once it listens."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        f"serve-{name}",
        str(port),
        *args,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PEERBOT_LOG_LEVEL": "WARNING"},
    )
    try:
        assert process.stdout is not None
        if (await process.stdout.readline()).strip() != b"ready":
            raise RuntimeError(f"{name} did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        await process.wait()


def dm_help(event_id: str, channel: str) -> bytes:
    return json.dumps(
        {
            "type": "event_callback",
            "team_id": "T1",
            "api_app_id": "A1",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": {
                "type": "message",
                "channel_type": "im",
                "channel": channel,
                "user": "U1",
                "text": "help",
                "ts": "1700000000.000100",
            },
        }
    ).encode()


def signed(body: bytes) -> dict[str, str]:
    return slack_signed(body, "application/json", secret=SECRET)


@dataclass
class Round:
    per_second: float
    latencies: list[float]
    failed: int
    replied_per_second: float = 0.0


async def drive(http: aiohttp.ClientSession, url: str, channels: list[str], width: int) -> Round:
    """`width` workers post the DMs as fast as the app acks them; a non-200 fails the run
    (Slack would retry it, so it is counted, and its reply is not expected)."""
    bodies = [dm_help(f"Ev{uuid.uuid4().hex}", channel) for channel in channels]
    done = await pour(http, url, bodies, width, signed)
    for index in done.failed:
        channels.remove(json.loads(bodies[index])["event"]["channel"])
    return Round(len(bodies) / done.seconds, done.latencies, len(done.failed))


@dataclass
class Poured:
    latencies: list[float]
    """Each request's time to its ack, in the order of the bodies."""
    failed: list[int]
    """The indexes of the bodies not acked with a 200."""
    seconds: float


async def pour(
    http: aiohttp.ClientSession,
    url: str,
    bodies: list[bytes],
    width: int,
    sign: Callable[[bytes], dict[str, str]],
) -> Poured:
    """`width` workers post `bodies` to the Slack endpoint in turn, each signed as it is
    sent, as fast as the app acks them."""
    queue = iter(enumerate(bodies))
    latencies = [0.0] * len(bodies)
    failed: list[int] = []

    async def worker() -> None:
        for index, body in queue:
            headers = sign(body)
            began = time.perf_counter()
            async with http.post(f"{url}/slack/events", data=body, headers=headers) as response:
                await response.read()
            if response.status != 200:
                failed.append(index)
            latencies[index] = time.perf_counter() - began

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(width)))
    return Poured(latencies, failed, time.perf_counter() - began)


def p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


async def replied(http: aiohttp.ClientSession, api: str, channels: list[str]) -> None:
    """Until every DM of the round has its reply (at most a minute), so a round's backlog
    never runs into the other app's round."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        async with http.get(f"{api}/counts") as response:
            if set(channels) <= set(await response.json()):
                return
        await asyncio.sleep(0.02)


async def settle(http: aiohttp.ClientSession, api: str, expected: set[str]) -> Counter[str]:
    """Wait (at most a minute) for every reply to arrive, then a moment more for any double."""
    deadline = time.monotonic() + 60
    while True:
        async with http.get(f"{api}/counts") as response:
            counts: Counter[str] = Counter(await response.json())
        if expected <= set(counts) or time.monotonic() > deadline:
            await asyncio.sleep(1)
            async with http.get(f"{api}/counts") as response:
                return Counter(await response.json())
        await asyncio.sleep(0.2)


@asynccontextmanager
async def database(url: str | None) -> AsyncIterator[str]:
    """A fresh SQLite file, or a fresh PostgreSQL database beside `url`, gone afterwards."""
    if url is None:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    import asyncpg

    name = f"peerbot_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{url.rpartition('/')[0]}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def main(args: argparse.Namespace) -> int:
    from bot.conversation.sealing import generate_key

    os.environ.setdefault("BENCH_SEALING_KEY", generate_key())
    rounds: dict[str, list[Round]] = {"bare bolt": [], "peerbot": []}
    async with (
        database(args.database) as db_url,
        started("fake-api") as api,
        started("bare", f"{api}/api/") as bare,
        started("peerbot", f"{api}/api/", db_url) as peerbot,
    ):
        connector = aiohttp.TCPConnector(limit=args.concurrency)
        async with aiohttp.ClientSession(connector=connector) as http:
            apps = {"bare bolt": bare, "peerbot": peerbot}
            warm = [f"DWARM{name[0].upper()}{i}" for name in apps for i in range(args.concurrency)]
            expected: set[str] = set()
            for i, url in enumerate(apps.values()):  # first connections, imports, caches
                part = warm[i * args.concurrency : (i + 1) * args.concurrency]
                await drive(http, url, part, args.concurrency)
                expected |= set(part)
            for number in range(args.rounds):
                for name, url in apps.items():
                    channels = [f"D{name[0].upper()}{number}X{i}" for i in range(args.requests)]
                    began = time.perf_counter()
                    done = await drive(http, url, channels, args.concurrency)
                    expected |= set(channels)  # less those not acked with a 200
                    await replied(http, api, channels)
                    done.replied_per_second = len(channels) / (time.perf_counter() - began)
                    rounds[name].append(done)
                    print(
                        f"round {number + 1} {name:9}: {done.per_second:7.0f} acked/s, "
                        f"{done.replied_per_second:7.0f} replied/s"
                        + (f", {done.failed} not acked with 200" if done.failed else "")
                    )
            counts = await settle(http, api, expected)
    lost = len(expected - set(counts))
    doubled = sum(1 for channel in expected if counts.get(channel, 0) > 1)
    stray = len(set(counts) - expected)

    backend = "PostgreSQL" if args.database else "SQLite"
    print(
        f"\n{backend}, {args.rounds} rounds x {args.requests} DMs, concurrency {args.concurrency}"
    )
    print("medians of the rounds; replied/s counts until the round's last reply arrived")
    print("| app | acked/s | replied/s | p50 ack | p99 ack | not 200 |")
    print("|---|---|---|---|---|---|")
    figures = {}
    for name, results in rounds.items():
        rate = statistics.median(r.per_second for r in results)
        p99 = statistics.median(p(r.latencies, 0.99) for r in results)
        p50 = statistics.median(p(r.latencies, 0.50) for r in results)
        answered = statistics.median(r.replied_per_second for r in results)
        figures[name] = (rate, p99, answered)
        failed = sum(r.failed for r in results)
        print(f"| {name} | {rate:.0f} | {answered:.0f} | {p50:.1f} ms | {p99:.1f} ms | {failed} |")
    bare_rate, bare_p99, bare_answered = figures["bare bolt"]
    rate, p99, answered = figures["peerbot"]
    print(f"\nacked/s peerbot/bare: {rate / bare_rate:.2f} (target >= 0.9)")
    print(f"replied/s peerbot/bare: {answered / bare_answered:.2f}")
    print(f"p99 peerbot/bare: {p99 / bare_p99:.2f} (target <= 1.5)")
    print(f"replies: {len(expected)} expected, {lost} lost, {doubled} doubled, {stray} stray")
    refused = sum(r.failed for results in rounds.values() for r in results)
    return 1 if lost or doubled or stray or refused else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].startswith("serve-"):
        role, port, *rest = sys.argv[1:]
        serve: dict[str, Callable[..., Coroutine[Any, Any, None]]] = {
            "serve-fake-api": serve_fake_api,
            "serve-bare": serve_bare,
            "serve-peerbot": serve_peerbot,
        }
        asyncio.run(serve[role](int(port), *rest))
    else:
        parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
        parser.add_argument("--rounds", type=int, default=5)
        parser.add_argument("--requests", type=int, default=2000)
        parser.add_argument("--concurrency", type=int, default=50)
        parser.add_argument("--database", help="a PostgreSQL URL; SQLite when left out")
        sys.exit(asyncio.run(main(parser.parse_args())))
