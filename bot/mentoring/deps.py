"""What the mentoring feature alone needs, built once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from bot.conversation.sealing import Sealer


@dataclass(frozen=True, slots=True, kw_only=True)
class Mentoring:
    """`sealer` seals what people write (answers, notes, actions) at rest. Without one,
    check-ins still work, but nobody is asked to write anything and no actions are kept:
    their words could not be kept safe."""

    sealer: Sealer | None = None
