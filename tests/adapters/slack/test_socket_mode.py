"""Socket Mode against a fake Slack WebSocket server: events in, acks back, reconnection."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestClient, TestServer

from adapters.runtime import open_runtime
from adapters.server import create_app
from bot.organisation.config import load_settings
from tests.adapters.slack.fake_api import FakeSlackApi, fake_slack_api
from tests.adapters.slack.test_endpoint import dm
from tests.fakes import FakeClock


@dataclass
class FakeSocketServer:
    """Slack's side of a Socket Mode connection: says hello, sends envelopes, reads acks."""

    connections: asyncio.Queue[web.WebSocketResponse] = field(default_factory=asyncio.Queue)
    acks: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json({"type": "hello", "num_connections": 1, "debug_info": {}})
        await self.connections.put(socket)
        async for msg in socket:
            if msg.type == WSMsgType.TEXT:
                await self.acks.put(json.loads(msg.data))
        return socket


@pytest.fixture
async def socket_server() -> AsyncIterator[tuple[FakeSocketServer, str]]:
    fake = FakeSocketServer()
    app = web.Application()
    app.router.add_get("/link", fake.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield fake, str(server.make_url("/link")).replace("http://", "ws://")
    await server.close()


@asynccontextmanager
async def socket_app(sqlite_url: str, url: str) -> AsyncIterator[tuple[FakeSlackApi, TestClient]]:
    async with fake_slack_api() as api:
        api.socket_url = url
        settings = load_settings(
            database_url=sqlite_url.replace("+aiosqlite", ""),
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_APP_TOKEN="xapp-test",
            SLACK_API_URL=api.base_url,
        )
        runtime = await open_runtime(settings, clock=FakeClock())
        async with TestClient(TestServer(create_app(runtime))) as client:
            yield api, client


async def test_events_arrive_over_socket_mode_and_are_acked(
    sqlite_url: str, socket_server: tuple[FakeSocketServer, str]
) -> None:
    fake_socket, url = socket_server
    async with socket_app(sqlite_url, url) as (api, client):
        assert (await client.post("/slack/events", data=b"{}")).status == 404  # no HTTP route
        socket = await asyncio.wait_for(fake_socket.connections.get(), 10)
        await send_event(socket, "env-1", dm("support", event_id="EvSock"))
        assert (await asyncio.wait_for(fake_socket.acks.get(), 10))["envelope_id"] == "env-1"
        (posted,) = await api.wait_for("chat.postMessage")
        assert posted["channel"] == "D1" and posted["text"] == "Support and crisis contacts"

        await socket.close()  # Slack drops the connection, as it does every few hours
        again = await asyncio.wait_for(fake_socket.connections.get(), 15)
        await send_event(again, "env-2", dm("help", event_id="EvSock2"))
        assert (await asyncio.wait_for(fake_socket.acks.get(), 10))["envelope_id"] == "env-2"
        await wait_posts(api, 2)
    assert len(api.of("apps.connections.open")) >= 2  # a fresh URL asked for on reconnect


async def test_a_payload_not_shaped_like_slacks_is_dropped_in_socket_mode_too(
    sqlite_url: str, socket_server: tuple[FakeSocketServer, str], caplog: pytest.LogCaptureFixture
) -> None:
    fake_socket, url = socket_server
    async with socket_app(sqlite_url, url) as (api, _client):
        socket = await asyncio.wait_for(fake_socket.connections.get(), 10)
        for n, event in enumerate(["message", None, {"type": "message", "user": ["U1"]}]):
            await send_event(socket, f"env-bad-{n}", {**dm("support", f"EvBad{n}"), "event": event})
            assert (await asyncio.wait_for(fake_socket.acks.get(), 10))["envelope_id"] == (
                f"env-bad-{n}"
            )
        await send_event(socket, "env-good", dm("support", event_id="EvGood"))
        assert (await asyncio.wait_for(fake_socket.acks.get(), 10))["envelope_id"] == "env-good"
        (posted,) = await api.wait_for("chat.postMessage")
        assert posted["text"] == "Support and crisis contacts"
    trouble = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert trouble == []
    assert "slack: socket mode payload dropped" in caplog.text


async def send_event(socket: web.WebSocketResponse, envelope: str, payload: dict[str, Any]) -> None:
    await socket.send_json(
        {
            "envelope_id": envelope,
            "type": "events_api",
            "payload": payload,
            "accepts_response_payload": False,
            "retry_attempt": 0,
            "retry_reason": "",
        }
    )


async def wait_posts(api: FakeSlackApi, count: int) -> None:
    posts = await api.wait_for("chat.postMessage", count)
    assert posts[-1]["text"].startswith("Hello. I'm peerbot.")
