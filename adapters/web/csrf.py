"""Double-submit tokens: a form only counts when it came from a page we served to this browser.

Without this, any website could make a visitor's browser send a concern, or try case codes,
in their name. The token lives in a cookie that other sites can neither read nor send
(HttpOnly, SameSite=Strict) and in a hidden field of each form; a post must carry both,
equal, and signed by peerbot (an HMAC with the server secret, which every replica shares)
within the last two hours: a pair made up by anyone else, or kept from long ago, is refused.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiohttp import web

from adapters.web.scope import PATH
from bot.conversation.sealing import keyed_hash

COOKIE = "peerbot_csrf"
FIELD = "_csrf"
SHAPE = re.compile(r"(?P<body>[A-Za-z0-9_-]{22}\.(?P<issued>[0-9]{1,12}))\.(?P<mac>[0-9a-f]{64})")
LIFETIME = timedelta(hours=2)
RENEW_AFTER = LIFETIME / 2
"""A page served with a token older than this gets a fresh one, so no page is handed a
token about to expire; tabs opened within the same hour share one token."""
FETCHED_FROM = "Sec-Fetch-Site"
SAME_ORIGIN = "same-origin"
"""What a browser says of a post sent from a page of this site; pages cannot say it."""
SKEW = timedelta(minutes=1)
"""Replicas' clocks may differ a little: a token from one a moment ahead still counts."""


@dataclass(frozen=True, slots=True)
class Tokens:
    """Tokens as `<random>.<issued, unix seconds>.<HMAC of both>`: checked with the key
    alone, so nothing is stored and any replica with the same key accepts them."""

    key: bytes

    def issue(self, now: datetime) -> str:
        body = f"{secrets.token_urlsafe(16)}.{int(now.timestamp())}"
        return f"{body}.{self._mac(body)}"

    def for_page(self, request: web.Request, now: datetime) -> str:
        """The browser's token while it is recent, else a new one."""
        kept = request.cookies.get(COOKIE, "")
        issued = self._issued(kept)
        if issued is not None and now - RENEW_AFTER <= issued <= now + SKEW:
            return kept
        return self.issue(now)

    def matches(self, request: web.Request, sent: list[str] | None, now: datetime) -> bool:
        kept = request.cookies.get(COOKIE, "")
        if not kept or not sent or len(sent) != 1:
            return False
        if not hmac.compare_digest(kept.encode(), sent[0].encode("utf-8", "replace")):
            return False
        issued = self._issued(kept)
        return issued is not None and now - LIFETIME <= issued <= now + SKEW

    def stale(self, request: web.Request, sent: list[str] | None) -> bool:
        """A post from a page of ours that no longer counts, to be handed back as it was
        sent (never acted on): the page's token is peerbot's, and so is the cookie, only
        too old or from another tab; or the cookie is gone (a phone browser drops its
        session cookies) and the browser itself says the post came from a page of this
        site. Other sites can never send the cookie, nor set Sec-Fetch-Site (only the
        browser does), so none can have a form of ours shown filled in with its words."""
        if not sent or len(sent) != 1 or self._issued(sent[0]) is None:
            return False
        kept = request.cookies.get(COOKIE, "")
        if not kept:
            return request.headers.get(FETCHED_FROM) == SAME_ORIGIN
        return self._issued(kept) is not None

    def _issued(self, token: str) -> datetime | None:
        """When peerbot issued this token; None for anything it did not sign."""
        shape = SHAPE.fullmatch(token)
        if shape is None or not hmac.compare_digest(shape["mac"], self._mac(shape["body"])):
            return None
        return datetime.fromtimestamp(int(shape["issued"]), UTC)

    def _mac(self, body: str) -> str:
        return keyed_hash(self.key, "web form token", body)


def give(response: web.Response, request: web.Request, value: str) -> None:
    response.set_cookie(
        COOKIE,
        value,
        path=PATH,
        httponly=True,
        samesite="Strict",
        secure=request.secure,
    )
