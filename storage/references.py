"""Conversation references: where each person is reached on each platform, to message them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.upsert import upsert


class ConversationReference(SQLModel, table=True):
    """The platform's own reference to a person's direct conversation with peerbot (a Slack
    DM channel; for Teams the conversation id and service URL), as JSON.

    Deliberately no timestamps: when a reference was made or last used would tell when
    someone used the bot. `tenant` is empty when a person was named without one (the org
    file gives only platform user ids).
    """

    __tablename__ = "conversation_reference"
    platform: str = Field(primary_key=True, max_length=32)
    tenant: str = Field(primary_key=True, max_length=255)
    user_id: str = Field(primary_key=True, max_length=255)
    reference: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


async def reference_for(
    session: AsyncSession, platform: str, tenant: str, user_id: str
) -> dict[str, Any] | None:
    """The person's reference on this platform. Without a tenant (someone named in the org
    file) any of theirs will do: a user id names one person on its platform."""
    query = select(ConversationReference).where(
        col(ConversationReference.platform) == platform,
        col(ConversationReference.user_id) == user_id,
    )
    if tenant:
        query = query.where(col(ConversationReference.tenant) == tenant)
    rows = (await session.exec(query.order_by(col(ConversationReference.tenant)))).all()
    exact = [r for r in rows if r.tenant == tenant]
    found = exact or rows
    return dict(found[0].reference) if found else None


async def remember(
    session: AsyncSession, platform: str, tenant: str, user_id: str, reference: dict[str, Any]
) -> None:
    """Keep the person's newest reference (a Teams service URL can move), in one statement."""
    statement = upsert(session, ConversationReference).values(
        platform=platform, tenant=tenant, user_id=user_id, reference=reference
    )
    await session.exec(
        statement.on_conflict_do_update(
            index_elements=["platform", "tenant", "user_id"],
            set_={"reference": statement.excluded.reference},
        )
    )
