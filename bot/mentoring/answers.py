"""What pairs answered, read for the tick (who is stuck), the coordinator (counts) and the
pair themselves (where they stand this round). Only which answer was given is read here,
never what anyone wrote."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.mentoring import rounds
from storage.mentoring import Answer, CheckIn, Pair, PairStatus, Round, RoundState

BEST_FIRST = (Answer.MET, Answer.PLANNED, Answer.HELP, Answer.NOT_YET)
"""A pair's standing in a round is the best of its two answers: met if either met. Help
ranks above not yet: someone asked, and a coordinator is on it."""


def best(answers: Sequence[str]) -> str | None:
    """The pair's answer for a round, or None when neither answered."""
    return next((a for a in BEST_FIRST if a in answers), None)


async def by_pair(session: AsyncSession, round_ids: Sequence[int]) -> dict[tuple[int, int], str]:
    """(pair, round) -> the pair's best answer, for these rounds."""
    if not round_ids:
        return {}
    query = select(CheckIn.pair_id, CheckIn.round_id, CheckIn.answer).where(
        col(CheckIn.round_id).in_(round_ids)
    )
    given: dict[tuple[int, int], list[str]] = {}
    for pair_id, round_id, answer in (await session.exec(query)).all():
        given.setdefault((pair_id, round_id), []).append(answer)
    return {key: found for key, answers in given.items() if (found := best(answers))}


async def stuck(session: AsyncSession, closed: Round) -> list[Pair]:
    """Active pairs that have not met two rounds running as of the round `closed`: asked in
    it and in the round before (they existed before that one closed, and it was asked, not
    missed), and neither of them said "met" in either."""
    first = await rounds.before(session, closed)
    if first is None or first.state == RoundState.MISSED:
        return []
    met = select(CheckIn.pair_id).where(
        col(CheckIn.round_id).in_([first.id, closed.id]), col(CheckIn.answer) == Answer.MET
    )
    query = (
        select(Pair)
        .where(
            col(Pair.programme) == closed.programme,
            col(Pair.status) == PairStatus.ACTIVE,
            col(Pair.created_at) < first.closes_at,
            col(Pair.id).not_in(met),
        )
        .order_by(col(Pair.id))
    )
    return list((await session.exec(query)).all())
