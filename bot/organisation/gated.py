"""One action of someone holding a role (a network's lead, a programme's coordinator): run
in its own transaction with its audit rows, and refused for anyone else, the refusal
audited on its own, saying who tried which action and never what they tried to see."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.replies import Reply, say
from bot.conversation.services import Services

Doing = TypeVar("Doing")


class Refused(Exception):
    """Someone without the role tried one of its actions."""


class Gone(Exception):
    """What a button or form names is not there any more (or never was)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Gate:
    """What a role's actions say to someone refused, and to someone whose button names
    something gone; and how a refusal is audited (its row, made at a moment)."""

    refusal: str
    gone: str
    refused: Callable[[datetime], SQLModel]


async def gated(
    services: Services,
    gate: Gate,
    begin: Callable[[AsyncSession, datetime], Awaitable[Doing]],
    work: Callable[[Doing], Awaitable[list[Reply]]],
    audits: Callable[[Doing], Sequence[SQLModel]],
) -> list[Reply]:
    """`begin` checks the role (raising Refused without it) and gives what the action
    works with; `audits` its audit rows, stored with what it did unless it only handed a
    form back with errors (which did nothing). A refusal rolls back whatever was begun."""
    now = services.clock.now()
    try:
        async with services.db.session() as session:
            doing = await begin(session, now)
            replies = await work(doing)
            if not any(r.form is not None and r.form.errors for r in replies):
                session.add_all(audits(doing))
            return replies
    except Refused:
        async with services.db.session() as session:
            session.add(gate.refused(now))
        return [say(gate.refusal, ephemeral=True)]
    except Gone:
        return [say(gate.gone, ephemeral=True)]
