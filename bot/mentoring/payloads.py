"""What mentoring's buttons carry: a pair or a programme, checked when it comes back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import Field, StringConstraints

from bot.conversation.payloads import encode

ProgrammeKey = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


@dataclass(frozen=True, slots=True, kw_only=True)
class PairRef:
    """A button about one pair: check in, snooze, pause, leave, or a coordinator opening it."""

    pair: Id


@dataclass(frozen=True, slots=True, kw_only=True)
class ProgrammeRef:
    """A coordinator's button about one programme."""

    programme: ProgrammeKey


def pair_value(pair_id: int) -> str:
    """What a button about this pair carries."""
    return encode(PairRef(pair=pair_id))


def programme_value(key: str) -> str:
    """What a button about this programme carries."""
    return encode(ProgrammeRef(programme=key))
