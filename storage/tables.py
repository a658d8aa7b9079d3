"""Every table, imported in one place so metadata and migrations see them all."""

from sqlmodel import SQLModel

from storage.guards import LookupAttempt, SentForm
from storage.organisation import (
    Network,
    Organisation,
    Person,
    PlatformIdentity,
    Programme,
    Role,
    SupportResource,
)
from storage.outbox import OutboxRow
from storage.seen import SeenEvent
from storage.speakup import AuditEntry, Case, CaseMessage, CaseStat

metadata = SQLModel.metadata

__all__ = [
    "AuditEntry",
    "Case",
    "CaseMessage",
    "CaseStat",
    "LookupAttempt",
    "Network",
    "Organisation",
    "OutboxRow",
    "Person",
    "PlatformIdentity",
    "Programme",
    "Role",
    "SeenEvent",
    "SentForm",
    "SupportResource",
    "metadata",
]
