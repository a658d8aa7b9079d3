"""A reply's files as signed, expiring links on peerbot's own server, for platforms whose
messages cannot carry a file from a bot (Teams: a calendar invite to tap, a CSV to save).

The file itself travels sealed inside its link, so the server keeps nothing and any
replica can serve it; the link opens for a week, then says it has expired.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from urllib.parse import quote

from aiohttp import web
from pydantic import TypeAdapter, ValidationError

from adapters.tokens import SealedTokens
from bot.conversation.clock import Clock
from bot.conversation.replies import Attachment

logger = logging.getLogger(__name__)

PATH = "/files"
LASTS = timedelta(days=7)
"""Long enough to tap a week-old invite; short enough that a forwarded link soon dies."""
LONGEST = 8000
"""Characters a link may have: a card in Teams holds 28 KB in all. A bigger file (a long
attendance list) is said to be too big rather than sent broken."""
TOKEN = re.compile(r"[A-Za-z0-9_=-]{1,20000}")
ATTACHMENT = TypeAdapter(Attachment)
HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}
EXPIRED = "This link has expired or is not one of peerbot's. Please ask peerbot again in chat."


class FileLinks:
    """`base` is where people reach this server (PEERBOT_PUBLIC_URL)."""

    def __init__(self, base: str, key: bytes, clock: Clock) -> None:
        self._base = base.rstrip("/")
        self._tokens = SealedTokens(key, "file links")
        self._clock = clock

    def url(self, file: Attachment) -> str | None:
        """The file's link, or None when the file is too big to go in one."""
        token = self._tokens.seal(ATTACHMENT.dump_json(file), self._clock.now())
        link = f"{self._base}{PATH}/{token}/{quote(file.name)}"
        return link if len(link) <= LONGEST else None

    async def serve(self, request: web.Request) -> web.Response:
        """GET /files/{token}/{name}: the file, as a download, while its link lasts."""
        token, name = request.match_info["token"], request.match_info["name"]
        opened = (
            self._tokens.open(token, lasts=LASTS, now=self._clock.now())
            if TOKEN.fullmatch(token)
            else None
        )
        try:
            file = ATTACHMENT.validate_json(opened) if opened is not None else None
        except ValidationError:
            file = None
        if file is None or file.name != name:
            logger.info("files: a link that is expired or not ours was refused")
            return web.Response(status=404, text=EXPIRED, headers=HEADERS)
        return web.Response(
            body=file.data,
            content_type=file.media_type,
            headers={**HEADERS, "Content-Disposition": f'attachment; filename="{file.name}"'},
        )


def mount(app: web.Application, links: FileLinks) -> None:
    app.router.add_get(PATH + "/{token}/{name}", links.serve)
