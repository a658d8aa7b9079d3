"""Speaking up in Teams, end to end through the real /api/messages: the form in a dialog, so no
activity in the reporter's chat carries the concern or the case code; a confidential
reporter told in their own chat when a guardian replies; a guardian's casework in dialogs."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import select

from storage.speakup.cases import AuditEntry, Case, CaseStatus
from tests.adapters.teams.activities import (
    PERSONAL_CHAT,
    USER,
    fetch,
    installed,
    said,
    sender,
    submit,
    teams_id,
)
from tests.adapters.teams.cards import button, dialog_card, filled, texts, valid_cards
from tests.adapters.teams.harness import Teams, serve
from tests.scenarios.test_speak_up import CONCERN, table_dump

CODE = re.compile(r"SU-[2-9A-Z]{4}-[2-9A-Z]{2}")
GUARDIAN = "a1000000-0000-4000-8000-00000000000a"  # Amara Okafor in tests/adapters/teams/org.yml
GUARDIAN_CHAT = "a:1guardianCHAT"
GUARDIANS = "19:guardians@thread.tacv2"


@pytest.fixture
async def teams(sqlite_url: str) -> AsyncIterator[Teams]:
    async with serve(sqlite_url) as teams:
        yield teams


async def intro(teams: Teams) -> dict[str, Any]:
    """`speakup` typed in the reporter's chat: the card that explains, with its buttons."""
    before = len(teams.connector.of("send", PERSONAL_CHAT))
    await teams.post(said(teams.url, "speakup", number=1))
    sent = await teams.connector.wait_for("send", before + 1, PERSONAL_CHAT)
    (card,) = valid_cards(sent[-1].body)
    return card


async def raise_concern(teams: Teams, way: str, user: str = USER) -> tuple[str, dict[str, Any]]:
    """Start pressed, the form filled in the dialog, checked, and sent: the case code and
    the receipt's card."""
    start = button(await intro(teams), "Start")
    assert start["msteams"] == {"type": "task/fetch"}  # it opens a dialog, not a message
    form = dialog_card(await teams.invoke(fetch(teams.url, start, user=user)))
    assert "What happened?" in texts(form)
    answers = {"what": CONCERN, "categories": "worker_safety", "way": way}
    review = dialog_card(await teams.invoke(submit(teams.url, filled(form, **answers), user=user)))
    assert "Nothing has been sent yet." in " ".join(texts(review))
    receipt = dialog_card(
        await teams.invoke(submit(teams.url, filled(review, **answers), user=user))
    )
    code = CODE.search(" ".join(texts(receipt)))
    assert code, texts(receipt)
    return code.group(0), receipt


async def test_an_anonymous_concern_is_raised_in_a_dialog_and_the_chat_keeps_no_copy(
    teams: Teams, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    code, receipt = await raise_concern(teams, "anonymous")
    said_there = texts(receipt)
    assert (
        "Your passphrase" in said_there
        and "We cannot contact you, so please check back." in " ".join(said_there)
    )
    await teams.delivered()  # the guardians' alert

    in_the_chat = json.dumps([c.body for c in teams.connector.messages(PERSONAL_CHAT)])
    assert CONCERN not in in_the_chat and code not in in_the_chat
    (alert,) = teams.connector.messages(GUARDIANS)
    assert code in json.dumps(alert.body) and CONCERN not in json.dumps(alert.body)
    assert USER not in json.dumps(alert.body)
    stored = await table_dump(teams.runtime)
    assert USER not in stored and CONCERN not in stored
    assert CONCERN not in caplog.text and USER not in caplog.text
    assert teams_id(USER) not in caplog.text and teams_id(USER) not in stored


async def test_the_form_sent_with_gaps_comes_back_as_typed_with_each_reason(teams: Teams) -> None:
    start = button(await intro(teams), "Start")
    form = dialog_card(await teams.invoke(fetch(teams.url, start)))
    half = filled(form, what=CONCERN, where_when="Ward 9, nights")
    back = dialog_card(await teams.invoke(submit(teams.url, half)))
    said_there = texts(back)
    assert "Please choose an answer to “How do you want to speak up?”" in said_there
    inputs = {b["id"]: b for b in back["body"] if b["type"].startswith("Input.")}
    assert inputs["what"]["value"] == CONCERN and inputs["where_when"]["value"] == "Ward 9, nights"
    async with teams.runtime.db.session() as session:
        assert (await session.exec(select(Case))).all() == []


async def test_the_same_dialog_sent_twice_makes_one_case(teams: Teams) -> None:
    start = button(await intro(teams), "Start")
    form = dialog_card(await teams.invoke(fetch(teams.url, start)))
    answers = {"what": CONCERN, "way": "anonymous"}
    review = dialog_card(await teams.invoke(submit(teams.url, filled(form, **answers))))
    once = dialog_card(await teams.invoke(submit(teams.url, filled(review, **answers))))
    twice = dialog_card(await teams.invoke(submit(teams.url, filled(review, **answers))))
    assert CODE.findall(" ".join(texts(once))) == CODE.findall(" ".join(texts(twice)))
    async with teams.runtime.db.session() as session:
        assert len((await session.exec(select(Case))).all()) == 1


async def test_a_confidential_reporter_is_told_in_their_own_chat_when_a_guardian_replies(
    teams: Teams,
) -> None:
    await teams.post(installed(teams.url, number=90))  # peerbot added: its greeting
    await teams.connector.wait_for("send")
    code, receipt = await raise_concern(teams, "confidential")
    assert "We will message you directly when a guardian replies." in " ".join(texts(receipt))
    assert "Your passphrase" not in texts(receipt)

    await guardian_replies(teams, code, "Could we meet on Thursday at 2?")
    await teams.delivered()

    told = [c for c in teams.connector.messages(PERSONAL_CHAT) if code in json.dumps(c.body)]
    assert len(told) == 1
    (card,) = valid_cards(told[0].body)
    assert " ".join(texts(card)).startswith(f"A guardian has replied to your case {code}.")
    assert "Thursday" not in json.dumps(told[0].body)  # the words stay sealed in peerbot
    assert CONCERN not in json.dumps([c.body for c in teams.connector.calls])


def as_guardian(activity: dict[str, Any]) -> dict[str, Any]:
    return activity | {
        "from": sender(GUARDIAN),
        "conversation": activity["conversation"] | {"id": GUARDIAN_CHAT},
    }


async def guardian_replies(teams: Teams, code: str, words: str) -> None:
    case = await guardians_case(teams, code)
    form = dialog_card(await teams.invoke(as_guardian(submit(teams.url, button(case, "Reply")))))
    assert [b["id"] for b in form["body"] if b["type"].startswith("Input.")] == ["text"]
    sent = dialog_card(await teams.invoke(as_guardian(submit(teams.url, filled(form, text=words)))))
    assert f"Case {code}: sent." in " ".join(texts(sent))


async def guardians_case(teams: Teams, code: str) -> dict[str, Any]:
    """`case <code>` typed by the guardian: a card in their chat that opens the case in a
    dialog, so their chat keeps no copy of the concern either."""
    before = len(teams.connector.messages(GUARDIAN_CHAT))
    await teams.post(as_guardian(said(teams.url, f"case {code}", number=50 + before)))
    shown = await teams.connector.wait_for("send", before + 1, conversation=GUARDIAN_CHAT)
    (opener,) = valid_cards(shown[-1].body)
    assert texts(opener)[0] == "Private to you" and code not in json.dumps(shown[-1].body)
    return dialog_card(await teams.invoke(as_guardian(fetch(teams.url, button(opener, "Open")))))


async def test_a_guardian_takes_a_case_from_new_to_closed_in_dialogs(teams: Teams) -> None:
    code, _receipt = await raise_concern(teams, "anonymous")
    case = await guardians_case(teams, code)
    assert "Anonymous" in " ".join(texts(case))
    acknowledge = button(case, "Acknowledge")  # pressed inside the dialog
    acked = dialog_card(await teams.invoke(as_guardian(submit(teams.url, acknowledge))))
    assert texts(acked) == [f"Case {code} is acknowledged."]

    await guardian_replies(teams, code, "Thank you. I will raise this with the matron.")

    close = button(await guardians_case(teams, code), "Close")
    form = dialog_card(await teams.invoke(as_guardian(submit(teams.url, close))))
    half = dialog_card(await teams.invoke(as_guardian(submit(teams.url, filled(form, outcome="")))))
    assert "Please fill in “Outcome”" in texts(half)
    done = filled(half, outcome="Night staffing is now reviewed weekly.", lessons="Rotas")
    closed = dialog_card(await teams.invoke(as_guardian(submit(teams.url, done))))
    assert f"Case {code}: closed." in " ".join(texts(closed))

    async with teams.runtime.db.session() as session:
        (stored,) = (await session.exec(select(Case))).all()
        actions = [a.action for a in (await session.exec(select(AuditEntry))).all()]
    assert stored.status == CaseStatus.CLOSED
    assert actions == ["viewed", "acknowledged", "viewed", "replied", "viewed", "closed"]
    in_the_chat = json.dumps([c.body for c in teams.connector.messages(GUARDIAN_CHAT)])
    assert "matron" not in in_the_chat and "Night staffing" not in in_the_chat


async def test_someone_else_pressing_a_guardians_button_is_refused_politely(teams: Teams) -> None:
    code, _receipt = await raise_concern(teams, "anonymous")
    case = await guardians_case(teams, code)
    refused = dialog_card(await teams.invoke(submit(teams.url, button(case, "Acknowledge"))))
    assert "guardian" in " ".join(texts(refused)).lower()
    async with teams.runtime.db.session() as session:
        (stored,) = (await session.exec(select(Case))).all()
    assert stored.status == CaseStatus.NEW


async def test_a_typed_case_code_opens_the_look_up_from_a_card_not_in_the_chat(
    teams: Teams,
) -> None:
    code, receipt = await raise_concern(teams, "anonymous")
    phrase = texts(receipt)[texts(receipt).index("Your passphrase") + 1]
    await teams.post(said(teams.url, code, number=7))
    sent = await teams.connector.wait_for("send", 2, PERSONAL_CHAT)
    opener = sent[-1]
    assert code not in json.dumps(opener.body)  # the form rides sealed
    (card,) = valid_cards(opener.body)
    form = dialog_card(await teams.invoke(fetch(teams.url, button(card, "Open"))))
    inputs = {b["id"]: b for b in form["body"] if b["type"].startswith("Input.")}
    assert inputs["code"]["value"] == code
    case = dialog_card(
        await teams.invoke(submit(teams.url, filled(form, code=code, passphrase=phrase)))
    )
    assert f"Case {code}" in texts(case)
    add = dialog_card(await teams.invoke(submit(teams.url, button(case, "Add something"))))
    assert [b["id"] for b in add["body"] if b["type"].startswith("Input.")] == ["text"]
    added = dialog_card(await teams.invoke(submit(teams.url, filled(add, text="Again tonight."))))
    assert "Added to your case" in texts(added)
    assert "Again tonight." not in json.dumps([c.body for c in teams.connector.calls])
