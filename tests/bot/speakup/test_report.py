"""The quarterly figures on a seeded data set, before and after the retention purge."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from bot.conversation.sealing import generate_key, sealer
from bot.speakup.cases import Concern, raise_case
from bot.speakup.report import figures, purge, quarter_bounds
from storage.engine import Database
from storage.speakup.cases import AuditEntry, Case, CaseMessage, CaseStat, CaseStatus, Way

SEALER = sealer(generate_key())

SEED = [  # raised on, way, categories, detriment, closed on, feedback
    (date(2026, 7, 1), Way.ANONYMOUS, ("patient_safety",), False, date(2026, 8, 1), "yes"),
    (date(2026, 7, 15), Way.ANONYMOUS, ("bullying_harassment", "worker_safety"), True, None, None),
    (date(2026, 8, 3), Way.CONFIDENTIAL, ("bullying_harassment",), True, date(2026, 9, 1), "no"),
    (date(2026, 9, 30), Way.OPEN, ("other",), None, None, None),
    (date(2026, 6, 30), Way.ANONYMOUS, ("patient_safety",), False, None, None),  # Q2
    (date(2026, 10, 1), Way.OPEN, ("patient_safety",), False, None, None),  # Q4
]


async def seed(db: Database) -> None:
    for raised_on, way, categories, detriment, closed_on, feedback in SEED:
        async with db.session() as session:
            raised = await raise_case(
                session,
                Concern(what="words", way=way, categories=categories, detriment=detriment),
                reporter=None,
                sealer=SEALER,
                today=raised_on,
            )
            case = (await session.exec(select(Case).where(Case.code == raised.code))).one()
            assert case.id is not None
            session.add(
                CaseMessage(case_id=case.id, author="guardian", sealed="x", sent_on=raised_on)
            )
            if closed_on:
                case.status = CaseStatus.CLOSED
                case.closed_at = datetime.combine(closed_on, datetime.min.time(), UTC)
                case.feedback = feedback
            session.add(case)


EXPECTED_Q3 = {
    "Cases raised": "4",
    "Raised anonymously": "2",
    "An element of patient safety or quality": "1",
    "An element of worker safety or wellbeing": "1",
    "An element of bullying or harassment": "2",
    "An element of inappropriate attitudes or behaviours": "0",
    "Something else": "1",
    "Detriment for speaking up reported": "2",
    "Would speak up again: Yes": "1",
    "Would speak up again: No": "1",
    "Would speak up again: Maybe": "0",
    "Would speak up again: Don't know": "0",
}


async def test_the_quarter_counts_only_its_own_cases(db: Database) -> None:
    await seed(db)
    async with db.session() as session:
        result = await figures(session, "2026q3")
    assert dict(result.rows()) == EXPECTED_Q3


async def test_purge_keeps_the_counts_and_nothing_else(db: Database) -> None:
    await seed(db)
    now = datetime(2027, 9, 15, tzinfo=UTC)  # a year and two weeks after the later closure
    async with db.session() as session:
        for case in (await session.exec(select(Case))).all():
            session.add(AuditEntry(case_code=case.code, action="viewed", at=now))
    async with db.session() as session:
        assert await purge(session, now=now, keep_for=timedelta(days=365)) == 2
    async with db.session() as session:
        assert await purge(session, now=now, keep_for=timedelta(days=365)) == 0
        remaining = (await session.exec(select(Case))).all()
        stats = (await session.exec(select(CaseStat))).all()
        messages = (await session.exec(select(CaseMessage))).all()
        audited = {a.case_code for a in (await session.exec(select(AuditEntry))).all()}
        result = await figures(session, "2026Q3")
    assert len(remaining) == 4 and len(stats) == 2 and len(messages) == 4
    assert audited == {c.code for c in remaining}  # the purged cases' trails went with them
    assert {s.quarter for s in stats} == {"2026Q3"}
    assert dict(result.rows()) == EXPECTED_Q3


async def test_small_counts_can_be_suppressed_and_exported(db: Database) -> None:
    await seed(db)
    async with db.session() as session:
        result = await figures(session, "2026Q3")
    rows = dict(result.rows(suppress_below=3))
    assert rows["Cases raised"] == "4"
    assert rows["Raised anonymously"] == "<3"
    assert rows["An element of inappropriate attitudes or behaviours"] == "0"
    table = list(csv.reader(io.StringIO(result.csv(suppress_below=3))))
    assert table[0] == ["quarter", "measure", "value"]
    assert ["2026Q3", "Raised anonymously", "<3"] in table


@pytest.mark.parametrize("bad", ["2026", "2026Q5", "Q3 2026"])
def test_a_quarter_must_look_like_one(bad: str) -> None:
    with pytest.raises(ValueError, match="2026Q3"):
        quarter_bounds(bad)


def test_quarter_bounds() -> None:
    assert quarter_bounds("2026Q4") == (date(2026, 10, 1), date(2027, 1, 1))
