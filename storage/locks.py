"""One at a time across every replica: a lock held by the database for one transaction."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession


async def alone(session: AsyncSession, name: str) -> None:
    """Wait until no other transaction, on any replica, holds the lock called `name`, then
    hold it until this transaction ends (PostgreSQL's advisory lock: no table, and a
    process that dies lets go with its connection). For work that reads, decides and
    writes many rows, where a unique key alone would turn a race into an error rather
    than a no-op. On SQLite a writing transaction is alone already (BEGIN IMMEDIATE)."""
    if session.bind is None or session.bind.dialect.name != "postgresql":
        return
    await session.exec(select(func.pg_advisory_xact_lock(func.hashtext(name))))
