"""Insert-unless-present on either backend: the one primitive behind every dedupe key."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession


async def insert_new(session: AsyncSession, table: type[SQLModel], values: dict[str, Any]) -> bool:
    """Insert the row unless a unique key already holds it; True when it was new.

    Atomic in the database (ON CONFLICT DO NOTHING), so two replicas racing on the
    same key cannot both win.
    """
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result = await session.exec(insert(table).values(**values).on_conflict_do_nothing())
    return bool(result.rowcount)
