"""The migrations build exactly the schema the tables declare, on every backend."""

from __future__ import annotations

import asyncio
import os
from asyncio.subprocess import PIPE

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect

from storage.engine import Database
from storage.migrate import upgrade_async
from storage.tables import metadata
from tests.adapters.running import PEERBOT
from tests.conftest import fresh_postgres


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def test_migrated_schema_matches_the_tables(db: Database) -> None:
    async with db.engine.connect() as connection:
        assert await connection.run_sync(_diff) == []


async def test_upgrade_twice_changes_nothing(db: Database, database_url: str) -> None:
    await upgrade_async(database_url)
    async with db.engine.connect() as connection:
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert {"outbox", "person", "role", "network", "supportresource"} <= tables
    assert "alembic_version" in tables


async def test_replicas_upgrading_a_new_database_together_all_succeed() -> None:
    """A deployment may start every replica with `peerbot db upgrade` first: one migrates,
    the others wait for it and find nothing left to do."""
    async with fresh_postgres() as url:
        env = {**os.environ, "DATABASE_URL": url.replace("+asyncpg", "")}
        upgrades = [
            await asyncio.create_subprocess_exec(
                str(PEERBOT), "db", "upgrade", env=env, stdout=PIPE, stderr=PIPE
            )
            for _ in range(3)
        ]
        outputs = [await asyncio.wait_for(u.communicate(), 120) for u in upgrades]
        assert [u.returncode for u in upgrades] == [0, 0, 0], outputs
        db = Database(url)
        try:
            async with db.engine.connect() as connection:
                assert await connection.run_sync(_diff) == []
        finally:
            await db.dispose()
