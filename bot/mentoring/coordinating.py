"""Who coordinates which programme, and one coordinator action run under that check: in its
own transaction, audited with it, and refused (and the refusal audited) for anyone else."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.inbound import Actor
from bot.conversation.payloads import decode
from bot.conversation.replies import Form, Reply
from bot.conversation.services import Services
from bot.mentoring.notify import home_zone
from bot.mentoring.payloads import PairRef, ProgrammeRef
from bot.mentoring.people import coordinated
from bot.organisation.gated import Gate, Gone, Refused, gated
from storage.mentoring import MentoringAudit, Pair
from storage.organisation import Programme

REFUSAL = "Only the programme's coordinators can do that."
GONE = "That pair is no longer there. Type “mentoring” to see your programmes."


@dataclass(frozen=True, slots=True, kw_only=True)
class Coordinating:
    """One coordinator action under way, in its transaction: who, which, when."""

    session: AsyncSession
    actor: Actor
    programmes: Mapping[str, Programme]
    action: str
    now: datetime
    home: str
    audits: list[MentoringAudit] = field(default_factory=list)

    def own(self, key: str, pair_id: int | None = None) -> Programme:
        """The programme, refused unless they coordinate it; the action is audited, in the
        same transaction as what it does."""
        programme = self.programmes.get(key)
        if programme is None:
            raise Refused
        self.audits.append(
            MentoringAudit(
                at=self.now,
                platform=self.actor.platform,
                user_id=self.actor.user_id,
                action=self.action,
                programme=key,
                pair_id=pair_id,
            )
        )
        return programme

    def programme_of(self, value: str) -> Programme:
        """The programme a button or form names, once it is known to be theirs."""
        return self.own(decode(ProgrammeRef, value).programme)

    async def pair_of(self, value: str) -> tuple[Pair, Programme]:
        """The pair a button names, once it is known to be theirs."""
        pair = await self.session.get(Pair, decode(PairRef, value).pair)
        if pair is None:
            raise Gone
        return pair, self.own(pair.programme, pair.id)


async def as_coordinator(
    services: Services,
    actor: Actor,
    action: str,
    work: Callable[[Coordinating], Awaitable[list[Reply]]],
) -> list[Reply]:
    """Run one coordinator action in a transaction, audited (see bot.organisation.gated)."""

    async def begin(session: AsyncSession, now: datetime) -> Coordinating:
        programmes = await coordinated(session, actor)
        if not programmes:
            raise Refused
        return Coordinating(
            session=session,
            actor=actor,
            programmes=programmes,
            action=action,
            now=now,
            home=await home_zone(session),
        )

    def refused(now: datetime) -> MentoringAudit:
        return MentoringAudit(
            at=now, platform=actor.platform, user_id=actor.user_id, action=action, refused=True
        )

    gate = Gate(refusal=REFUSAL, gone=GONE, refused=refused)
    return await gated(services, gate, begin, work, lambda doing: doing.audits)


def form_reply(form: Form) -> list[Reply]:
    return [Reply(summary=form.title, blocks=(form,))]
