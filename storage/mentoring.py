"""Mentoring check-ins: pairs and their two people, the rounds a programme's cadence gives,
each person's answer per round, the senior partner's actions, end-of-programme feedback,
people's working hours, and the audit of who did what.

People in pairs are kept by email (lower-cased) with the platform ids known for them: the
coordinator's CSV names them that way, and an email is what a trust's records use. Every
word a person writes (answers, notes, actions and why) is sealed before it is stored.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

BEFORE_ANY_ROUND = datetime(1970, 1, 1, tzinfo=UTC)
"""A member's `asked_round` until their first round: earlier than any round opens, so
"not asked for this round yet" is one indexed comparison, with no NULL to test besides."""


class PairStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    """By either person or the coordinator: no check-ins until someone resumes it."""
    LEFT = "left"
    """One of them left the pairing; both are free to be paired again."""
    ENDED = "ended"
    """The programme is over: each was asked for feedback once."""


class PairRole(StrEnum):
    MENTOR = "mentor"
    MENTEE = "mentee"
    SENIOR = "senior"
    FRONTLINE = "frontline"


class Answer(StrEnum):
    """ "Have you met since last time?", best first: a pair counts as its better answer."""

    MET = "met"
    PLANNED = "planned"
    NOT_YET = "not_yet"
    HELP = "help"


class ActionStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DROPPED = "dropped"


class RoundState(StrEnum):
    OPEN = "open"
    """First seen while open: its check-ins were queued (once, even after downtime)."""
    CLOSED = "closed"
    """Over, and looked at once for pairs stuck two rounds running."""
    MISSED = "missed"
    """First seen after it was over (peerbot was down): nothing was sent for it late."""


class Pair(SQLModel, table=True):
    __tablename__ = "mentoring_pair"
    __table_args__ = (Index("ix_mentoring_pair_programme", "programme", "status"),)
    id: int | None = Field(default=None, primary_key=True)
    programme: str = Field(max_length=64)
    status: str = Field(default=PairStatus.ACTIVE, max_length=16)
    created_at: datetime
    changed_at: datetime


class Member(SQLModel, table=True):
    """One of a pair's two people, and where the tick has got to with them.

    `active_in` is the programme's key while the pair is active or paused, and empty
    (NULL) once it has ended or they left: unique with the email, so a person is in at
    most one live pair per programme, on every replica at once.

    `asked_round` is the opening of the last round whose check-in was queued for them (or
    skipped: paused, snoozed past the round, no way to reach them), `asked_due` when that
    check-in was due; `remind_at` when its one reminder falls due, cleared when they answer
    or are reminded. Each is changed in the transaction that queues the message, so a tick
    reads only people with something new to send, through an index.
    """

    __tablename__ = "mentoring_member"
    __table_args__ = (
        UniqueConstraint("active_in", "email"),
        Index("ix_mentoring_member_asked", "active_in", "asked_round"),
        Index("ix_mentoring_member_remind_at", "remind_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    pair_id: int = Field(foreign_key="mentoring_pair.id", index=True, ondelete="CASCADE")
    role: str = Field(max_length=16)
    email: str = Field(index=True, max_length=320)
    name: str = Field(default="", max_length=200)
    slack: str | None = Field(default=None, index=True, max_length=64)
    teams: str | None = Field(default=None, index=True, max_length=255)
    console: str | None = Field(default=None, index=True, max_length=64)
    active_in: str | None = Field(default=None, max_length=64)
    asked_round: datetime = BEFORE_ANY_ROUND
    asked_due: datetime | None = None
    remind_at: datetime | None = None
    snoozed_until: datetime | None = None


class Round(SQLModel, table=True):
    """A round of a programme, recorded the first time a tick sees it. It is named by its
    opening (UTC): the cadence gives the same instants on every replica."""

    __tablename__ = "mentoring_round"
    __table_args__ = (UniqueConstraint("programme", "opens_at"),)
    id: int | None = Field(default=None, primary_key=True)
    programme: str = Field(max_length=64)
    opens_at: datetime
    closes_at: datetime
    state: str = Field(max_length=16)
    seen_at: datetime


class CheckIn(SQLModel, table=True):
    """One person's answer for one round; answering again updates it. `answers` (the
    programme's questions) and `note` (for the coordinator) are sealed."""

    __tablename__ = "mentoring_checkin"
    __table_args__ = (UniqueConstraint("member_id", "round_id"),)
    id: int | None = Field(default=None, primary_key=True)
    pair_id: int = Field(foreign_key="mentoring_pair.id", index=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="mentoring_member.id", ondelete="CASCADE")
    round_id: int = Field(foreign_key="mentoring_round.id", index=True, ondelete="CASCADE")
    answer: str = Field(max_length=16)
    planned_for: date | None = None
    answers: str | None = Field(default=None, sa_column=Column(Text))
    note: str | None = Field(default=None, sa_column=Column(Text))
    answered_at: datetime
    changed_at: datetime


class PairAction(SQLModel, table=True):
    """Something the senior partner said they would do, and what became of it. `text` and
    `why` are sealed."""

    __tablename__ = "mentoring_action"
    id: int | None = Field(default=None, primary_key=True)
    pair_id: int = Field(foreign_key="mentoring_pair.id", index=True, ondelete="CASCADE")
    round_id: int = Field(foreign_key="mentoring_round.id", ondelete="CASCADE")
    text: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default=ActionStatus.OPEN, max_length=16)
    why: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime
    changed_at: datetime


class Feedback(SQLModel, table=True):
    """How the programme went for one person, 1 to 5, and an optional sealed line."""

    __tablename__ = "mentoring_feedback"
    id: int | None = Field(default=None, primary_key=True)
    pair_id: int = Field(foreign_key="mentoring_pair.id", index=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="mentoring_member.id", unique=True, ondelete="CASCADE")
    score: int
    line: str | None = Field(default=None, sa_column=Column(Text))
    at: datetime


class Hours(SQLModel, table=True):
    """When a person may be nudged, by email, whichever programme: `days` are the working
    days (0 is Monday), `quiet_from`-`quiet_until` local times with no nudges (the span may
    cross midnight). `time_zone` is theirs to choose; `seen_zone` what their platform last
    said; with neither, the organisation's."""

    __tablename__ = "mentoring_hours"
    email: str = Field(primary_key=True, max_length=320)
    days: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    quiet_from: str = Field(max_length=5)
    quiet_until: str = Field(max_length=5)
    time_zone: str = Field(default="", max_length=64)
    seen_zone: str = Field(default="", max_length=64)


class MentoringAudit(SQLModel, table=True):
    """Every coordinator action and every change to a pair (pause, resume, leave, snooze),
    and every refused attempt at a coordinator's action: who, which action, which programme
    and pair. Notices about a change are keyed by its row, so each is told once."""

    __tablename__ = "mentoring_audit"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    platform: str = Field(max_length=16)
    user_id: str = Field(max_length=255)
    action: str = Field(max_length=40)
    programme: str = Field(default="", max_length=64)
    pair_id: int | None = None
    refused: bool = False
