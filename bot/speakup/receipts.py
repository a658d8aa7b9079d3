"""A form sent twice makes one case, on any replica: the second send gets the first's receipt."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from cryptography.fernet import MultiFernet
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.sealing import keyed_hash, open_sealed, seal
from bot.speakup.cases import Raised
from storage.engine import Database
from storage.speakup.cases import Way
from storage.speakup.guards import claim_form, keep_receipt, kept_receipt, purge_sent_forms


@dataclass(frozen=True, slots=True, kw_only=True)
class Receipts:
    """Receipts of forms just sent, by an HMAC of the platform's id for the filled-in form.

    The row is claimed in the same transaction that raises the case, so two replicas given
    the same form make one case, and the second send waits for the first and shows its
    receipt. That receipt is kept sealed, passphrase and all, for `keep_for` and then
    purged: a browser shows only the answer to the last of a double tap, so a receipt
    without the passphrase would leave an anonymous reporter with no way back to their
    case. Whoever could open it holds the sealing key and could read the case anyway.
    """

    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    keep_for: timedelta = timedelta(minutes=15)

    async def once(
        self,
        db: Database,
        submission: str,
        now: datetime,
        sealer: MultiFernet,
        make: Callable[[AsyncSession], Awaitable[Raised]],
    ) -> Raised:
        """`make` runs at most once per submission while its receipt is kept, in the
        transaction that claims it. No submission id: always made."""
        async with db.session() as session:
            if not submission:
                return await make(session)
            key = keyed_hash(self.key, "speak-up form", submission)
            if await claim_form(session, key, now=now, since=now - self.keep_for):
                raised = await make(session)
                await keep_receipt(session, key, seal(sealer, _to_json(raised)))
                return raised
            return _from_json(open_sealed(sealer, await kept_receipt(session, key)))

    async def purge(self, db: Database, now: datetime) -> int:
        async with db.session() as session:
            return await purge_sent_forms(session, before=now - self.keep_for)


def _to_json(raised: Raised) -> dict[str, object]:
    return {
        "code": raised.code,
        "way": raised.way,
        "passphrase": raised.passphrase,
        "acknowledge_by": raised.acknowledge_by.isoformat(),
        "feedback_by": raised.feedback_by.isoformat(),
    }


def _from_json(kept: dict[str, object]) -> Raised:
    phrase = kept["passphrase"]
    return Raised(
        code=str(kept["code"]),
        way=Way(str(kept["way"])),
        passphrase=str(phrase) if phrase is not None else None,
        acknowledge_by=date.fromisoformat(str(kept["acknowledge_by"])),
        feedback_by=date.fromisoformat(str(kept["feedback_by"])),
    )
