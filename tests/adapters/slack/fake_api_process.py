"""The fake Slack Web API of fake_api.py in a process of its own, for tests that run peerbot
as several real processes: it answers them all without sharing the event loop of the test
that drives them, and is asked afterwards for everything it was sent.

`python -m tests.adapters.slack.fake_api_process PORT` serves it (each person with a DM of
their own) and prints `ready`. Besides Slack's methods it answers, for the test alone:
- GET /_calls?since=N: every call from the N-th on, in order, as {method, params};
- POST /_hold?after=N: the chat.postMessage that comes after N more (from any replica) is
  posted (history shows it) but not answered until POST /_release, so the replica that
  sent it, killed meanwhile, has sent a message whose outcome it never heard; GET /_held
  names the outbox key held and the bot token of the replica that sent it.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tests.adapters.slack.fake_api import Call, FakeSlackApi, routed
from tests.adapters.test_cli import ROOT, free_port


@dataclass
class Holding:
    after: int | None = None
    """How many posts go before the one held; None when none is to be."""
    held: list[tuple[str, str]] = field(default_factory=list)
    """The outbox key and sender's token of each post not answered yet."""
    released: asyncio.Event = field(default_factory=asyncio.Event)


async def serve(port: int) -> None:
    base = f"http://127.0.0.1:{port}"
    fake = FakeSlackApi(base_url=f"{base}/api/", dm_per_person=True)
    holding = Holding()

    @web.middleware
    async def held_after_posting(
        request: web.Request, handler: web.RequestHandler
    ) -> web.StreamResponse:
        response = await handler(request)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if request.match_info.get("method") != "chat.postMessage" or holding.after is None:
            return response
        if holding.after > 0:
            holding.after -= 1
            return response
        holding.after = None
        key = (await request.json()).get("metadata", {}).get("event_payload", {}).get("key")
        holding.held.append((str(key), token))
        await holding.released.wait()
        holding.held.remove((str(key), token))
        return response

    async def calls(request: web.Request) -> web.Response:
        since = int(request.query.get("since", "0"))
        found = [{"method": c.method, "params": c.params} for c in fake.calls[since:]]
        return web.json_response(text=json.dumps(found, default=str))

    async def hold(request: web.Request) -> web.Response:
        holding.released.clear()
        holding.after = int(request.query.get("after", "0"))
        return web.json_response({"ok": True})

    async def held(_request: web.Request) -> web.Response:
        return web.json_response({"held": holding.held})

    async def release(_request: web.Request) -> web.Response:
        holding.released.set()
        return web.json_response({"ok": True})

    app = routed(fake, web.Application(middlewares=[held_after_posting]))
    app.router.add_get("/_calls", calls)
    app.router.add_post("/_hold", hold)
    app.router.add_get("/_held", held)
    app.router.add_post("/_release", release)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port, backlog=1024).start()
    print("ready", flush=True)
    await asyncio.Event().wait()


@dataclass
class FakeApiProcess:
    """The running fake, seen from the test: `calls` holds what it was sent, as of the
    last `sync()`."""

    base: str
    http: aiohttp.ClientSession
    calls: list[Call] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        """What SLACK_API_URL is set to."""
        return f"{self.base}/api/"

    async def sync(self) -> list[Call]:
        async with self.http.get(f"{self.base}/_calls", params={"since": len(self.calls)}) as got:
            self.calls += [Call(c["method"], c["params"]) for c in await got.json()]
        return self.calls

    def of(self, method: str) -> list[dict[str, Any]]:
        return [c.params for c in self.calls if c.method == method]

    async def hold_post(self, *, after: int) -> None:
        """Hold the post that comes after `after` more, whichever replica sends it."""
        async with self.http.post(f"{self.base}/_hold", params={"after": str(after)}):
            pass

    async def held(self) -> list[tuple[str, str]]:
        """The outbox key and sender's bot token of each post held unanswered."""
        async with self.http.get(f"{self.base}/_held") as got:
            return [(str(key), str(token)) for key, token in (await got.json())["held"]]

    async def release(self) -> None:
        async with self.http.post(f"{self.base}/_release"):
            pass


@asynccontextmanager
async def fake_slack_api_process() -> AsyncIterator[FakeApiProcess]:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.adapters.slack.fake_api_process",
        str(port),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        assert await asyncio.wait_for(process.stdout.readline(), 30) == b"ready\n"
        async with aiohttp.ClientSession() as http:
            yield FakeApiProcess(base=f"http://127.0.0.1:{port}", http=http)
    finally:
        process.terminate()
        await process.wait()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))
