"""What the events feature alone needs, built once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from bot.conversation.sealing import Sealer


@dataclass(frozen=True, slots=True, kw_only=True)
class Events:
    """`sealer` seals access needs at rest. Without one, events still work, but nobody is
    asked about access needs: they could not be kept safe."""

    sealer: Sealer | None = None
