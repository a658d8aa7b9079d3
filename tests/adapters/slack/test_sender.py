"""Slack's answers to chat.postMessage become the outbox's retry decisions."""

from __future__ import annotations

import pytest
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.parse import conversation
from adapters.slack.sender import SlackSender
from bot.outbox import DeliveryFailed
from bot.replies import say
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


async def test_a_person_is_reached_in_a_dm_and_a_channel_directly() -> None:
    async with fake_slack_api() as api:
        sender = SlackSender(AsyncWebClient(token="xoxb-test", base_url=api.base_url))
        await sender.send(conversation("T1", "U123", "U123"), say("To a person"), key="k1")
        await sender.send(conversation("T1", "C42", None), say("To a channel"), key="k2")
    assert api.of("conversations.open") == [{"users": "U123"}]
    assert [(p["channel"], p["text"]) for p in api.of("chat.postMessage")] == [
        ("D0NEWDM", "To a person"),
        ("C42", "To a channel"),
    ]


async def test_without_a_history_scope_a_message_in_doubt_is_sent_rather_than_held() -> None:
    async with fake_slack_api() as api:
        api.fail_next(
            "conversations.history",
            web.json_response({"ok": False, "error": "missing_scope"}),
        )
        sender = SlackSender(AsyncWebClient(token="xoxb-test", base_url=api.base_url))
        assert await sender.already_sent(conversation("T1", "C42", None), "k") is False


async def test_a_persons_dm_is_opened_once_for_many_messages_and_after_it_went_missing() -> None:
    """A check-in round or an in-doubt check sends to the same people again and again: one
    conversations.open each, not one a message; a DM Slack no longer knows is opened anew."""
    person = conversation("T1", "U123", "U123")
    async with fake_slack_api() as api:
        sender = SlackSender(AsyncWebClient(token="xoxb-test", base_url=api.base_url))
        await sender.send(person, say("First"), key="k1")
        assert await sender.already_sent(person, "k1")
        await sender.send(person, say("Second"), key="k2")
        assert len(api.of("conversations.open")) == 1
        api.fail_next(
            "chat.postMessage", web.json_response({"ok": False, "error": "channel_not_found"})
        )
        with pytest.raises(DeliveryFailed):
            await sender.send(person, say("Third"), key="k3")
        await sender.send(person, say("Fourth"), key="k4")
    assert len(api.of("conversations.open")) == 2
