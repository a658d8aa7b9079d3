"""Shared fixtures: a migrated database on SQLite (always) and PostgreSQL (when configured)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest

from bot.organisation.config import async_url
from storage.engine import Database
from storage.migrate import upgrade_async

POSTGRES_ENV = "PEERBOT_TEST_POSTGRES_URL"


@pytest.fixture
async def sqlite_url(tmp_path: Path) -> str:
    url = async_url(f"sqlite:///{tmp_path / 'peerbot.db'}")
    await upgrade_async(url)
    return url


@asynccontextmanager
async def fresh_postgres() -> AsyncIterator[str]:
    """A new, empty PostgreSQL database (its async URL), dropped afterwards; the test skips
    with the reason when no PostgreSQL is configured."""
    admin = os.environ.get(POSTGRES_ENV)
    if not admin:
        pytest.skip(f"PostgreSQL variant: set {POSTGRES_ENV} (.ci/run sets it) to run it")
    name = f"peerbot_test_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    base, _, _ = admin.rpartition("/")
    try:
        yield async_url(f"{base}/{name}")
    finally:
        connection = await asyncpg.connect(admin)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh, migrated PostgreSQL database per test, dropped afterwards."""
    async with fresh_postgres() as url:
        await upgrade_async(url)
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Every storage test runs on both backends; PostgreSQL skips with a reason when unset."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(fixture))


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
async def sqlite_db(sqlite_url: str) -> AsyncIterator[Database]:
    """For tests about a platform or flow, where the backend is not the point."""
    database = Database(sqlite_url)
    yield database
    await database.dispose()
