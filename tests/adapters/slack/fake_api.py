"""A fake Slack Web API on loopback: answers like Slack, records every call, fails on demand."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class Call:
    method: str
    params: dict[str, Any]


Outage = Callable[[str], web.Response | None]
"""Asked on every call with the method's name: an answer to give instead of success, or None."""


@dataclass
class FakeSlackApi:
    calls: list[Call] = field(default_factory=list)
    scripted: dict[str, list[web.Response]] = field(default_factory=dict)
    outage: Outage | None = None
    posted: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    uploaded: dict[str, bytes] = field(default_factory=dict)
    """Bytes sent to each upload URL files.getUploadURLExternal handed out, by file id."""
    """Messages chat.postMessage accepted, by channel, newest last: what history returns."""
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    base_url: str = ""
    socket_url: str = ""
    dm_per_person: bool = False
    """conversations.open gives each person a DM of their own (`D` and their id), as Slack
    does, rather than the one DM every other test expects."""

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
        for key in ("blocks", "view", "files"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        async with self.changed:
            self.calls.append(Call(method, params))
            self.changed.notify_all()
        if self.scripted.get(method):
            return self.scripted[method].pop(0)
        if self.outage is not None and (answer := self.outage(method)) is not None:
            return answer
        if method == "apps.connections.open":
            return web.json_response({"ok": True, "url": self.socket_url})
        if method == "chat.postMessage":
            self._post(params)
        if method == "files.getUploadURLExternal":
            file_id = f"F{len(self.uploaded) + 1}"
            self.uploaded[file_id] = b""
            url = self.base_url.removesuffix("/api/") + f"/upload/{file_id}"
            return web.json_response({"ok": True, "upload_url": url, "file_id": file_id})
        if method == "files.completeUploadExternal":
            files = params.get("files") or []
            return web.json_response({"ok": True, "files": [{"id": f["id"]} for f in files]})
        if method == "conversations.history":
            return web.json_response({"ok": True, "messages": self._history(params)})
        if method == "conversations.open" and self.dm_per_person:
            return web.json_response({"ok": True, "channel": {"id": f"D{params['users']}"}})
        return web.json_response({"ok": True, **ANSWERS.get(method, {})})

    async def _upload(self, request: web.Request) -> web.Response:
        """Slack's upload URL: takes the file's bytes as they are."""
        self.uploaded[request.match_info["file_id"]] = await request.read()
        return web.Response(text="OK - 1")

    def _post(self, params: dict[str, Any]) -> None:
        message = {"type": "message", "text": params.get("text", "")}
        if isinstance(params.get("metadata"), dict):
            message["metadata"] = params["metadata"]
        self.posted.setdefault(str(params.get("channel")), []).append(message)

    def _history(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Newest first, like Slack; metadata only when asked for, like Slack."""
        limit = int(params.get("limit", 100))
        with_metadata = str(params.get("include_all_metadata")).lower() in {"1", "true"}
        latest = list(reversed(self.posted.get(str(params.get("channel")), [])))[:limit]
        if with_metadata:
            return latest
        return [{k: v for k, v in m.items() if k != "metadata"} for m in latest]


ANSWERS: dict[str, dict[str, Any]] = {
    "auth.test": {"user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1", "team": "Trust"},
    "chat.postMessage": {"channel": "D1", "ts": "1700000000.000100"},
    "conversations.open": {"channel": {"id": "D0NEWDM"}},
}


def routed(fake: FakeSlackApi, app: web.Application) -> web.Application:
    app.router.add_post("/api/{method}", fake._handle)
    app.router.add_get("/api/{method}", fake._handle)  # slack_sdk reads history with GET
    app.router.add_post("/upload/{file_id}", fake._upload)
    return app


@asynccontextmanager
async def fake_slack_api() -> AsyncIterator[FakeSlackApi]:
    fake = FakeSlackApi()
    server = TestServer(routed(fake, web.Application()), host="127.0.0.1")
    await server.start_server()
    fake.base_url = str(server.make_url("/api/"))
    try:
        yield fake
    finally:
        await server.close()
