"""Insert-unless-present on either backend: the one primitive behind every dedupe key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession


async def insert_new(session: AsyncSession, table: type[SQLModel], values: dict[str, Any]) -> bool:
    """Insert the row unless a unique key already holds it; True when it was new.

    Atomic in the database (ON CONFLICT DO NOTHING), so two replicas racing on the
    same key cannot both win.
    """
    result = await session.exec(insert(session)(table).values(**values).on_conflict_do_nothing())
    return bool(result.rowcount)


def insert(session: AsyncSession) -> Callable[..., Any]:
    """The backend's own INSERT, the one with ON CONFLICT."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    return postgresql.insert if dialect == "postgresql" else sqlite.insert
