"""What speaking up costs in Slack: a concern sent and a case opened, before the modal's ack.

Run from the checkout: PYTHONPATH=. python bench/speakup_submit.py [N]. A submitted modal must
be acked with its outcome (the receipt, or field errors), so raising a case (scrypt-hashing the
passphrase, sealing the text, queueing guardian alerts) and opening one (an scrypt check) happen
before the ack, inside Slack's 3 seconds. The baseline in the same run is the /support slash
command ack. The last row is that same ack while 10 case look-ups run at once: scrypt runs in a
thread, so one person's deliberately slow check must not hold up everyone else.
"""

from __future__ import annotations

import asyncio
import json
import re
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlencode

from aiohttp.test_utils import TestClient, TestServer

from adapters.runtime import open_runtime
from adapters.server import create_app
from bench.harness import command, signed
from bench.servers import EXAMPLE, SECRET
from bot.organisation.config import load_settings
from bot.organisation.sync import apply_org_file
from storage.migrate import upgrade_async
from tests.adapters.slack.fake_api import FakeSlackApi, fake_slack_api
from tests.adapters.slack.test_speakup_anonymity import submission
from tests.adapters.slack.test_speakup_casework import filled

RAISE_VIEW = {"callback_id": "speakup.raise", "private_metadata": "{}"}
LOOKUP_VIEW = {"callback_id": "speakup.lookup", "private_metadata": "{}"}


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


def payload(interaction: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(interaction)})


async def post(client: TestClient, body: str) -> float:
    return await timed(client, "POST", "/slack/events", data=body, headers=signed(body))


async def raise_case(client: TestClient, i: int) -> tuple[float, str, str]:
    sent = submission(RAISE_VIEW, "anonymous")
    sent["view"]["id"] = f"V{i}"  # each a different form: a resend would be deduplicated
    sent["user"]["id"] = f"U{i}"  # and a different person: look-ups are rate-limited per person
    body = payload(sent)
    started = time.perf_counter()
    response = await client.post("/slack/events", data=body, headers=signed(body))
    text = await response.text()
    took = time.perf_counter() - started
    code = re.search(r"SU-[2-9A-Z]{4}-[2-9A-Z]{2}", text)
    phrase = re.search(r"((?:[2-9A-Z]{5}-){3}[2-9A-Z]{5})", text)
    assert response.status == 200 and code and phrase, text
    return took, code.group(0), phrase.group(1)


async def main(n: int) -> None:
    async with slack_app() as (client, api):
        support_body = command("/support", user="U1", api=api.base_url, tag="reply").body
        support = [await post(client, support_body) for _ in range(n)]
        raised = [await raise_case(client, i) for i in range(n)]
        lookups = [
            payload(filled(f"U{i}", LOOKUP_VIEW, code=code, passphrase=phrase))
            for i, (_t, code, phrase) in enumerate(raised)
        ]
        opened = [await post(client, body) for body in lookups]
        busy: list[float] = []
        for start in range(0, n - 10, 10):
            checks = [post(client, body) for body in lookups[start : start + 10]]
            *_, ack = await asyncio.gather(*checks, post(client, support_body))
            busy.append(ack)
    print(summary("baseline /support ack", support))
    print(summary("anonymous concern raised", [t for t, _c, _p in raised]))
    print(summary("case opened with passphrase", opened))
    print(summary("/support ack, 10 look-ups at once", busy))
    base = statistics.median(support)
    for name, samples in (
        ("raise / baseline", [t for t, _c, _p in raised]),
        ("open / baseline", opened),
        ("busy ack / baseline", busy),
    ):
        print(f"{name} (medians): {statistics.median(samples) / base:.2f}")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 60))
