"""`peerbot run` in a real process, for tests that need the whole program: started with the
settings given, handed over once /healthz answers, stopped as a service manager stops it
(or killed as a lost machine is)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
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
    pid: int = 0
    health: dict[str, Any] = field(default_factory=dict)
    out: bytes = b""
    err: bytes = b""
    returncode: int | None = None

    def kill(self) -> None:
        """SIGKILL, as a lost machine or the kernel's out-of-memory killer ends it: no
        shutdown, no drain, its leases and transactions left as they were."""
        os.kill(self.pid, signal.SIGKILL)


@asynccontextmanager
async def peerbot_running(
    tmp_path: Path, settings: dict[str, str], *, within: float = 30
) -> AsyncIterator[Running]:
    """No platform settings but `settings`; a fresh SQLite file unless they name another
    database, migrated; a free port. After the block, the process has been sent SIGTERM
    (unless it was killed) and its output is kept. Its output is read as it comes, so a
    busy replica's logs never fill the pipe and stall it; `within` bounds the start."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_"))}
    env |= {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'peerbot.db'}",
        "PORT": str(port),
        "PEERBOT_HOST": "127.0.0.1",
        **settings,
    }
    upgrade = await asyncio.create_subprocess_exec(
        str(PEERBOT), "db", "upgrade", env=env, cwd=ROOT, stdout=asyncio.subprocess.DEVNULL
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
    assert process.stdout is not None and process.stderr is not None
    out, err = bytearray(), bytearray()
    readers = [
        asyncio.create_task(_read_all(process.stdout, out)),
        asyncio.create_task(_read_all(process.stderr, err)),
    ]
    running = Running(base=f"http://127.0.0.1:{port}", pid=process.pid)
    try:
        async with aiohttp.ClientSession() as http, asyncio.timeout(within):
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
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
        running.returncode = await process.wait()
        await asyncio.gather(*readers)
        running.out, running.err = bytes(out), bytes(err)


async def _read_all(stream: asyncio.StreamReader, into: bytearray) -> None:
    while chunk := await stream.read(65536):
        into.extend(chunk)
