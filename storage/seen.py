"""Inbound deliveries already handled, so a platform's retry never acts twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Field, SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.upsert import insert_new


class SeenEvent(SQLModel, table=True):
    """`key` is the platform's own id for a delivery (a Slack `event_id`)."""

    __tablename__ = "seen_event"
    key: str = Field(primary_key=True, max_length=255)
    seen_at: datetime = Field(index=True)


async def first_time(session: AsyncSession, key: str, *, now: datetime) -> bool:
    """True the first time `key` is offered, on any replica; False for every repeat."""
    return await insert_new(session, SeenEvent, {"key": key, "seen_at": now})


async def forget_before(session: AsyncSession, before: datetime) -> int:
    """Delete records older than any platform retries (Slack's stop within the hour)."""
    result = await session.exec(delete(SeenEvent).where(col(SeenEvent.seen_at) < before))
    return int(result.rowcount)
