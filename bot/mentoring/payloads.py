"""What mentoring's buttons carry: a pair or a programme, checked when it comes back."""

from __future__ import annotations

from dataclasses import dataclass

from bot.conversation.payloads import OrgKey, RowId, encode


@dataclass(frozen=True, slots=True, kw_only=True)
class PairRef:
    """A button about one pair: check in, snooze, pause, leave, or a coordinator opening it."""

    pair: RowId


@dataclass(frozen=True, slots=True, kw_only=True)
class ProgrammeRef:
    """A coordinator's button about one programme."""

    programme: OrgKey


def pair_value(pair_id: int) -> str:
    """What a button about this pair carries."""
    return encode(PairRef(pair=pair_id))


def programme_value(key: str) -> str:
    """What a button about this programme carries."""
    return encode(ProgrammeRef(programme=key))
