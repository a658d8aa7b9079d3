"""The migrations build exactly the schema the tables declare, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect

from storage.engine import Database
from storage.migrate import upgrade_async
from storage.tables import metadata


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
