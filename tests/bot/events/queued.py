"""What the events feature has put in the outbox, read back from the real table."""

from __future__ import annotations

from sqlmodel import col, select

from bot.conversation.codec import address_from_json, reply_from_json
from bot.conversation.inbound import Address
from bot.conversation.replies import Reply
from storage.engine import Database
from storage.outbox import OutboxRow


async def queued(db: Database, prefix: str = "events:") -> dict[str, tuple[Address, Reply]]:
    """Each queued message whose key starts with `prefix`: key -> (address, reply)."""
    async with db.session(write=False) as session:
        query = select(OutboxRow).order_by(col(OutboxRow.id))
        rows = (await session.exec(query)).all()
    return {
        row.dedupe_key: (address_from_json(row.address), reply_from_json(row.reply))
        for row in rows
        if row.dedupe_key.startswith(prefix) and row.address is not None and row.reply is not None
    }
