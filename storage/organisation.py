"""Tables synced from the organisation file: people, roles, networks, programmes, resources."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint, false
from sqlmodel import Field, SQLModel


class RoleName(StrEnum):
    GUARDIAN = "guardian"
    NETWORK_LEAD = "network_lead"
    COORDINATOR = "coordinator"


class ProgrammeKind(StrEnum):
    MENTORING = "mentoring"
    REVERSE_MENTORING = "reverse_mentoring"
    EXECUTIVE_PAIRING = "executive_pairing"


class Organisation(SQLModel, table=True):
    """A single row: the organisation this installation serves."""

    id: int | None = Field(default=None, primary_key=True)
    name: str
    time_zone: str
    guardian_channels: dict[str, str] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    speakup_alerts: dict[str, object] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}")
    )
    email_domains: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    """Where staff emails may be: a pair naming another domain is a typo, refused."""


class Person(SQLModel, table=True):
    """Someone named in the org file. Staff who only use the bot are never stored here."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, index=True)
    name: str
    phone: str | None = None


class PlatformIdentity(SQLModel, table=True):
    """How a named person appears on a platform, so an action can be checked against roles."""

    __table_args__ = (UniqueConstraint("platform", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    platform: str
    user_id: str


class Role(SQLModel, table=True):
    """Who may do what. `scope` is a network or programme key; empty for guardians."""

    __table_args__ = (UniqueConstraint("person_id", "role", "scope"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    role: str
    scope: str = ""


class Network(SQLModel, table=True):
    """A staff network. Kept (inactive) when dropped from the file, so history stays whole."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, index=True)
    name: str
    description: str
    channels: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    active: bool = True


class Programme(SQLModel, table=True):
    """A mentoring programme and its check-in schedule. `cadence` is an RRULE run on the
    local wall clock of `time_zone` (empty: the organisation's) from `starts` at
    `round_time`, until the end of `ends`; empty, the programme has no check-ins.

    A coordinator may change the schedule in chat; `file_schedule` keeps what the
    organisation file last said, so applying an unchanged file again does not undo that
    change, while a file that did change wins. `rounds_from`: rounds count from the one in
    progress at this moment, set when a schedule changes, so a new cadence does not fill
    the past with rounds nobody was asked in.
    """

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, index=True)
    name: str
    kind: str
    description: str = ""
    active: bool = True
    cadence: str = Field(default="", sa_column_kwargs={"server_default": ""})
    round_time: str = Field(default="10:00", sa_column_kwargs={"server_default": "10:00"})
    starts: date | None = None
    ends: date | None = None
    time_zone: str = Field(default="", sa_column_kwargs={"server_default": ""})
    remind_after_days: int = Field(default=3, sa_column_kwargs={"server_default": "3"})
    records_actions: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    questions: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    file_schedule: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}")
    )
    rounds_from: datetime | None = None


class SupportResource(SQLModel, table=True):
    """A wellbeing or crisis resource, shown in the order the file lists them."""

    id: int | None = Field(default=None, primary_key=True)
    position: int
    name: str
    purpose: str
    contact: str
    crisis: bool = False
