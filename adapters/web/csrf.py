"""Double-submit tokens: a form only counts when it came from a page we served to this browser.

Without this, any website could make a visitor's browser send a concern, or try case codes,
in their name. The token lives in a cookie that other sites can neither read nor send
(HttpOnly, SameSite=Strict) and in a hidden field of each form; a post must carry both, equal.
"""

from __future__ import annotations

import hmac
import re
import secrets

from aiohttp import web

from adapters.web.scope import PATH

COOKIE = "peerbot_csrf"
FIELD = "_csrf"
SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


def token(request: web.Request) -> str:
    """The browser's token, kept while it is well formed, so two open tabs both still work."""
    kept = request.cookies.get(COOKIE, "")
    return kept if SHAPE.fullmatch(kept) else secrets.token_urlsafe(32)


def give(response: web.Response, request: web.Request, value: str) -> None:
    response.set_cookie(
        COOKIE,
        value,
        path=PATH,
        httponly=True,
        samesite="Strict",
        secure=request.secure,
    )


def matches(request: web.Request, sent: list[str] | None) -> bool:
    kept = request.cookies.get(COOKIE, "")
    if not kept or not sent or len(sent) != 1:
        return False
    return hmac.compare_digest(kept.encode(), sent[0].encode())
