"""What happens to a Slack request before bolt sees it: signature, size, typed payload.

Bolt parses a body before it checks the signature, trusts Slack's shapes, and logs the body
of whatever fails its own check; so peerbot checks first, over HTTP and Socket Mode alike,
and hands bolt only a payload that passed (adapters/slack/payloads.py).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from time import time
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.adapter.socket_mode.async_internals import send_async_response
from slack_bolt.adapter.socket_mode.internals import build_headers
from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from adapters.refusal import Refused, bounded
from adapters.slack import payloads

logger = logging.getLogger(__name__)

MAX_BODY = 512 * 1024
"""Slack's largest payload, a modal submission echoing its whole view with every field full
of escaped non-Latin text, stays under ~200 KiB."""
TIMESTAMP = re.compile(r"[0-9]{1,12}")
SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
PAYLOAD = "peerbot_payload"
"""Where the typed payload travels in bolt's context, from the ingress to the listeners."""
QUIET_LOGGERS = ("slack_sdk", "slack_bolt")
"""Bolt logs whole request bodies (its failed-signature and unhandled-request lines at INFO
and WARNING), the SDK its sent and received messages at DEBUG: people's words, user ids and
the private metadata of a speak-up form. Nothing from them is written, at any level."""

P = TypeVar("P", bound=BaseModel)


async def verified(
    request: web.Request, verifier: SignatureVerifier, origins: frozenset[str]
) -> AsyncBoltRequest:
    """The request as bolt should see it, once it is known to be Slack's and Slack-shaped.

    Nothing parses the body before the signature holds: the headers' shape is checked first
    (an `abc` or `1e9` timestamp made slack_sdk raise), then the HMAC on the raw bytes.
    """
    raw = await bounded(request, MAX_BODY)
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    signature = request.headers.get("X-Slack-Signature", "")
    if not (TIMESTAMP.fullmatch(timestamp) and SIGNATURE.fullmatch(signature)):
        raise Refused(401, "no usable signature headers")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "body is not UTF-8") from None
    if not verifier.is_valid(text, timestamp, signature):
        raise Refused(401, "bad signature or stale timestamp")
    try:
        payload = payloads.read(raw, request.content_type, origins)
    except payloads.NotSlack as exc:
        raise Refused(400, str(exc)) from None
    return AsyncBoltRequest(
        body=json.dumps(payloads.for_bolt(payload)),
        headers=dict(request.headers),
        context=typed_context(payload),
    )


def typed_context(payload: payloads.Payload) -> dict[str, Any]:
    return {PAYLOAD: payload, "ack": KeptAck()}


def payload_of(context: Mapping[str, Any], kind: type[P]) -> P:
    """The listener's payload, already validated: bolt matched the listener on its type."""
    payload = context[PAYLOAD]
    if not isinstance(payload, kind):
        raise TypeError(f"{type(payload).__name__} reached a listener for {kind.__name__}")
    return payload


class KeptAck(AsyncAck):
    """An ack, once given, is kept.

    When a listener raises after acknowledging, bolt's runner sets `ack.response` back to
    None; if that happens before bolt's 10 ms poll saw the ack, Slack waits 3 s and gets a
    404 although the request was acknowledged. (Seen with slash commands whose answer failed
    at once.)
    """

    def __init__(self) -> None:
        self._kept: BoltResponse | None = None
        super().__init__()  # type: ignore[no-untyped-call]  # bolt leaves it untyped

    @property
    def response(self) -> BoltResponse | None:
        return self._kept

    @response.setter
    def response(self, value: BoltResponse | None) -> None:
        if self._kept is None:
            self._kept = value


class TypedSocketModeHandler(AsyncSocketModeHandler):
    """Socket Mode payloads arrive authenticated but not checked: the same typed payloads as
    over HTTP, before bolt (whose own middleware fails on a wrong shape). One that fails is
    acknowledged and dropped: unacknowledged, Slack would send it again."""

    def __init__(
        self, app: AsyncApp, app_token: str, *, origins: frozenset[str], logger: logging.Logger
    ) -> None:
        super().__init__(app, app_token, logger=logger)
        self.origins = origins

    async def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        start = time()
        try:
            payload = payloads.of(req.payload, self.origins)
        except payloads.NotSlack as exc:
            logger.warning("slack: socket mode payload dropped (%s)", exc)
            await client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
            return
        bolt_request = AsyncBoltRequest(
            mode="socket_mode",
            body=payloads.for_bolt(payload),
            headers=build_headers(req),
            context=typed_context(payload),
        )
        await send_async_response(client, req, await self.app.async_dispatch(bolt_request), start)
