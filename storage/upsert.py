"""Insert-unless-present on either backend: the one primitive behind every dedupe key."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession


def upsert(session: AsyncSession, table: type[SQLModel]) -> postgresql.Insert | sqlite.Insert:
    """An INSERT for this session's backend, the kind that offers ON CONFLICT."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    if dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


async def insert_new(session: AsyncSession, table: type[SQLModel], values: dict[str, Any]) -> bool:
    """Insert the row unless a unique key already holds it; True when it was new.

    Atomic in the database (ON CONFLICT DO NOTHING), so two replicas racing on the
    same key cannot both win.
    """
    result = await session.exec(upsert(session, table).values(**values).on_conflict_do_nothing())
    return bool(result.rowcount)
