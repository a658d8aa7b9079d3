"""What a feature handler may use, passed in explicitly: no hidden globals."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.clock import Clock
from bot.sealing import Sealer
from bot.speakup.attempts import Attempts
from bot.speakup.receipts import Receipts
from storage.engine import Database


@dataclass(frozen=True, slots=True, kw_only=True)
class Services:
    """`sealer` is None when no sealing key is configured: speak-up then refuses to store
    anything and points people to their guardians instead. `attempts` and `receipts`
    live as long as the process, so look-up misses are counted across conversations and
    a form sent twice is recognised whichever request brings it. `web_form` is the speak-up
    web form's public address, offered in chat to anyone who would rather not use chat."""

    db: Database
    clock: Clock
    sealer: Sealer | None = None
    attempts: Attempts = field(default_factory=Attempts)
    receipts: Receipts = field(default_factory=Receipts)
    web_form: str = ""
