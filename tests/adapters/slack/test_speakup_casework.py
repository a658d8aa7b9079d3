"""Speak-up in Slack end to end: one case per form, and a guardian's casework from new to closed."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlmodel import select

from storage.speakup.cases import AuditEntry, Case, CaseStatus
from tests.adapters.slack.test_endpoint import Slack, delivered
from tests.adapters.slack.test_endpoint import slack as slack  # the fixture
from tests.adapters.slack.test_speakup_anonymity import REPORTER, submission
from tests.scenarios.test_speak_up import table_dump

GUARDIAN = "U07GUARD01"  # Amara Okafor in examples/org.yml
CODE = re.compile(r"SU-[2-9A-Z]{4}-[2-9A-Z]{2}")


def press(user: str, action: str, value: str = "") -> dict[str, Any]:
    return {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": user},
        "channel": {"id": f"D0{user}"},
        "trigger_id": f"trig-{action}-{value}",
        "actions": [{"type": "button", "action_id": f"{action}#0", "value": value}],
    }


def filled(user: str, view: dict[str, Any], **values: str) -> dict[str, Any]:
    """A submitted modal with plain text answers, in the shape Slack sends."""
    return {
        "type": "view_submission",
        "team": {"id": "T1"},
        "user": {"id": user},
        "view": {
            "id": f"V-{view['callback_id']}",
            "type": "modal",
            "callback_id": view["callback_id"],
            "private_metadata": view["private_metadata"],
            "state": {
                "values": {
                    k: {k: {"type": "plain_text_input", "value": v}} for k, v in values.items()
                }
            },
        },
    }


async def open_modal(slack: Slack, interaction: dict[str, Any]) -> dict[str, Any]:
    before = len(slack.api.of("views.open"))
    assert (await slack.interaction(interaction)).status == 200
    opened = await slack.api.wait_for("views.open", before + 1)
    view: dict[str, Any] = opened[-1]["view"]
    return view


async def raise_anonymously(slack: Slack) -> tuple[str, str, dict[str, Any]]:
    view = await open_modal(slack, press(REPORTER, "speakup.start"))
    body = await (await slack.interaction(submission(view, "anonymous"))).json()
    receipt = json.dumps(body["view"])
    code = CODE.search(receipt)
    phrase = re.search(
        r'"text": "((?:[2-9A-Z]{5}-){3}[2-9A-Z]{5})", "style": \{"code": true\}', receipt
    )
    assert code and phrase, receipt
    return code.group(0), phrase.group(1), view


async def cases(slack: Slack) -> list[Case]:
    async with slack.runtime.db.session() as session:
        return list((await session.exec(select(Case))).all())


async def test_the_same_form_sent_twice_makes_one_case(slack: Slack) -> None:
    code, _phrase, view = await raise_anonymously(slack)
    again = await (await slack.interaction(submission(view, "anonymous"))).json()
    assert again["response_action"] == "update"
    assert code in json.dumps(again["view"])  # the same receipt, passphrase included
    assert [c.code for c in await cases(slack)] == [code]


async def test_the_answers_are_shown_to_check_in_the_modal_before_anything_is_sent(
    slack: Slack,
) -> None:
    view = await open_modal(slack, press(REPORTER, "speakup.start"))
    first = await (await slack.interaction(submission(view, "anonymous", reviewed=False))).json()
    assert first["response_action"] == "update"
    review = first["view"]
    assert review["callback_id"] == "speakup.raise"  # the same form, answers kept in it
    shown = json.dumps(review)
    assert "Nothing has been sent yet." in shown and '"initial_value": "' in shown
    assert await cases(slack) == []
    sent = await (await slack.interaction(submission(review, "anonymous", reviewed=False))).json()
    assert CODE.search(json.dumps(sent["view"])), sent  # Send pressed on the checked answers
    assert len(await cases(slack)) == 1


async def test_a_guardian_takes_a_case_from_new_to_closed_in_slack(slack: Slack) -> None:
    code, phrase, _view = await raise_anonymously(slack)

    dm = {
        "type": "event_callback",
        "team_id": "T1",
        "event_id": "EvCase",
        "event": {
            "type": "message",
            "channel_type": "im",
            "channel": "D0GUARD",
            "user": GUARDIAN,
            "text": f"case {code}",
            "ts": "3.3",
        },
    }
    assert (await slack.event(dm)).status == 200
    (shown,) = await slack.api.wait_for("chat.postEphemeral")
    assert "Anonymous" in json.dumps(shown["blocks"]) and "speakup.guardian_ack#0" in json.dumps(
        shown
    )

    await slack.interaction(press(GUARDIAN, "speakup.guardian_ack", code))
    acked = await slack.api.wait_for("chat.postEphemeral", 2)
    assert acked[-1]["text"] == f"Case {code} is acknowledged."

    view = await open_modal(slack, press(GUARDIAN, "speakup.guardian_reply", code))
    assert [b["block_id"] for b in view["blocks"] if b["type"] == "input"] == ["text"]
    assert code in json.dumps(view["blocks"])  # the case is named, not asked for
    reply = filled(GUARDIAN, view, text="Thank you. I will raise this with the matron.")
    sent = await (await slack.interaction(reply)).json()
    assert sent["response_action"] == "update" and f"Case {code}: sent." in json.dumps(sent)

    view = await open_modal(slack, press(GUARDIAN, "speakup.guardian_close", code))
    half = await (await slack.interaction(filled(GUARDIAN, view, outcome=""))).json()
    assert half == {"response_action": "errors", "errors": {"outcome": "Please fill in “Outcome”"}}
    close = filled(
        GUARDIAN, view, outcome="Night staffing is now reviewed weekly.", lessons="Rotas"
    )
    done = await (await slack.interaction(close)).json()
    assert f"Case {code}: closed." in json.dumps(done)

    (case,) = await cases(slack)
    assert case.status == CaseStatus.CLOSED
    async with slack.runtime.db.session() as session:
        actions = [a.action for a in (await session.exec(select(AuditEntry))).all()]
    assert actions == ["viewed", "acknowledged", "replied", "closed"]

    view = await open_modal(slack, press(REPORTER, "speakup.check"))
    posted = len(slack.api.calls)
    back = await (
        await slack.interaction(filled(REPORTER, view, code=code.lower(), passphrase=phrase))
    ).json()
    assert back["response_action"] == "update"  # the case replaces the look-up form
    seen = json.dumps(back["view"])
    assert "Closed" in seen and "Night staffing is now reviewed weekly." in seen
    assert "I will raise this with the matron" in seen
    assert "Lessons" not in seen and "Rotas" not in seen  # lessons stay with the guardians
    # nothing of the case went into any chat: the look-up's answer is the modal alone (the
    # outbox may meanwhile deliver the guardians' own alerts, which name only the code)
    later = [json.dumps(c.params) for c in slack.api.calls[posted:]]
    assert not [c for c in later if REPORTER in c or "matron" in c or "Night staffing" in c]


async def test_a_reporter_adds_to_their_case_from_inside_the_modal(slack: Slack) -> None:
    code, phrase, _view = await raise_anonymously(slack)
    view = await open_modal(slack, press(REPORTER, "speakup.check"))
    shown = await (
        await slack.interaction(filled(REPORTER, view, code=code, passphrase=phrase))
    ).json()
    case_view = {**shown["view"], "id": "V-CASE"}
    (opened,) = re.findall(r'"action_id": "speakup.add#0", "value": "([^"]+)"', json.dumps(shown))
    add = press(REPORTER, "speakup.add", opened)
    del add["channel"]  # a button inside a modal comes with its view, not a channel
    add["view"] = case_view
    assert (await slack.interaction(add)).status == 200
    (pushed,) = await slack.api.wait_for("views.push")  # stacked on the case, not a new modal
    assert pushed["view"]["callback_id"] == "speakup.added"
    # just opened by this person: only the new words are asked, code and passphrase are not
    asked = [b["block_id"] for b in pushed["view"]["blocks"] if b["type"] == "input"]
    assert asked == ["text"]
    added = filled(REPORTER, pushed["view"], text="Again tonight.")
    body = await (await slack.interaction(added)).json()
    assert "Added to your case" in json.dumps(body["view"])


async def test_in_slack_the_passphrase_label_says_who_has_one(slack: Slack) -> None:
    """Slack marks a field that may be sent empty "(optional)" itself, and it must be sent
    empty by confidential and open reporters, who have none: the label says who has one."""
    view = await open_modal(slack, press(REPORTER, "speakup.check"))
    (asked,) = [b for b in view["blocks"] if b.get("block_id") == "passphrase"]
    assert asked["label"]["text"] == "Passphrase, if you were given one"
    assert asked["optional"] is True and "hint" not in asked


async def test_a_confidential_reporter_is_told_in_slack_when_a_guardian_replies(
    slack: Slack,
) -> None:
    view = await open_modal(slack, press(REPORTER, "speakup.start"))
    body = await (await slack.interaction(submission(view, "confidential"))).json()
    receipt = json.dumps(body["view"])
    code = CODE.search(receipt)
    assert code and "passphrase" not in receipt
    assert "We will message you directly when a guardian replies." in receipt

    view = await open_modal(slack, press(GUARDIAN, "speakup.guardian_reply", code.group(0)))
    reply = filled(GUARDIAN, view, code=code.group(0), text="Could we meet on Thursday at 2?")
    await slack.interaction(reply)
    await delivered(slack.runtime)

    # to the reporter's own DM, which Slack opens (or finds) for peerbot, wherever they
    # raised the case from; opened for a sealed notice, it is not kept as their reference
    assert {"users": REPORTER} in slack.api.of("conversations.open")
    told = [p for p in slack.api.of("chat.postMessage") if p["channel"] == "D0NEWDM"]
    assert len(told) == 1
    assert REPORTER not in await table_dump(slack.runtime, only="conversation_reference")
    assert told[0]["text"].startswith(f"A guardian has replied to your case {code.group(0)}.")
    assert "Thursday" not in json.dumps(told[0])  # the words stay sealed in peerbot


async def test_a_reporter_who_spoke_up_from_a_channel_is_told_in_their_dm_not_the_channel(
    slack: Slack,
) -> None:
    start = press(REPORTER, "speakup.start") | {"channel": {"id": "C42"}}
    view = await open_modal(slack, start)
    body = await (await slack.interaction(submission(view, "confidential"))).json()
    code = CODE.search(json.dumps(body["view"]))
    assert code

    view = await open_modal(slack, press(GUARDIAN, "speakup.guardian_reply", code.group(0)))
    await slack.interaction(filled(GUARDIAN, view, code=code.group(0), text="Can we talk?"))
    await delivered(slack.runtime)

    about_case = [p for p in slack.api.of("chat.postMessage") if code.group(0) in p["text"]]
    assert [p["channel"] for p in about_case if "has replied" in p["text"]] == ["D0NEWDM"]
    assert not [p for p in about_case if p["channel"] == "C42"]
