"""`peerbot run` with Slack settings: a real process serving /slack/events, no console."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import aiohttp

from tests.adapters.slack.fake_api import fake_slack_api
from tests.adapters.slack.test_endpoint import SECRET, dm, signed
from tests.adapters.test_cli import ROOT, free_port

PEERBOT = Path(sys.executable).parent / "peerbot"


async def test_peerbot_run_serves_slack(tmp_path: Path) -> None:
    port = free_port()
    async with fake_slack_api() as api:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_"))}
        env |= {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'peerbot.db'}",
            "PORT": str(port),
            "PEERBOT_HOST": "127.0.0.1",
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": api.base_url,
        }
        upgrade = await asyncio.create_subprocess_exec(
            str(PEERBOT), "db", "upgrade", env=env, cwd=ROOT
        )
        assert await upgrade.wait() == 0
        process = await asyncio.create_subprocess_exec(
            str(PEERBOT),
            "run",
            env=env,
            cwd=ROOT,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            async with aiohttp.ClientSession() as http:
                base = f"http://127.0.0.1:{port}"
                async with asyncio.timeout(30):
                    while True:
                        try:
                            async with http.get(f"{base}/healthz") as health:
                                if health.status == 200:
                                    break
                        except aiohttp.ClientConnectionError:
                            await asyncio.sleep(0.2)
                body = json.dumps(dm("support", event_id="EvRun"))
                headers = signed(body, "application/json")
                async with http.post(f"{base}/slack/events", data=body, headers=headers) as answer:
                    assert answer.status == 200
            (posted,) = await api.wait_for("chat.postMessage")
            assert posted["text"] == "Support and crisis contacts"
        finally:
            process.terminate()
            out, _ = await process.communicate()
        assert process.returncode == 0
        assert b"Welcome to peerbot" not in out  # Slack configured: no console
