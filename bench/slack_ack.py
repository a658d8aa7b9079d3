"""How fast peerbot acks Slack: signed slash commands into the real app, a fake Web API behind.

Run from the checkout: PYTHONPATH=. python bench/slack_ack.py [N] (it reuses the tests' fake
Slack Web API). Slack gives 3 seconds to ack. The baseline in the same run is GET /healthz (one
database round trip, no Slack machinery), so the ratio is what signature checking, bolt's
dispatch and our listener add before the ack.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlencode

from aiohttp.test_utils import TestClient, TestServer

from adapters.runtime import open_runtime
from adapters.server import create_app
from bot.organisation.config import load_settings
from bot.organisation.sync import apply_org_file
from storage.migrate import upgrade_async
from tests.adapters.slack.fake_api import FakeSlackApi, fake_slack_api
from tests.adapters.slack.test_endpoint import signed as slack_signed

SECRET = "bench-secret"
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "org.yml"


def signed(body: str | bytes) -> dict[str, str]:
    return slack_signed(body, "application/x-www-form-urlencoded", secret=SECRET)


def support_command(api_url: str) -> str:
    """A signed-to-be `/support`, answered through its response_url on the fake Web API."""
    return urlencode(
        {
            "command": "/support",
            "text": "",
            "team_id": "T1",
            "user_id": "U1",
            "channel_id": "C1",
            "trigger_id": "t",
            "response_url": f"{api_url}response.reply",
        }
    )


async def timed(client: TestClient, method: str, path: str, **kw: object) -> float:
    started = time.perf_counter()
    response = await client.request(method, path, **kw)  # type: ignore[arg-type]
    await response.read()
    assert response.status == 200, response.status
    return time.perf_counter() - started


def summary(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    median = statistics.median(samples)
    worst = ordered[-1]
    return (
        f"{name:30} median {median * 1000:6.1f} ms, p95 {p95 * 1000:6.1f} ms, "
        f"max {worst * 1000:6.1f} ms"
    )


@asynccontextmanager
async def slack_app() -> AsyncIterator[tuple[TestClient, FakeSlackApi]]:
    """The real app on a fresh SQLite file with the example organisation, and the fake
    Slack Web API it talks to."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        await upgrade_async(url.replace("sqlite:", "sqlite+aiosqlite:"))
        async with fake_slack_api() as api:
            settings = load_settings(
                database_url=url,
                SLACK_BOT_TOKEN="xoxb-bench",
                SLACK_SIGNING_SECRET=SECRET,
                SLACK_API_URL=api.base_url,
            )
            runtime = await open_runtime(settings)
            await apply_org_file(runtime.db, EXAMPLE)
            async with TestClient(TestServer(create_app(runtime))) as client:
                yield client, api


async def main(n: int) -> None:
    async with slack_app() as (client, api):
        body = support_command(api.base_url)
        health = [await timed(client, "GET", "/healthz") for _ in range(n)]
        serial = [
            await timed(client, "POST", "/slack/events", data=body, headers=signed(body))
            for _ in range(n)
        ]
        burst = await asyncio.gather(
            *(
                timed(client, "POST", "/slack/events", data=body, headers=signed(body))
                for _ in range(50)
            )
        )
        await api.wait_for("response.reply", n + 50)
    print(summary("baseline GET /healthz", health))
    print(summary("slash command ack, serial", serial))
    print(summary("slash command ack, 50 at once", list(burst)))
    ratio = statistics.median(serial) / statistics.median(health)
    print(f"serial ack / baseline (medians): {ratio:.2f}")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 200))
