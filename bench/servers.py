"""The Slack benchmarks' servers, each run in a process of its own by bench.harness.started.

    python bench/servers.py fake-api PORT
    python bench/servers.py bare PORT API_URL
    python bench/servers.py peerbot PORT API_URL DATABASE_URL

Nothing heavy is imported at the top: the bare app's resident memory is measured against
peerbot's (bench/memory.py), so its process holds only what a bolt app needs.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

SECRET = "bench-secret"
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "org.yml"
RESPONSE = "response."
"""How a request's response_url ends on the fake API (`.../api/response.KEY`): its answers
are counted by KEY's whole method name, as DM replies are counted by channel."""


@dataclass
class Bucket:
    """One Web API method's rate limit as Slack applies it, per method and per app (every
    token of the app draws on it): a token bucket of `rate` calls a second that holds at
    most `burst`, full at first. A call finding it empty is refused with HTTP 429 and a
    whole number of seconds in `Retry-After` (at least 1), as Slack sends it."""

    rate: float
    burst: float
    tokens: float = -1.0
    at: float = 0.0

    def take(self, now: float) -> int:
        """0 when the call may go (a token taken), else the seconds to wait."""
        if self.tokens < 0:
            self.tokens, self.at = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0
        return max(1, math.ceil((1 - self.tokens) / self.rate))


def limits_of(specs: Sequence[str]) -> dict[str, Bucket]:
    """`method=rate` each: that method limited to `rate` a second, with one second's burst."""
    limits = {}
    for spec in specs:
        method, _, rate = spec.partition("=")
        limits[method] = Bucket(rate=float(rate), burst=float(rate))
    return limits


async def serve_fake_api(port: int, *limits: str) -> None:
    """Answers every Web API method with ok and counts replies: chat.postMessage per
    channel, a response_url's answers per URL (and keeps the last text each channel was
    sent, for a run to check what people were told). Files (a calendar invite) are taken
    as Slack takes them: an upload URL, then the bytes.

    `limits` (`method=rate`) rate-limit those methods (see Bucket). Each person has a DM of
    their own (`D` and their id); an outbox message is recorded by the key peerbot marks it
    with, and conversations.history shows a DM's messages with those marks, so a message
    peerbot is unsure of is found there as on Slack. GET /fanout tells how many keys were
    posted (with `?keys=1`, how often each), how many calls were refused with 429, and
    when the first post was tried and the last one accepted (wall clock)."""
    replies: Counter[str] = Counter()
    said: dict[str, str] = {}
    uploads = iter(range(1, 2**31))
    buckets = limits_of(limits)
    keys: Counter[str] = Counter()
    history: dict[str, list[dict[str, Any]]] = {}
    refused: Counter[str] = Counter()
    first_tried: float | None = None
    last_posted: float | None = None

    async def method(request: web.Request) -> web.Response:
        nonlocal first_tried, last_posted
        name = request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            params |= dict(await request.json())
        else:
            params |= dict(await request.post())
        now = time.time()
        if name == "chat.postMessage" and first_tried is None:
            first_tried = now
        if name in buckets and (wait := buckets[name].take(now)):
            refused[name] += 1
            body = {"ok": False, "error": "ratelimited"}
            return web.json_response(body, status=429, headers={"Retry-After": str(wait)})
        if name == "chat.postMessage" or name.startswith(RESPONSE):
            key = name if name.startswith(RESPONSE) else str(params.get("channel", ""))
            replies[key] += 1
            said[key] = str(params.get("text", ""))
        if name == "chat.postMessage":
            metadata = params.get("metadata")
            if isinstance(metadata, str):
                metadata = json.loads(metadata)
            if isinstance(metadata, dict):
                keys[str(metadata.get("event_payload", {}).get("key"))] += 1
                channel = str(params.get("channel", ""))
                history.setdefault(channel, []).append({"type": "message", "metadata": metadata})
            last_posted = now
        if name == "conversations.open":
            return web.json_response({"ok": True, "channel": {"id": f"D{params.get('users')}"}})
        if name == "conversations.history":
            latest = history.get(str(params.get("channel")), [])[::-1]
            return web.json_response({"ok": True, "messages": latest[: int(params["limit"])]})
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

    async def counts(request: web.Request) -> web.Response:
        """Every key's count; or, given a JSON list of keys, those keys' counts only (what a
        round waits on, without sending the whole run's tally 50 times a second)."""
        if request.method == "POST":
            return web.json_response({key: replies[key] for key in await request.json()})
        return web.json_response(dict(replies))

    async def last_said(_request: web.Request) -> web.Response:
        return web.json_response(said)

    async def fanout(request: web.Request) -> web.Response:
        seen = {
            "distinct": len(keys),
            "refused": sum(refused.values()),
            "first": first_tried,
            "last": last_posted,
        }
        return web.json_response(seen | ({"keys": keys} if request.query.get("keys") else {}))

    app = web.Application(client_max_size=64 * 1024**2)
    app.router.add_post("/api/{method}", method)
    app.router.add_get("/api/{method}", method)  # slack_sdk reads history with GET
    app.router.add_post("/upload/{file_id}", upload)
    app.router.add_route("*", "/counts", counts)
    app.router.add_get("/said", last_said)
    app.router.add_get("/fanout", fanout)
    await _serve(app, port)


async def serve_bare(port: int, api_url: str) -> None:
    """The yardstick: bolt's own verification, an ack, and one Web API call for each kind of
    request: a DM's reply with chat.postMessage, a slash command's or a button's through its
    response_url."""
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    app = AsyncApp(
        client=AsyncWebClient(token="xoxb-bench", base_url=api_url),
        signing_secret=SECRET,
        process_before_response=False,
    )
    anything = re.compile(".+")

    @app.event("message")
    async def reply(event: dict[str, Any], client: AsyncWebClient) -> None:
        await client.chat_postMessage(channel=event["channel"], text="Hello")

    @app.command(anything)
    async def command(ack: Any, respond: Any) -> None:
        await ack()
        await respond(text="Upcoming events", response_type="ephemeral")

    @app.action(anything)
    async def press(ack: Any, respond: Any) -> None:
        await ack()
        await respond(text="An event", response_type="ephemeral", replace_original=False)

    await _serve(app.web_app(path="/slack/events"), port)


async def serve_peerbot(port: int, api_url: str, database_url: str) -> None:
    """peerbot's real server: real Settings, the database migrated, examples/org.yml applied."""
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


SERVERS: dict[str, Callable[..., Coroutine[Any, Any, None]]] = {
    "fake-api": serve_fake_api,
    "bare": serve_bare,
    "peerbot": serve_peerbot,
}

if __name__ == "__main__":
    role, port, *rest = sys.argv[1:]
    asyncio.run(SERVERS[role](int(port), *rest))
