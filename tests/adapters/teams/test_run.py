"""`peerbot run` with Teams on and authentication off: a real process serving /api/messages,
no console, and a loud warning at start and on /healthz."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from tests.adapters.running import peerbot_running
from tests.adapters.teams.activities import said
from tests.adapters.teams.fake_connector import fake_connector


async def test_peerbot_run_serves_teams_and_says_authentication_is_off(tmp_path: Path) -> None:
    async with fake_connector() as connector:
        settings = {"MICROSOFT_APP_ID": "", "PEERBOT_TEAMS_SERVICE_URL": connector.url}
        async with peerbot_running(tmp_path, settings) as running:
            assert running.health["teams"].startswith("authentication off")
            async with aiohttp.ClientSession() as http:
                url = f"{running.base}/api/messages"
                async with http.post(url, json=said(connector.url, "support")) as answer:
                    assert answer.status == 200
            (sent,) = await connector.wait_for("send")
            assert sent.body["summary"] == "Support and crisis contacts"
    assert running.returncode == 0
    assert b"Welcome to peerbot" not in running.out  # Teams configured: no console
    assert b"Teams is on with authentication OFF" in running.err
