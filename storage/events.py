"""Network events: what a lead publishes, each date it happens on, and who is coming.

People who sign up are kept by their platform identity only (platform, tenant, user id),
never by name: staff who only use the bot are not in the organisation file. Who is coming
and who belongs to a network are read by that network's leads and by the person alone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class EventSeries(SQLModel, table=True):
    """What a lead publishes: a one-off event, or a recurring one (`rule` is an RRULE
    expanded in `time_zone` from `first_start`, so "every other Thursday 12:30" stays at
    12:30 local time across a clock change). Each date it happens on is an Occurrence,
    with its own sign-ups.

    `capacity` None is unlimited. `closes_before` is how long before each start sign-up
    closes (minutes; None: open until it starts). `reminders` lists minutes before the
    start at which people signed up are reminded; empty is off.
    """

    __tablename__ = "event_series"
    id: int | None = Field(default=None, primary_key=True)
    network: str = Field(index=True, max_length=64)
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    place: str = Field(default="", max_length=500)
    online_url: str = Field(default="", max_length=2000)
    accessibility: str = Field(default="", sa_column=Column(Text, nullable=False))
    first_start: datetime
    minutes: int
    time_zone: str = Field(max_length=64)
    rule: str = Field(default="", max_length=500)
    capacity: int | None = None
    waitlist: bool = True
    closes_before: int | None = None
    reminders: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_by: str = Field(max_length=300)
    created_at: datetime
    cancelled_at: datetime | None = None


LOOK_NOW = datetime(1970, 1, 1, tzinfo=UTC)
"""An Occurrence's `next_reminder_at` when its reminders are yet to be looked at: a new
date, or one whose time or reminders changed."""


class Occurrence(SQLModel, table=True):
    """One date an event happens on. `slot` is the start its series gave it (stable: the
    calendar invite's UID), while `starts_at`/`ends_at` may be moved alone. `taken`
    counts places given (going, and offered while an offer stands): it is only ever
    changed by a conditional UPDATE, so two replicas can never give the same place twice.
    `sequence` rises with every change people are told about (the invite's SEQUENCE).
    `place`/`online_url` empty: the series' own. `next_reminder_at` is when the tick looks
    at its reminders next (bot.events.due); None once none is left to send."""

    __tablename__ = "event_occurrence"
    __table_args__ = (
        UniqueConstraint("series_id", "slot"),
        Index("ix_event_occurrence_starts_at", "starts_at"),
        Index("ix_event_occurrence_next_reminder_at", "next_reminder_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    series_id: int = Field(foreign_key="event_series.id", index=True, ondelete="CASCADE")
    slot: datetime
    starts_at: datetime
    ends_at: datetime
    place: str = Field(default="", max_length=500)
    online_url: str = Field(default="", max_length=2000)
    taken: int = 0
    sequence: int = 0
    cancelled_at: datetime | None = None
    next_reminder_at: datetime | None = LOOK_NOW


class SignupStatus(StrEnum):
    GOING = "going"
    WAITING = "waiting"
    OFFERED = "offered"
    """A freed place held for them until `offer_expires`: they claim it or it passes on."""
    CANCELLED = "cancelled"
    LAPSED = "lapsed"
    """An offer that ran out unclaimed (or was declined): off the waitlist, never in."""


HOLDS_A_PLACE = (SignupStatus.GOING, SignupStatus.OFFERED)


class Signup(SQLModel, table=True):
    """One person and one occurrence: one row whatever they press, so a double press
    signs up once. `queued_at` orders the waitlist (then `id`). `access_needs` is sealed
    and read only by the network's leads."""

    __tablename__ = "event_signup"
    __table_args__ = (
        UniqueConstraint("occurrence_id", "platform", "tenant", "user_id"),
        Index("ix_event_signup_queue", "occurrence_id", "status", "queued_at"),
        Index("ix_event_signup_person", "platform", "tenant", "user_id"),
        Index("ix_event_signup_offer", "status", "offer_expires"),
    )
    id: int | None = Field(default=None, primary_key=True)
    occurrence_id: int = Field(foreign_key="event_occurrence.id", ondelete="CASCADE")
    platform: str = Field(max_length=16)
    tenant: str = Field(default="", max_length=64)
    user_id: str = Field(max_length=64)
    status: str = Field(max_length=16)
    queued_at: datetime
    changed_at: datetime
    offer_expires: datetime | None = None
    offers: int = 0
    """How many offers this sign-up has had: each offer's message has its own key."""
    invites: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    """How many calendar invites this person has been sent for this date: each one's
    SEQUENCE adds it to the date's own, so the newest always wins in their calendar."""
    access_needs: str | None = Field(default=None, sa_column=Column(Text))
    attended: bool | None = None


class Membership(SQLModel, table=True):
    """Someone who joined a network to hear about its events. Private: seen by the
    person and the network's leads only. `muted` keeps membership but stops the DMs."""

    __tablename__ = "network_member"
    __table_args__ = (UniqueConstraint("network", "platform", "tenant", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    network: str = Field(index=True, max_length=64)
    platform: str = Field(max_length=16)
    tenant: str = Field(default="", max_length=64)
    user_id: str = Field(max_length=64)
    muted: bool = False
    joined_at: datetime


class EventAudit(SQLModel, table=True):
    """Every lead action, and every refused attempt at one: who, which action, which
    network (the occurrence only when it was theirs to act on). A refused attempt never
    stores what it would have shown."""

    __tablename__ = "event_audit"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    platform: str = Field(max_length=16)
    user_id: str = Field(max_length=64)
    action: str = Field(max_length=40)
    network: str = Field(default="", max_length=64)
    occurrence_id: int | None = None
    refused: bool = False
