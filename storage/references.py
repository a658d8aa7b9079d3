"""Conversation references: where each person is reached on each platform, to message them."""

from __future__ import annotations

from collections.abc import Collection, Mapping
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


Person = tuple[str, str, str]
"""(platform, tenant, user_id)"""


async def references_for(
    session: AsyncSession, people: Collection[Person]
) -> dict[Person, dict[str, Any] | None]:
    """Each person's reference on their platform, in one query for them all (a round's
    sends in flight together). Without a tenant (someone named in the org file) any of
    theirs will do, the one made without a tenant first: a user id names one person on
    its platform."""
    query = select(ConversationReference).where(
        col(ConversationReference.platform).in_({p for p, _, _ in people}),
        col(ConversationReference.user_id).in_({u for _, _, u in people}),
    )
    by_person: dict[tuple[str, str], list[ConversationReference]] = {}
    for row in (await session.exec(query.order_by(col(ConversationReference.tenant)))).all():
        by_person.setdefault((row.platform, row.user_id), []).append(row)
    found: dict[Person, dict[str, Any] | None] = {}
    for platform, tenant, user_id in people:
        theirs = by_person.get((platform, user_id), [])
        exact = [r for r in theirs if r.tenant == tenant]
        best = exact or ([] if tenant else theirs)
        found[(platform, tenant, user_id)] = dict(best[0].reference) if best else None
    return found


async def remember_all(session: AsyncSession, references: Mapping[Person, dict[str, Any]]) -> None:
    """Keep each person's newest reference, all in one statement."""
    if not references:
        return
    statement = upsert(session, ConversationReference).values(
        [
            {"platform": p, "tenant": t, "user_id": u, "reference": reference}
            for (p, t, u), reference in references.items()
        ]
    )
    await session.exec(
        statement.on_conflict_do_update(
            index_elements=["platform", "tenant", "user_id"],
            set_={"reference": statement.excluded.reference},
        )
    )
