"""`peerbot run` with Teams on and authentication off: a real process serving /api/messages,
no console, and a loud warning at start and on /healthz."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import aiohttp

from tests.adapters.teams.activities import said
from tests.adapters.teams.fake_connector import fake_connector
from tests.adapters.test_cli import ROOT, free_port

PEERBOT = Path(sys.executable).parent / "peerbot"


async def test_peerbot_run_serves_teams_and_says_authentication_is_off(tmp_path: Path) -> None:
    port = free_port()
    async with fake_connector() as connector:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_"))}
        env |= {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'peerbot.db'}",
            "PORT": str(port),
            "PEERBOT_HOST": "127.0.0.1",
            "MICROSOFT_APP_ID": "",
            "PEERBOT_TEAMS_SERVICE_URL": connector.url,
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
                                    said_there = await health.json()
                                    break
                        except aiohttp.ClientConnectionError:
                            await asyncio.sleep(0.2)
                assert said_there["teams"].startswith("authentication off")
                activity = said(connector.url, "support")
                async with http.post(f"{base}/api/messages", json=activity) as answer:
                    assert answer.status == 200
            (sent,) = await connector.wait_for("send")
            assert sent.body["summary"] == "Support and crisis contacts"
        finally:
            process.terminate()
            out, err = await process.communicate()
        assert process.returncode == 0
        assert b"Welcome to peerbot" not in out  # Teams configured: no console
        assert b"Teams is on with authentication OFF" in err
