"""Slack's answers to chat.postMessage become the outbox's retry decisions."""

from __future__ import annotations

import pytest
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.parse import conversation
from adapters.slack.sender import SlackSender
from bot.conversation.outbox import DeliveryFailed
from bot.conversation.replies import Attachment, Reply, say
from tests.adapters.slack.fake_api import fake_slack_api


@pytest.mark.parametrize(
    ("status", "body", "headers", "permanent", "retry_after"),
    [
        (429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "12"}, False, 12.0),
        (200, {"ok": False, "error": "channel_not_found"}, {}, True, None),
        (200, {"ok": False, "error": "account_inactive"}, {}, True, None),
        (200, {"ok": False, "error": "not_in_channel"}, {}, True, None),
        (200, {"ok": False, "error": "internal_error"}, {}, False, None),
        (503, {"ok": False, "error": "service_unavailable"}, {}, False, None),
    ],
)
async def test_slack_errors_map_to_delivery_outcomes(
    status: int,
    body: dict[str, object],
    headers: dict[str, str],
    permanent: bool,
    retry_after: float | None,
) -> None:
    async with fake_slack_api() as api:
        api.fail_next("chat.postMessage", web.json_response(body, status=status, headers=headers))
        sender = SlackSender(AsyncWebClient(token="xoxb-test", base_url=api.base_url))
        with pytest.raises(DeliveryFailed) as caught:
            await sender.send(conversation("T1", "C42", None), say("Reminder"), key="k")
    assert caught.value.permanent is permanent
    assert caught.value.retry_after == retry_after


async def test_without_a_history_scope_a_message_in_doubt_is_sent_rather_than_held() -> None:
    async with fake_slack_api() as api:
        api.fail_next(
            "conversations.history",
            web.json_response({"ok": False, "error": "missing_scope"}),
        )
        sender = SlackSender(AsyncWebClient(token="xoxb-test", base_url=api.base_url))
        assert await sender.already_sent(conversation("T1", "C42", None), "k") is False


async def test_a_queued_reply_brings_its_file_into_the_conversation() -> None:
    invite = Attachment(name="invite.ics", media_type="text/calendar", data=b"BEGIN:VCALENDAR")
    async with fake_slack_api() as api:
        sender = SlackSender(AsyncWebClient(token="xoxb-test", base_url=api.base_url))
        reply = Reply(summary="Your invite", files=(invite,))
        await sender.send(conversation("T1", "D1", "U123"), reply, key="k")
    (done,) = api.of("files.completeUploadExternal")
    assert done["channel_id"] == "D1"
    assert api.uploaded == {"F1": invite.data}


async def test_a_file_whose_upload_drops_once_is_tried_again_after_its_message() -> None:
    """The message is there, so the outbox cannot retry the row for its file (it would
    find the message and count the row sent): the file is tried again here, and the
    message is not posted twice."""
    invite = Attachment(name="invite.ics", media_type="text/calendar", data=b"BEGIN:VCALENDAR")
    async with fake_slack_api() as api:
        api.fail_next("files.getUploadURLExternal", web.Response(status=502))
        sender = SlackSender(AsyncWebClient(token="xoxb-test", base_url=api.base_url))
        await sender.send(
            conversation("T1", "D1", "U123"), Reply(summary="x", files=(invite,)), key="k"
        )
    assert len(api.of("chat.postMessage")) == 1
    (done,) = api.of("files.completeUploadExternal")
    assert done["channel_id"] == "D1"
    assert list(api.uploaded.values())[-1] == invite.data
