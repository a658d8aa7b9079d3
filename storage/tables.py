"""Every table, imported in one place so metadata and migrations see them all."""

from sqlmodel import SQLModel

from storage.due import DueWindow
from storage.events import EventAudit, EventSeries, Membership, Occurrence, Signup
from storage.mentoring import (
    CheckIn,
    Feedback,
    Hours,
    Member,
    MentoringAudit,
    Pair,
    PairAction,
    Round,
)
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
from storage.references import ConversationReference
from storage.seen import SeenEvent
from storage.speakup.cases import AuditEntry, Case, CaseMessage, CaseStat
from storage.speakup.guards import LookupAttempt, SentForm

metadata = SQLModel.metadata

__all__ = [
    "AuditEntry",
    "Case",
    "CaseMessage",
    "CaseStat",
    "CheckIn",
    "ConversationReference",
    "DueWindow",
    "EventAudit",
    "EventSeries",
    "Feedback",
    "Hours",
    "LookupAttempt",
    "Member",
    "Membership",
    "MentoringAudit",
    "Network",
    "Occurrence",
    "Organisation",
    "OutboxRow",
    "Pair",
    "PairAction",
    "Person",
    "PlatformIdentity",
    "Programme",
    "Role",
    "Round",
    "SeenEvent",
    "SentForm",
    "Signup",
    "SupportResource",
    "metadata",
]
