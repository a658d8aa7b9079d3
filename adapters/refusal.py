"""What every platform's endpoint does before it trusts a request: read the body within a
bound, and refuse with a status and the kind of problem, never its content."""

from __future__ import annotations

import logging

from aiohttp import web

logger = logging.getLogger(__name__)


class Refused(Exception):
    """A request peerbot will not pass on; `status` is the answer, `why` names only the kind."""

    def __init__(self, status: int, why: str) -> None:
        super().__init__(why)
        self.status = status
        self.why = why

    def response(self, platform: str) -> web.Response:
        logger.info("%s: request refused with %s (%s)", platform, self.status, self.why)
        return web.json_response({"error": "refused"}, status=self.status)


async def bounded(request: web.Request, limit: int) -> bytes:
    """The body, or Refused(413) past `limit` bytes, said or sent (aiohttp's own
    client_max_size bounds a body sent chunked)."""
    if (request.content_length or 0) > limit:
        raise Refused(413, "body too large")
    raw = await request.read()
    if len(raw) > limit:
        raise Refused(413, "body too large")
    return raw
