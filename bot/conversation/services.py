"""What every feature handler may use, passed in explicitly: no hidden globals."""

from __future__ import annotations

from dataclasses import dataclass

from bot.conversation.clock import Clock
from storage.engine import Database


@dataclass(frozen=True, slots=True, kw_only=True)
class Services:
    """Only what every feature needs. What one feature alone needs (speak-up's sealer and
    guards, say) is built once by the composition root and handed to that feature."""

    db: Database
    clock: Clock
