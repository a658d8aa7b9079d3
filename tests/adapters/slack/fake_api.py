"""A fake Slack Web API on loopback: answers like Slack, records every call, fails on demand."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class Call:
    method: str
    params: dict[str, Any]


@dataclass
class FakeSlackApi:
    calls: list[Call] = field(default_factory=list)
    scripted: dict[str, list[web.Response]] = field(default_factory=dict)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    base_url: str = ""
    socket_url: str = ""

    def fail_next(self, method: str, response: web.Response) -> None:
        """The next call to `method` gets this answer instead of success."""
        self.scripted.setdefault(method, []).append(response)

    def of(self, method: str) -> list[dict[str, Any]]:
        return [c.params for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1) -> list[dict[str, Any]]:
        """Listeners run after the ack, so their calls arrive a moment after the response."""
        async with asyncio.timeout(5), self.changed:
            await self.changed.wait_for(lambda: len(self.of(method)) >= count)
        return self.of(method)

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            params |= await request.json()
        else:
            params |= dict(await request.post())
        for key in ("blocks", "view"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        async with self.changed:
            self.calls.append(Call(method, params))
            self.changed.notify_all()
        if self.scripted.get(method):
            return self.scripted[method].pop(0)
        if method == "apps.connections.open":
            return web.json_response({"ok": True, "url": self.socket_url})
        return web.json_response({"ok": True, **ANSWERS.get(method, {})})


ANSWERS: dict[str, dict[str, Any]] = {
    "auth.test": {"user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1", "team": "Trust"},
    "chat.postMessage": {"channel": "D1", "ts": "1700000000.000100"},
    "conversations.open": {"channel": {"id": "D0NEWDM"}},
}


@asynccontextmanager
async def fake_slack_api() -> AsyncIterator[FakeSlackApi]:
    fake = FakeSlackApi()
    app = web.Application()
    app.router.add_post("/api/{method}", fake._handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    fake.base_url = str(server.make_url("/api/"))
    try:
        yield fake
    finally:
        await server.close()
