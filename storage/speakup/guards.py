"""Speak-up guard rows: look-up attempts per source and window, and forms already sent.

Both live minutes, not days, and hold only keyed hashes (HMACs with a server secret) of
who tried or which form was sent: a copy of the database alone links nobody to anything.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, delete, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.upsert import insert_new, upsert


class LookupAttempt(SQLModel, table=True):
    """How many look-ups one source made in one fixed window (`period` counts windows
    since the epoch, so no row keeps the minute of an attempt)."""

    __tablename__ = "speakup_attempt"
    source: str = Field(primary_key=True, max_length=64)
    period: int = Field(primary_key=True, index=True)
    tries: int


class SentForm(SQLModel, table=True):
    """A form already turned into a case: `key` is an HMAC of the platform's id for the
    filled-in form, `sealed` the receipt shown for it, sealed like the case."""

    __tablename__ = "speakup_sent_form"
    key: str = Field(primary_key=True, max_length=64)
    at: datetime = Field(index=True)
    sealed: str = Field(default="", sa_column=Column(Text, nullable=False))


async def count_attempt(session: AsyncSession, source: str, window: int) -> int:
    """Add one try in this window and return the window's total, in one statement: two
    replicas counting the same source at once each get their own, different total."""
    counted = (
        upsert(session, LookupAttempt)
        .values(source=source, period=window, tries=1)
        .on_conflict_do_update(
            index_elements=["source", "period"], set_={"tries": col(LookupAttempt.tries) + 1}
        )
        .returning(col(LookupAttempt.tries))
    )
    return int((await session.exec(counted)).scalar_one())


async def tries_in(session: AsyncSession, source: str, window: int) -> int:
    row = await session.get(LookupAttempt, (source, window))
    return row.tries if row else 0


async def uncount_attempt(session: AsyncSession, source: str, window: int) -> None:
    """Take one try back (it opened a case); a row down to nothing goes."""
    where = (col(LookupAttempt.source) == source, col(LookupAttempt.period) == window)
    await session.exec(update(LookupAttempt).where(*where).values(tries=LookupAttempt.tries - 1))
    await session.exec(delete(LookupAttempt).where(*where, col(LookupAttempt.tries) <= 0))


async def claim_form(session: AsyncSession, key: str, *, now: datetime, since: datetime) -> bool:
    """True for the first send of this form since `since`, on any replica. A second send
    waits here (PostgreSQL's unique index, SQLite's write lock) until the first commits."""
    await session.exec(delete(SentForm).where(col(SentForm.key) == key, col(SentForm.at) < since))
    return await insert_new(session, SentForm, {"key": key, "at": now, "sealed": ""})


async def keep_receipt(session: AsyncSession, key: str, sealed: str) -> None:
    await session.exec(update(SentForm).where(col(SentForm.key) == key).values(sealed=sealed))


async def kept_receipt(session: AsyncSession, key: str) -> str:
    row = (await session.exec(select(SentForm).where(SentForm.key == key))).first()
    return row.sealed if row else ""


async def purge_attempts(session: AsyncSession, *, before_window: int) -> int:
    """Attempts of windows that no longer count."""
    done = await session.exec(
        delete(LookupAttempt).where(col(LookupAttempt.period) < before_window)
    )
    return int(done.rowcount)


async def purge_sent_forms(session: AsyncSession, *, before: datetime) -> int:
    done = await session.exec(delete(SentForm).where(col(SentForm.at) < before))
    return int(done.rowcount)
