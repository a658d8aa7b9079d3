"""What speak-up's buttons and choices carry: a case, or the guardian a case is given to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import Field, StringConstraints

from bot.speakup.codes import ALPHABET

CaseCode = Annotated[str, StringConstraints(pattern=rf"^SU-[{ALPHABET}]{{4}}-[{ALPHABET}]{{2}}$")]


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseRef:
    """A button about one case (acknowledge it, reply to it, add to it)."""

    code: CaseCode


@dataclass(frozen=True, slots=True, kw_only=True)
class GuardianRef:
    """A guardian picked to take a case: their person id."""

    person: Annotated[int, Field(ge=1)]


@dataclass(frozen=True, slots=True, kw_only=True)
class Opened:
    """A reporter's button about the case they just opened: its code, and a signed note of
    when that proof stops working (see bot.speakup.opened)."""

    code: CaseCode
    expires: Annotated[int, Field(ge=0)]
    mac: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
