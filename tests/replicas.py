"""Replicas ticking at the same moment, each its own OS process with its own connections
(see tests/tick_process.py): how many messages each queued."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


async def tick_at_once(url: str, at: datetime, source: str, *, replicas: int = 2) -> list[int]:
    """Start the replicas, wait until each is connected, then let them all tick at once."""
    started = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.tick_process",
            url,
            at.isoformat(),
            source,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        for _ in range(replicas)
    ]
    for replica in started:
        assert replica.stdout is not None
        assert await asyncio.wait_for(replica.stdout.readline(), 60) == b"ready\n"
    for replica in started:  # all connected and waiting: go
        assert replica.stdin is not None
        replica.stdin.write(b"go\n")
        await replica.stdin.drain()
    outputs = [await asyncio.wait_for(r.communicate(), 120) for r in started]
    assert [r.returncode for r in started] == [0] * replicas
    return [int(out.strip()) for out, _ in outputs]
