"""What speak-up alone needs, built once by the composition root and handed to its handlers."""

from __future__ import annotations

from dataclasses import dataclass

from bot.conversation.sealing import Sealer
from bot.speakup.attempts import Attempts, Refusals, Uncounted
from bot.speakup.cases import Guards
from bot.speakup.codes import SlowHashes
from bot.speakup.receipts import Receipts


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeakUp:
    """The sealer is never None: without a sealing key there is no SpeakUp, and the
    feature is built to store nothing (see bot.speakup.feature). `guards` and `receipts`
    keep their state in the database under keys derived from the sealer, so look-up misses
    are counted and a form sent twice is recognised whichever replica it reaches.
    `web_form` is the web form's public address, offered in chat to anyone who would
    rather not use chat."""

    sealer: Sealer
    guards: Guards
    receipts: Receipts
    web_form: str = ""

    @classmethod
    def keyed(
        cls, sealer: Sealer, *, web_form: str = "", refusals: Refusals | None = None
    ) -> SpeakUp:
        """Keyed with the newest sealing key's hashing key: every replica has it without a
        second secret to deploy, and a rotation starts the guards afresh (see
        bot.conversation.sealing.keyed_hash). `refusals` counts look-ups the limit refuses."""
        key = sealer.hash_keys[0]
        attempts = Attempts(key=key, refusals=refusals or Uncounted())
        return cls(
            sealer=sealer,
            guards=Guards(attempts=attempts, hashes=SlowHashes()),
            receipts=Receipts(key=key),
            web_form=web_form,
        )
