"""What a feature handler may use, passed in explicitly: no hidden globals."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.clock import Clock
from bot.sealing import Sealer
from bot.speakup.attempts import Attempts
from bot.speakup.cases import Guards
from bot.speakup.codes import SlowHashes
from bot.speakup.receipts import Receipts
from storage.engine import Database


def _guards() -> Guards:
    return Guards(attempts=Attempts(), hashes=SlowHashes())


@dataclass(frozen=True, slots=True, kw_only=True)
class Services:
    """`sealer` is None when no sealing key is configured: speak-up then refuses to store
    anything and points people to their guardians instead. `guards` and `receipts` keep
    their state in the database under keys derived from the server secret, so look-up
    misses are counted and a form sent twice is recognised whichever replica it reaches;
    the defaults (a random key) suit a single process only. `web_form` is the speak-up web
    form's public address, offered in chat to anyone who would rather not use chat."""

    db: Database
    clock: Clock
    sealer: Sealer | None = None
    guards: Guards = field(default_factory=_guards)
    receipts: Receipts = field(default_factory=Receipts)
    web_form: str = ""
