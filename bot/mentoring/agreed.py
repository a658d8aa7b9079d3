"""The senior partner's actions, as both partners see them: what was agreed and how it is
going. This is the loop that makes reverse mentoring change things, so the frontline
partner always sees it."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.replies import Block, FieldItem, Fields, Text
from bot.conversation.sealing import Sealer
from bot.mentoring.private import opened
from storage.mentoring import ActionStatus, PairAction

STATUS = {
    ActionStatus.OPEN: "To do",
    ActionStatus.IN_PROGRESS: "In progress",
    ActionStatus.DONE: "Done",
    ActionStatus.DROPPED: "Dropped",
}
STILL_OPEN = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)
MAX_SHOWN = 20


async def of_pair(session: AsyncSession, pair_id: int) -> list[PairAction]:
    query = select(PairAction).where(col(PairAction.pair_id) == pair_id)
    return list((await session.exec(query.order_by(col(PairAction.id)))).all())


def blocks(actions: list[PairAction], sealer: Sealer | None) -> list[Block]:
    """The actions and their status, newest last; nothing when there are none (or no key
    to open them with)."""
    if not actions or sealer is None:
        return []
    items = []
    for action in actions[-MAX_SHOWN:]:
        status = STATUS.get(ActionStatus(action.status), action.status)
        why = opened(sealer, action.why)
        items.append(
            FieldItem(
                label=opened(sealer, action.text), value=f"{status}: {why}" if why else status
            )
        )
    return [Text(text="Actions agreed"), Fields(items=tuple(items))]
