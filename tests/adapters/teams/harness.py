"""The whole app on loopback for the Teams tests: the real /api/messages, a real database, a
fake Bot Framework connector as every activity's serviceUrl."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from adapters.runtime import Runtime, open_runtime
from adapters.server import create_app
from bot.conversation.outbox import DeliveryWorker
from bot.conversation.router import Feature, Router
from bot.organisation.config import load_settings
from bot.organisation.sync import apply_org_file
from tests.adapters.teams.activities import TENANT
from tests.adapters.teams.cards import valid_cards
from tests.adapters.teams.fake_connector import FakeConnector, fake_connector
from tests.fakes import FakeClock

ORG = Path(__file__).with_name("org.yml")
PUBLIC = "https://peerbot.example.nhs.uk"


@dataclass
class Teams:
    client: TestClient
    connector: FakeConnector
    runtime: Runtime
    token: str = ""
    """The Authorization header sent with every activity (empty: authentication is off)."""

    @property
    def url(self) -> str:
        """The serviceUrl of every activity: the fake connector."""
        return self.connector.url

    async def post(self, activity: dict[str, Any], **headers: str) -> ClientResponse:
        sent = {"Authorization": self.token} if self.token else {}
        return await self.client.post("/api/messages", json=activity, headers=sent | headers)

    async def invoke(self, activity: dict[str, Any]) -> Any:
        """An invoke's answer, from the HTTP response, any card in it checked."""
        response = await self.post(activity)
        assert response.status == 200, await response.text()
        answer = await response.json() if response.content_length else None
        valid_cards(answer)
        return answer

    async def delivered(self) -> None:
        """Everything queued so far, sent: the background worker finishes what it holds,
        then one pass by hand sends whatever it had not yet taken."""
        runtime = self.runtime
        assert runtime.worker is not None
        await runtime.worker.stop()
        await DeliveryWorker(
            runtime.db, runtime.senders, runtime.clock, sealer=runtime.sealer
        ).run_once()


@asynccontextmanager
async def serve(
    database_url: str,
    *,
    extra: Feature | None = None,
    settings: dict[str, str] | None = None,
    credentials: Any = None,
    token: str = "",
) -> AsyncIterator[Teams]:
    """peerbot with Teams on: authentication off unless `settings` give an app id (and
    `credentials` peerbot's own outbound token)."""
    async with fake_connector() as connector:
        given = {
            "database_url": database_url.replace("+aiosqlite", "").replace("+asyncpg", ""),
            "MICROSOFT_APP_ID": "",
            "MICROSOFT_APP_TENANT_ID": TENANT,
            "PEERBOT_TEAMS_SERVICE_URL": connector.url,
            "PEERBOT_PUBLIC_URL": PUBLIC,
            **(settings or {}),
        }
        runtime = await open_runtime(load_settings(**given), clock=FakeClock())
        if extra is not None:
            real = runtime.router
            runtime.router = Router([*real.features, extra], fallback=real._fallback)
        await apply_org_file(runtime.db, ORG)
        app = create_app(runtime, teams_credentials=credentials)
        async with TestClient(TestServer(app)) as client:
            yield Teams(client=client, connector=connector, runtime=runtime, token=token)
        # every card peerbot sent, under the 1.5 schema, in messages Teams takes
        assert connector.invalid == [], connector.invalid
