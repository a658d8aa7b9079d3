"""Speak-up cases: sealed text, no reporter identity for anonymous cases, dates not times."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession


class Way(StrEnum):
    ANONYMOUS = "anonymous"
    CONFIDENTIAL = "confidential"
    OPEN = "open"


class CaseStatus(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"


class Case(SQLModel, table=True):
    """One concern. `sealed` holds the reporter's words; `reporter_sealed` who they are
    (never for an anonymous case, not even a hash). `raised_on` is a day, not a time:
    the minute of a report can point at who was on shift. `stepped_back` lists the
    guardians with a conflict of interest: the case is closed to them."""

    __tablename__ = "speakup_case"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=16)
    way: str
    status: str = Field(default=CaseStatus.NEW)
    categories: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    detriment: bool | None = None
    sealed: str = Field(sa_column=Column(Text, nullable=False))
    passphrase_hash: str | None = None
    reporter_sealed: str | None = Field(default=None, sa_column=Column(Text))
    raised_on: date
    acknowledge_by: date
    feedback_by: date
    closed_at: datetime | None = None
    feedback: str | None = None
    assigned_to: int | None = Field(default=None, foreign_key="person.id")
    stepped_back: list[int] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )


class CaseStat(SQLModel, table=True):
    """What is left of a case after retention: the anonymous counts the national report
    needs, and nothing that could lead back to the case or the person."""

    __tablename__ = "speakup_stat"
    id: int | None = Field(default=None, primary_key=True)
    quarter: str = Field(index=True, max_length=6)
    anonymous: bool
    categories: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    detriment: bool | None = None
    feedback: str | None = None


class Author(StrEnum):
    """Who wrote a message in a case's thread, and so who may read it."""

    GUARDIAN = "guardian"
    REPORTER = "reporter"
    OUTCOME = "outcome"
    FEEDBACK = "feedback"
    NOTE = "note"  # guardians only
    LESSONS = "lessons"  # guardians only


REPORTER_READS = (Author.GUARDIAN, Author.REPORTER, Author.OUTCOME, Author.FEEDBACK)


class CaseMessage(SQLModel, table=True):
    """A message in a case's thread, sealed like the concern itself."""

    __tablename__ = "speakup_message"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="speakup_case.id", index=True, ondelete="CASCADE")
    author: str
    sealed: str = Field(sa_column=Column(Text, nullable=False))
    sent_on: date


async def case_by_code(session: AsyncSession, code: str) -> Case | None:
    return (await session.exec(select(Case).where(Case.code == code))).first()


async def code_taken(session: AsyncSession, code: str) -> bool:
    return await case_by_code(session, code) is not None


class AuditEntry(SQLModel, table=True):
    """Every guardian action on a case, and every refused attempt.

    A refused attempt records no person: whoever probes a code might be its
    anonymous reporter, and that link must not exist.
    """

    __tablename__ = "speakup_audit"
    id: int | None = Field(default=None, primary_key=True)
    case_code: str = Field(index=True, max_length=16)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    action: str
    at: datetime


async def open_cases(session: AsyncSession) -> list[Case]:
    query = select(Case).where(Case.status != CaseStatus.CLOSED).order_by(col(Case.id))
    return list((await session.exec(query)).all())
