"""A fake Bot Framework connector on loopback: answers like Teams' service, records every send,
reply, update and delete, and fails on demand (a 429 with Retry-After, a 403) or keeps a call
waiting for its answer, as Microsoft sometimes does. Like Teams, it refuses a message over
about 28 KB with a 413."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.adapters.teams.cards import cards_in, problems

MESSAGE_LIMIT = 28_000
"""Bytes of an activity Teams takes; more is refused as MessageSizeTooBig."""
TOO_BIG = {"error": {"code": "MessageSizeTooBig", "message": "Message size too big"}}


@dataclass
class Call:
    """`kind`: send (a new message), reply, update, delete or create (a conversation)."""

    kind: str
    conversation: str
    activity_id: str
    body: dict[str, Any]
    authorization: str
    answered: str = ""
    """The id the connector gave a new message, for updating it later."""


@dataclass
class FakeConnector:
    calls: list[Call] = field(default_factory=list)
    scripted: list[tuple[str, web.Response]] = field(default_factory=list)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    url: str = ""
    numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    invalid: list[str] = field(default_factory=list)
    """What was wrong with any card peerbot sent, under the Adaptive Card 1.5 schema, or
    with the size of what it sent."""
    hangs: list[str] = field(default_factory=list)
    """Kinds of call whose next one is kept waiting (see `hang_next`)."""
    hanging: int = 0
    """Calls being kept waiting now."""
    released: asyncio.Event = field(default_factory=asyncio.Event)

    def fail_next(self, kind: str, status: int, **headers: str) -> None:
        """The next call of `kind` gets this answer instead of success."""
        body = {"error": {"code": "Failed", "message": f"HTTP {status}"}}
        self.scripted.append((kind, web.json_response(body, status=status, headers=headers)))

    def hang_next(self, kind: str) -> None:
        """The next call of `kind` is recorded as it arrives, then kept waiting for its
        answer until `release()` (or the end of the test): Microsoft slow to answer."""
        self.hangs.append(kind)

    def release(self) -> None:
        """Every call kept waiting is answered now (as it would have been), and none more
        is kept: whoever called may well have given up on it by then."""
        self.released.set()

    def of(self, kind: str, conversation: str | None = None) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.kind == kind and (conversation is None or c.conversation == conversation)
        ]

    def messages(self, conversation: str | None = None) -> list[Call]:
        """Everything that put words in a conversation: new messages, replies, updates."""
        return [
            c
            for c in self.calls
            if c.kind in {"send", "reply", "update"}
            and (conversation is None or c.conversation == conversation)
        ]

    async def wait_for(
        self, kind: str, count: int = 1, conversation: str | None = None
    ) -> list[Call]:
        """Messages are sent after the activity's 200, so they arrive a moment later."""
        async with asyncio.timeout(5), self.changed:
            await self.changed.wait_for(lambda: len(self.of(kind, conversation)) >= count)
        return self.of(kind, conversation)

    async def _record(self, kind: str, request: web.Request) -> web.Response:
        raw = await request.read()
        body = json.loads(raw) if raw else {}
        call = Call(
            kind=kind,
            conversation=request.match_info.get("conversation", ""),
            activity_id=request.match_info.get("activity", ""),
            body=body,
            authorization=request.headers.get("Authorization", ""),
        )
        self.invalid += [p for card in cards_in(body) for p in problems(card)]
        scripted = next((n for n, (k, _a) in enumerate(self.scripted) if k == kind), None)
        answer = self.scripted.pop(scripted)[1] if scripted is not None else self._ok(call)
        if len(raw) > MESSAGE_LIMIT:
            self.invalid.append(f"{kind}: {len(raw)} bytes, over Teams' {MESSAGE_LIMIT}")
            answer = web.json_response(TOO_BIG, status=413)
        hang = kind in self.hangs and not self.released.is_set()
        if hang:
            self.hangs.remove(kind)
            self.hanging += 1
        async with self.changed:
            self.calls.append(call)
            self.changed.notify_all()
        if hang:
            try:
                await self.released.wait()
            finally:
                self.hanging -= 1
        return answer

    def _ok(self, call: Call) -> web.Response:
        if call.kind == "create":
            member = call.body["members"][0]["id"]
            return web.json_response({"id": f"a:opened-{member}", "activityId": ""})
        if call.kind == "update":
            return web.json_response({"id": call.activity_id})
        if call.kind == "delete":
            return web.Response(status=200)
        call.answered = f"activity-{next(self.numbers)}"
        return web.json_response({"id": call.answered})

    async def create(self, request: web.Request) -> web.Response:
        return await self._record("create", request)

    async def send(self, request: web.Request) -> web.Response:
        return await self._record("send", request)

    async def reply(self, request: web.Request) -> web.Response:
        return await self._record("reply", request)

    async def update(self, request: web.Request) -> web.Response:
        return await self._record("update", request)

    async def delete(self, request: web.Request) -> web.Response:
        return await self._record("delete", request)


@asynccontextmanager
async def fake_connector() -> AsyncIterator[FakeConnector]:
    fake = FakeConnector()
    app = web.Application()
    app.router.add_post("/v3/conversations", fake.create)
    app.router.add_post("/v3/conversations/{conversation}/activities", fake.send)
    app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", fake.reply)
    app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", fake.update)
    app.router.add_delete("/v3/conversations/{conversation}/activities/{activity}", fake.delete)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    fake.url = str(server.make_url("/"))
    try:
        yield fake
    finally:
        fake.release()  # a call still kept waiting ends, so the server can close
        await server.close()
