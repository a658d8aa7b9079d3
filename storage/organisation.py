"""Tables synced from the organisation file: people, roles, networks, programmes, resources."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import JSON, Column, UniqueConstraint
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
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, index=True)
    name: str
    kind: str
    description: str = ""
    active: bool = True


class SupportResource(SQLModel, table=True):
    """A wellbeing or crisis resource, shown in the order the file lists them."""

    id: int | None = Field(default=None, primary_key=True)
    position: int
    name: str
    purpose: str
    contact: str
    crisis: bool = False
