"""Programme health: counts, and only counts, for the coordinator in chat and for
`peerbot mentoring report`: for each round how many pairs met, planned, had not yet, asked
for help or did not answer; pairs that have not met two rounds running; actions agreed and
how they stand; end-of-programme feedback. What anyone wrote stays with them."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.mentoring import answers, rounds
from storage.mentoring import (
    ActionStatus,
    Answer,
    Feedback,
    Member,
    Pair,
    PairAction,
    PairStatus,
    Round,
    RoundState,
)
from storage.organisation import Programme

ANSWERED = (
    (Answer.MET, "met"),
    (Answer.PLANNED, "planned to meet"),
    (Answer.NOT_YET, "not met yet"),
    (Answer.HELP, "asked for help"),
)
ACTIONS = (
    (ActionStatus.DONE, "done"),
    (ActionStatus.IN_PROGRESS, "in progress"),
    (ActionStatus.OPEN, "to do"),
    (ActionStatus.DROPPED, "dropped"),
)
ROUNDS_SHOWN = 12


@dataclass(frozen=True, slots=True, kw_only=True)
class RoundCounts:
    """One round: how many pairs were in it, and each pair's best answer counted."""

    round: Round
    pairs: int
    answered: Counter[str]

    @property
    def missed(self) -> bool:
        return self.round.state == RoundState.MISSED

    @property
    def no_answer(self) -> int:
        return 0 if self.missed else self.pairs - sum(self.answered.values())


@dataclass(frozen=True, slots=True, kw_only=True)
class Health:
    programme: Programme
    pairs: Counter[str]
    """By status."""
    unreachable: int
    """People in live pairs with no platform id yet: they cannot be nudged."""
    rounds: list[RoundCounts]
    """Newest first."""
    stuck: list[int]
    """Pairs that have not met for the last two rounds running (their ids)."""
    actions: Counter[str]
    feedback: Counter[int] = field(default_factory=Counter)

    @property
    def feedback_average(self) -> float | None:
        given = sum(self.feedback.values())
        return sum(s * n for s, n in self.feedback.items()) / given if given else None

    def rows(self, zone: tzinfo) -> list[tuple[str, str, str, int]]:
        """Every count as (round, state, measure, count): a round's opening date in `zone`,
        or "all" for the programme's own; what `--csv` writes and the report prints."""
        rows = [("all", "", f"pairs {status}", n) for status, n in sorted(self.pairs.items())]
        rows.append(("all", "", "people not reachable yet", self.unreachable))
        rows.append(("all", "", "pairs not met two rounds running", len(self.stuck)))
        rows.append(("all", "", "actions agreed", sum(self.actions.values())))
        rows += [("all", "", f"actions {said}", self.actions[s]) for s, said in ACTIONS]
        rows.append(("all", "", "feedback given", sum(self.feedback.values())))
        rows += [("all", "", f"feedback scored {n}", self.feedback[n]) for n in range(1, 6)]
        for counts in self.rounds:
            day = f"{counts.round.opens_at.astimezone(zone):%Y-%m-%d}"
            state = counts.round.state
            rows.append((day, state, "pairs", counts.pairs))
            if counts.missed:
                continue
            rows += [(day, state, said, counts.answered[a]) for a, said in ANSWERED]
            rows.append((day, state, "did not answer", counts.no_answer))
        return rows

    def csv(self, zone: tzinfo) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["round", "state", "measure", "count"])
        writer.writerows(self.rows(zone))
        return out.getvalue()


async def health(session: AsyncSession, programme: Programme, now: datetime) -> Health:
    key = programme.key
    statuses = select(Pair.status, func.count()).where(col(Pair.programme) == key)
    pairs = Counter(dict((await session.exec(statuses.group_by(col(Pair.status)))).all()))
    nowhere = select(func.count()).where(
        col(Member.active_in) == key,
        col(Member.slack).is_(None),
        col(Member.teams).is_(None),
        col(Member.console).is_(None),
    )
    recorded = [r for r in await rounds.of_programme(session, key) if r.opens_at <= now]
    shown = recorded[:ROUNDS_SHOWN]
    best = await answers.by_pair(session, [r.id for r in shown if r.id is not None])
    counts = [await _round(session, key, r, best) for r in shown]
    done = [r for r in recorded if r.state == RoundState.CLOSED]
    stuck = [p.id for p in await answers.stuck(session, done[0]) if p.id] if done else []
    acts = (
        select(PairAction.status, func.count())
        .join(Pair, col(Pair.id) == col(PairAction.pair_id))
        .where(col(Pair.programme) == key)
        .group_by(col(PairAction.status))
    )
    scores = (
        select(Feedback.score, func.count())
        .join(Pair, col(Pair.id) == col(Feedback.pair_id))
        .where(col(Pair.programme) == key)
        .group_by(col(Feedback.score))
    )
    return Health(
        programme=programme,
        pairs=pairs,
        unreachable=int((await session.exec(nowhere)).one()),
        rounds=counts,
        stuck=stuck,
        actions=Counter(dict((await session.exec(acts)).all())),
        feedback=Counter(dict((await session.exec(scores)).all())),
    )


async def _round(
    session: AsyncSession, key: str, round_: Round, best: dict[tuple[int, int], str]
) -> RoundCounts:
    """The pairs in a round: made before it closed, and not ended or left before it opened."""
    gone = (PairStatus.LEFT, PairStatus.ENDED)
    query = select(func.count()).where(
        col(Pair.programme) == key,
        col(Pair.created_at) < round_.closes_at,
        ~(col(Pair.status).in_(gone) & (col(Pair.changed_at) <= round_.opens_at)),
    )
    answered = Counter(a for (_, r), a in best.items() if r == round_.id)
    return RoundCounts(
        round=round_, pairs=int((await session.exec(query)).one()), answered=answered
    )
