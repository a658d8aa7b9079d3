"""Another process holding the SQLite file's write lock (a backup, an admin's shell)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from adapters.runtime import Runtime, sqlite_path


@asynccontextmanager
async def locked(runtime: Runtime) -> AsyncIterator[None]:
    """Taken in a thread: it may wait for peerbot's own writes, which need the event loop."""
    path = sqlite_path(runtime.settings.database_url)
    assert path is not None
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        await asyncio.to_thread(other.execute, "BEGIN EXCLUSIVE")
        yield
        other.execute("COMMIT")
    finally:
        other.close()
