"""Alembic, driven from code so `peerbot db upgrade` needs no alembic.ini on disk."""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(async_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", async_url.replace("%", "%%"))
    return config


def upgrade(async_url: str, revision: str = "head") -> None:
    """Apply migrations. Runs Alembic's own event loop, so call it outside a running loop."""
    command.upgrade(alembic_config(async_url), revision)


async def upgrade_async(async_url: str, revision: str = "head") -> None:
    """The same from inside a running loop (the server, tests): Alembic runs in a thread."""
    await asyncio.to_thread(upgrade, async_url, revision)


class MigrationsPending(Exception):
    """The database schema is behind the code: `peerbot db upgrade` fixes it."""


@functools.cache
def code_head() -> str | None:
    """The revision this code needs. Read from the migration scripts once: a readiness
    probe asks every few seconds, and the scripts change only with the code."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


async def check_current(engine: AsyncEngine) -> None:
    """Refuse to start on an old schema rather than fail later mid-conversation (and, asked
    by /readyz, say a replica is not ready while its database is behind)."""
    head = code_head()

    def current(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        revision = await connection.run_sync(current)
    if revision != head:
        raise MigrationsPending(
            f"the database schema is at {revision or 'nothing'}, the code needs {head}: "
            "run `peerbot db upgrade` (make run does it for you)"
        )
