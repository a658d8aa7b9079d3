"""`peerbot run` in a real process, for tests that need the whole program: started with the
settings given, handed over once /healthz answers, stopped as a service manager stops it."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tests.adapters.test_cli import ROOT, free_port

PEERBOT = Path(sys.executable).parent / "peerbot"


@dataclass
class Running:
    base: str
    health: dict[str, Any] = field(default_factory=dict)
    out: bytes = b""
    err: bytes = b""
    returncode: int | None = None


@asynccontextmanager
async def peerbot_running(tmp_path: Path, settings: dict[str, str]) -> AsyncIterator[Running]:
    """No platform settings but `settings`; a fresh SQLite file, migrated; a free port.
    After the block, the process has been sent SIGTERM and its output is kept."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_"))}
    env |= {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'peerbot.db'}",
        "PORT": str(port),
        "PEERBOT_HOST": "127.0.0.1",
        **settings,
    }
    upgrade = await asyncio.create_subprocess_exec(str(PEERBOT), "db", "upgrade", env=env, cwd=ROOT)
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
    running = Running(base=f"http://127.0.0.1:{port}")
    try:
        async with aiohttp.ClientSession() as http, asyncio.timeout(30):
            while True:
                try:
                    async with http.get(f"{running.base}/healthz") as health:
                        if health.status == 200:
                            running.health = await health.json()
                            break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.2)
        yield running
    finally:
        process.terminate()
        running.out, running.err = await process.communicate()
        running.returncode = process.returncode
