"""The National Guardian's Office figures for a quarter, and the retention purge behind them."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.speakup.redact import guarded
from storage.speakup.cases import AuditEntry, Case, CaseStat, CaseStatus, Way

logger = guarded(__name__)

CATEGORIES = {
    "patient_safety": "An element of patient safety or quality",
    "worker_safety": "An element of worker safety or wellbeing",
    "bullying_harassment": "An element of bullying or harassment",
    "attitudes_behaviours": "An element of inappropriate attitudes or behaviours",
    "other": "Something else",
}
FEEDBACK = {"yes": "Yes", "no": "No", "maybe": "Maybe", "dont_know": "Don't know"}


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """`2026Q3` -> 1 July 2026 up to (not including) 1 October 2026."""
    match = re.fullmatch(r"(\d{4})Q([1-4])", quarter.strip().upper())
    if not match:
        raise ValueError(f"{quarter!r} is not a quarter; use the form 2026Q3")
    year, q = int(match[1]), int(match[2])
    start = date(year, 3 * q - 2, 1)
    end = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
    return start, end


@dataclass
class Figures:
    quarter: str
    raised: int = 0
    anonymous: int = 0
    categories: Counter[str] = field(default_factory=Counter)
    detriment: int = 0
    feedback: Counter[str] = field(default_factory=Counter)

    def add(
        self,
        *,
        anonymous: bool,
        categories: list[str],
        detriment: bool | None,
        feedback: str | None,
    ) -> None:
        self.raised += 1
        self.anonymous += anonymous
        self.categories.update(set(categories))
        self.detriment += bool(detriment)
        if feedback:
            self.feedback[feedback] += 1

    def rows(self, *, suppress_below: int = 0) -> list[tuple[str, str]]:
        """Measure and value. Counts from 1 to `suppress_below - 1` show as `<N`, so a
        small team cannot work out who spoke up from an internal report."""

        def shown(n: int) -> str:
            return f"<{suppress_below}" if 0 < n < suppress_below else str(n)

        rows = [
            ("Cases raised", shown(self.raised)),
            ("Raised anonymously", shown(self.anonymous)),
            *((label, shown(self.categories[key])) for key, label in CATEGORIES.items()),
            ("Detriment for speaking up reported", shown(self.detriment)),
        ]
        rows += [
            (f"Would speak up again: {label}", shown(self.feedback[key]))
            for key, label in FEEDBACK.items()
        ]
        return rows

    def csv(self, *, suppress_below: int = 0) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["quarter", "measure", "value"])
        writer.writerows((self.quarter, m, v) for m, v in self.rows(suppress_below=suppress_below))
        return out.getvalue()


async def figures(session: AsyncSession, quarter: str) -> Figures:
    """Counted from live cases raised in the quarter and from what purged cases left."""
    start, end = quarter_bounds(quarter)
    result = Figures(quarter=quarter.strip().upper())
    cases = await session.exec(
        select(Case).where(col(Case.raised_on) >= start, col(Case.raised_on) < end)
    )
    for case in cases.all():
        result.add(
            anonymous=case.way == Way.ANONYMOUS,
            categories=case.categories,
            detriment=case.detriment,
            feedback=case.feedback,
        )
    for stat in (
        await session.exec(select(CaseStat).where(CaseStat.quarter == result.quarter))
    ).all():
        result.add(
            anonymous=stat.anonymous,
            categories=stat.categories,
            detriment=stat.detriment,
            feedback=stat.feedback,
        )
    return result


async def purge(session: AsyncSession, *, now: datetime, keep_for: timedelta) -> int:
    """Delete cases closed longer than `keep_for` ago, with their messages and audit trail,
    keeping only their counts."""
    cutoff = now - keep_for
    query = select(Case).where(Case.status == CaseStatus.CLOSED, col(Case.closed_at) < cutoff)
    old = list((await session.exec(query)).all())
    for case in old:
        session.add(
            CaseStat(
                quarter=quarter_of(case.raised_on),
                anonymous=case.way == Way.ANONYMOUS,
                categories=case.categories,
                detriment=case.detriment,
                feedback=case.feedback,
            )
        )
    if old:
        codes = [c.code for c in old]
        await session.exec(delete(AuditEntry).where(col(AuditEntry.case_code).in_(codes)))
        await session.exec(delete(Case).where(col(Case.id).in_([c.id for c in old])))
    logger.info("speak-up retention: %s closed cases purged", len(old))
    return len(old)
