"""`peerbot run` with Slack settings: a real process serving /slack/events, no console, and
logs as JSON lines (its stderr is no terminal)."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp

from tests.adapters.running import peerbot_running
from tests.adapters.slack.fake_api import fake_slack_api
from tests.adapters.slack.test_endpoint import SECRET, dm, signed


async def test_peerbot_run_serves_slack(tmp_path: Path) -> None:
    async with fake_slack_api() as api:
        settings = {
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": api.base_url,
        }
        async with peerbot_running(tmp_path, settings) as running:
            body = json.dumps(dm("support", event_id="EvRun"))
            headers = signed(body, "application/json")
            async with aiohttp.ClientSession() as http:
                url = f"{running.base}/slack/events"
                async with http.post(url, data=body, headers=headers) as answer:
                    assert answer.status == 200
            (posted,) = await api.wait_for("chat.postMessage")
            assert posted["text"] == "Support and crisis contacts"
    assert running.returncode == 0
    assert b"Welcome to peerbot" not in running.out  # Slack configured: no console
    logged = [json.loads(line) for line in running.err.decode().splitlines()]  # JSON lines
    assert all({"time", "level", "logger", "message"} <= set(line) for line in logged)
    said = {(line["logger"], line["message"]) for line in logged}
    assert ("adapters.runtime", "started: platforms slack") in said
