"""What the events feature's buttons and choices carry: an occurrence, a series, a
network or one sign-up, by id or key, checked when it comes back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import Field

from bot.conversation.payloads import OrgKey, RowId


@dataclass(frozen=True, slots=True, kw_only=True)
class OccurrenceRef:
    """A button about one date of an event: open it, sign up, cancel, claim an offer."""

    occurrence: RowId


@dataclass(frozen=True, slots=True, kw_only=True)
class SeriesRef:
    """A lead's button about a whole event (every date it happens on)."""

    series: RowId


@dataclass(frozen=True, slots=True, kw_only=True)
class SignupRef:
    """A lead's button about one person's place (mark attended)."""

    signup: RowId


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkRef:
    """A button about one network: join, leave, mute, or list its events."""

    network: OrgKey


@dataclass(frozen=True, slots=True, kw_only=True)
class PageRef:
    """Which page of a lead's list of dates a button shows (0 is the soonest dates)."""

    page: Annotated[int, Field(ge=0, le=10_000)]
