"""Conversation references on both backends: one per person and platform, newest kept."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.engine import Database
from storage.references import references_for, remember_all

DM = {"kind": "conversation", "platform": "slack", "tenant": "T1", "channel_id": "D1"}


async def remember(
    session: AsyncSession, platform: str, tenant: str, user_id: str, reference: dict[str, Any]
) -> None:
    await remember_all(session, {(platform, tenant, user_id): reference})


async def reference_for(
    session: AsyncSession, platform: str, tenant: str, user_id: str
) -> dict[str, Any] | None:
    return (await references_for(session, [(platform, tenant, user_id)]))[
        (platform, tenant, user_id)
    ]


async def test_a_reference_is_found_by_platform_tenant_and_user(db: Database) -> None:
    async with db.session() as session:
        await remember(session, "slack", "T1", "U1", DM)
    async with db.session(write=False) as session:
        assert await reference_for(session, "slack", "T1", "U1") == DM
        assert await reference_for(session, "slack", "T2", "U1") is None
        assert await reference_for(session, "teams", "T1", "U1") is None
        assert await reference_for(session, "slack", "", "U1") == DM  # named in the org file


async def test_the_newest_reference_replaces_the_old_one(db: Database) -> None:
    moved = DM | {"channel_id": "D2"}
    async with db.session() as session:
        await remember(session, "slack", "T1", "U1", DM)
    async with db.session() as session:
        await remember(session, "slack", "T1", "U1", moved)
    async with db.session(write=False) as session:
        assert await reference_for(session, "slack", "T1", "U1") == moved


async def test_without_a_tenant_the_reference_made_without_one_comes_first(db: Database) -> None:
    opened = DM | {"tenant": "", "channel_id": "D0"}
    async with db.session() as session:
        await remember(session, "slack", "T1", "U1", DM)
        await remember(session, "slack", "", "U1", opened)
    async with db.session(write=False) as session:
        assert await reference_for(session, "slack", "", "U1") == opened


async def test_no_column_keeps_when_a_reference_was_made_or_used(db: Database) -> None:
    def columns(connection: object) -> set[str]:
        return {c["name"] for c in inspect(connection).get_columns("conversation_reference")}

    async with db.engine.connect() as connection:
        assert await connection.run_sync(columns) == {"platform", "tenant", "user_id", "reference"}


async def test_many_are_kept_and_found_at_once_each_as_for_one(db: Database) -> None:
    people = [("slack", "T1", "U1"), ("slack", "", "U2"), ("teams", "T1", "U1")]
    async with db.session() as session:
        await remember_all(session, {p: DM | {"channel_id": f"D{p[2]}"} for p in people[:2]})
    async with db.session(write=False) as session:
        found = await references_for(session, [*people, ("slack", "", "U1"), ("slack", "T9", "U2")])
    assert found == {
        ("slack", "T1", "U1"): DM | {"channel_id": "DU1"},
        ("slack", "", "U2"): DM | {"channel_id": "DU2"},
        ("teams", "T1", "U1"): None,
        ("slack", "", "U1"): DM | {"channel_id": "DU1"},  # named without a tenant
        ("slack", "T9", "U2"): None,  # made without one, not found for another
    }
