"""Teams activities -> neutral events: what each kind of activity becomes, and what is dropped."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.teams.parse import Via, parse
from bot.conversation.actions import ActionId
from bot.conversation.inbound import ButtonPressed, FormSubmitted, Platform, TextMessage
from tests.adapters.teams.activities import (
    CHANNEL,
    PERSONAL_CHAT,
    TENANT,
    USER,
    activity,
    fetch,
    installed,
    invoke,
    mentioned,
    pressed,
    said,
    submit,
)

AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
URL = "https://smba.trafficmanager.net/emea/"


def test_a_personal_message_is_text_from_the_person_in_their_own_chat() -> None:
    parsed = parse(said(URL, "  support  "), AT)
    assert parsed is not None and parsed.via == Via.MESSAGE
    event = parsed.event
    assert isinstance(event, TextMessage) and event.text == "support"
    assert (event.actor.platform, event.actor.tenant, event.actor.user_id) == (
        Platform.TEAMS,
        TENANT,
        USER,
    )
    assert event.actor.time_zone == "Europe/London"
    where = event.conversation
    assert (where.channel_id, where.user_id, where.is_private) == (PERSONAL_CHAT, USER, True)
    assert where.extra == {"service_url": URL, "type": "personal"}


def test_a_channel_message_loses_the_mention_and_is_not_private() -> None:
    parsed = parse(mentioned(URL, "events"), AT)
    assert parsed is not None and isinstance(parsed.event, TextMessage)
    assert parsed.event.text == "events"
    assert parsed.event.conversation.channel_id.startswith(CHANNEL)
    assert not parsed.event.conversation.is_private


def test_a_mention_alone_asks_for_help() -> None:
    parsed = parse(mentioned(URL, ""), AT)
    assert parsed is not None and isinstance(parsed.event, TextMessage)
    assert parsed.event.text == "help"


def test_a_card_button_is_a_press_on_that_card() -> None:
    data = {"peerbot": {"action": "events.signup", "value": "7"}}
    parsed = parse(pressed(URL, "1700000000009", data), AT)
    assert parsed is not None and parsed.card == "1700000000009"
    event = parsed.event
    assert isinstance(event, ButtonPressed)
    assert (event.action, event.value) == (ActionId("events", "signup"), "7")
    assert event.surface.on_message and event.surface.can_open_form and not event.surface.in_form


def test_a_card_form_is_read_back_into_the_cores_shapes() -> None:
    data = {
        "peerbot": {
            "form": "events.lead_new",
            "carried": {"network": "lgbtq"},
            "multiple": ["days"],
            "datetimes": ["start", "end"],
            "sent": "abc",
        },
        "title": "Lunch and learn",
        "days": "mon,wed",
        "start": "2026-12-08",
        "start.time": "12:30",
        "end": "",
        "end.time": "13:30",
        "network": "forged",
    }
    parsed = parse(pressed(URL, "1700000000009", data), AT)
    assert parsed is not None
    event = parsed.event
    assert isinstance(event, FormSubmitted) and event.surface.in_form
    assert event.form == ActionId("events", "lead_new") and event.submission == "abc"
    assert event.values == {
        "title": "Lunch and learn",
        "days": ("mon", "wed"),
        "start": "2026-12-08T12:30",
        "end": "T13:30",  # a time alone is refused by the form's check, not guessed
        "network": "lgbtq",  # what the form carries wins over an input of the same name
    }


def test_a_dialog_fetch_and_submit_are_answered_in_the_dialog() -> None:
    fetched = parse(
        fetch(URL, {"msteams": {"type": "task/fetch"}, "peerbot": {"action": "speakup.start"}}), AT
    )
    assert fetched is not None and fetched.via == Via.FETCH
    assert isinstance(fetched.event, ButtonPressed)
    assert fetched.event.surface.in_form and fetched.event.surface.can_open_form
    sent = parse(
        submit(URL, {"peerbot": {"form": "speakup.raise", "sent": "x"}, "what": "words"}), AT
    )
    assert sent is not None and sent.via == Via.SUBMIT
    assert isinstance(sent.event, FormSubmitted) and sent.event.values == {"what": "words"}


def test_an_opener_brings_its_sealed_form() -> None:
    parsed = parse(fetch(URL, {"peerbot": {"sealed": "token"}}), AT)
    assert parsed is not None and parsed.sealed == "token" and parsed.event is None


def test_a_universal_action_is_a_press_on_its_card() -> None:
    value = {
        "action": {
            "type": "Action.Execute",
            "verb": "x",
            "data": {"peerbot": {"action": "help.open", "value": "support"}},
        },
        "trigger": "manual",
    }
    parsed = parse(invoke(URL, "adaptiveCard/action", value, replyToId="1700000000005"), AT)
    assert parsed is not None and parsed.via == Via.CARD_ACTION
    assert isinstance(parsed.event, ButtonPressed) and parsed.event.surface.on_message


def test_peerbot_installed_is_an_install_and_others_joining_are_nothing() -> None:
    parsed = parse(installed(URL), AT)
    assert parsed is not None and parsed.via == Via.INSTALL and parsed.event is None
    assert parse(activity(URL, type="conversationUpdate", membersAdded=[{"id": USER}]), AT) is None


@pytest.mark.parametrize(
    "body",
    [
        {"type": "typing"},
        "not an activity",
        [1, 2],
        {"type": "message", "serviceUrl": URL},
    ],
)
def test_what_is_not_an_activity_is_nothing(body: Any) -> None:
    assert parse(body, AT) is None


@pytest.mark.parametrize(
    "changes",
    [
        {"type": "messageReaction", "reactionsAdded": [{"type": "like"}]},
        {"type": "typing"},
        {"type": "invoke", "name": "composeExtension/query", "value": {}},
        {"value": {"someone": "else's card"}},
        {"value": {"peerbot": {"action": "no-dot-here"}}},
        {"value": {"peerbot": {"action": 7}}},
        {"type": "installationUpdate", "action": "add"},
    ],
)
def test_activities_peerbot_does_not_answer_are_dropped(changes: dict[str, Any]) -> None:
    assert parse(activity(URL, **changes), AT) is None


def test_a_person_is_known_by_their_entra_object_id_else_their_teams_id() -> None:
    known = parse(said(URL, "help"), AT)
    assert known is not None and known.actor.user_id == USER  # what the org file names
    guest = said(URL, "help")
    guest["from"] = {"id": "29:1guest"}
    parsed = parse(guest, AT)
    assert parsed is not None and parsed.actor.user_id == "29:1guest"
