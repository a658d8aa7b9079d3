"""Proof that someone opened a case a moment ago, so adding to it does not ask for the code
and passphrase again. Nothing is stored: the proof is a signed note handed to them, riding
on their case's buttons as an `Opened` payload."""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta

from bot.conversation.inbound import Actor
from bot.conversation.payloads import BadPayload, decode, encode
from bot.conversation.sealing import keyed_hash
from bot.speakup.payloads import Opened

LIFETIME = timedelta(hours=1)
"""Long enough to write something; a proof left on a shared screen soon stops working."""


def proof(key: bytes, code: str, actor: Actor, now: datetime) -> str:
    """The encoded proof for this case, good only for this person (on the web, this
    address) until LIFETIME has passed."""
    expires = int((now + LIFETIME).timestamp())
    return encode(Opened(code=code, expires=expires, mac=_mac(key, code, expires, actor)))


def proven(key: bytes, given: str, actor: Actor, now: datetime) -> str | None:
    """The case code a proof is for, when it is this person's and still fresh; else None."""
    try:
        opened = decode(Opened, given)
    except BadPayload:
        return None
    expected = _mac(key, opened.code, opened.expires, actor)
    if not hmac.compare_digest(opened.mac, expected) or now.timestamp() >= opened.expires:
        return None
    return opened.code


def code_of(given: str) -> str:
    """The case a reporter's button names, fresh proof or not; a BadPayload when the value
    is not one of ours."""
    return decode(Opened, given).code


def _mac(key: bytes, code: str, expires: int, actor: Actor) -> str:
    return keyed_hash(
        key,
        "speak-up case opened",
        f"{code}.{expires}|{actor.platform}:{actor.tenant}:{actor.user_id}",
    )
