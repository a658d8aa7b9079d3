"""Mentoring in Slack, through real signed requests into the real app and a fake Web API,
with the runtime's own tick and outbox worker: the coordinator adds a pair in a modal, the
round's check-ins reach both people's DMs, the check-in is answered in a modal (and the
senior partner's actions in the modal that follows), the reminder comes once, a request
for help reaches the coordinator's DM once, and the coordinator's view answers privately;
the coordinator adds a pair after putting right what was refused, in the same modal.
The Slack adapter has no mentoring code of its own: the neutral blocks carry all of it."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from bot.conversation.tick import Ticker
from tests.adapters.slack.test_endpoint import Slack, command, delivered
from tests.adapters.slack.test_endpoint import slack as slack  # the fixture
from tests.adapters.slack.test_events_leads import submitted
from tests.adapters.slack.test_networks import button
from tests.adapters.slack.test_speakup_casework import open_modal, press
from tests.bot.mentoring.fixtures import NOVEMBER
from tests.fakes import FakeClock

COORDINATOR = "U07LEAD001"  # Kwame Mensah, who coordinates reverse mentoring
SENIOR, FRONTLINE = "U0SENIOR1", "U0FRONT01"
DOMAIN = "riverside.example.nhs.uk"
PROGRAMME = "Reverse Mentoring for Inclusion"
KEY = "reverse-mentoring"
AMINAS_DM = f"D{FRONTLINE}"


async def tick(slack: Slack) -> None:
    runtime = slack.runtime
    await Ticker(
        runtime.db, runtime.router.due_sources, runtime.clock, sealer=runtime.sealer
    ).tick()
    await delivered(runtime)


def later(slack: Slack, **delta: float) -> None:
    clock = slack.runtime.clock
    assert isinstance(clock, FakeClock)
    clock.advance(**delta)


def posted(slack: Slack, starting: str) -> list[dict[str, Any]]:
    return [p for p in slack.api.of("chat.postMessage") if p["text"].startswith(starting)]


def in_dm(user: str, found: dict[str, Any]) -> dict[str, Any]:
    """Pressing `found` (a button in a message) in the person's DM with peerbot."""
    return {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": user},
        "channel": {"id": "D0NEWDM"},
        "trigger_id": f"trig-{user}-{found['action_id']}-{len(found['value'])}",
        "actions": [{**found, "block_id": "b"}],
    }


async def paired(slack: Slack) -> None:
    """Kwame adds the pair from his coordinator view, as a coordinator would, an hour into
    November's round (Tuesday 3 November, 11:00 London)."""
    clock = slack.runtime.clock
    assert isinstance(clock, FakeClock)
    clock.current = NOVEMBER + timedelta(hours=1)
    fields = command("mentoring", user_id=COORDINATOR, response_url=f"{slack.api.base_url}r.c")
    assert (await slack.form(fields)).status == 200
    (view,) = await slack.api.wait_for("r.c")
    assert view["response_type"] == "ephemeral"
    assert "Programmes you coordinate" in json.dumps(view)
    add = button(view["blocks"], "Add a pair", "reverse-mentoring")
    modal = await open_modal(slack, in_dm(COORDINATOR, add))
    assert modal["callback_id"] == "mentoring.add_pair"
    answers = {
        "senior_email": f"ruth.board@{DOMAIN}",
        "senior_name": "Ruth",
        "senior_slack": SENIOR,
        "frontline_email": f"amina.ward@{DOMAIN}",
        "frontline_name": "Amina",
        "frontline_slack": FRONTLINE,
    }
    done = await (await slack.interaction(submitted(COORDINATOR, modal, **answers))).json()
    assert done["response_action"] == "update"
    assert "Ruth and Amina are paired in Reverse Mentoring for Inclusion" in json.dumps(done)


async def check_in_modal(slack: Slack, user: str) -> dict[str, Any]:
    """The Check in button of the round's message (both people's carry their pair)."""
    nudge = posted(slack, "Time for your")[0]
    found = next(
        e
        for b in nudge["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["text"]["text"] == "Check in"
    )
    return await open_modal(slack, in_dm(user, found))


async def test_the_round_reaches_both_dms_and_is_answered_in_modals(slack: Slack) -> None:
    await paired(slack)
    await tick(slack)
    await tick(slack)  # a second tick, or another replica: nothing new
    nudges = posted(slack, "Time for your Reverse Mentoring for Inclusion check-in")
    assert len(nudges) == 2
    assert [o["users"] for o in slack.api.of("conversations.open")] == [SENIOR, FRONTLINE]
    rendered = json.dumps(nudges[0]["blocks"], ensure_ascii=False)
    assert "how are things going with Amina? It takes a minute." in rendered
    assert "<!date^" in rendered  # the round's opening, on each reader's own clock

    modal = await check_in_modal(slack, SENIOR)
    assert modal["callback_id"] == "mentoring.checkin"
    assert [b["block_id"] for b in modal["blocks"] if b["type"] == "input"] == [
        "met",
        "planned_for",
        "q1",
        "q2",
        "note",
    ]
    met = submitted(SENIOR, modal, met="=met", planned_for="", q1="Rotas.", q2="", note="")
    actions = await (await slack.interaction(met)).json()
    assert actions["response_action"] == "update"
    assert actions["view"]["callback_id"] == "mentoring.record_actions"  # the next form
    step = submitted(SENIOR, actions["view"], a1="Ask HR about night rotas")
    saved = await (await slack.interaction(step)).json()
    assert "Saved. Amina can see them" in json.dumps(saved)

    modal = await check_in_modal(slack, FRONTLINE)
    answer = submitted(FRONTLINE, modal, met="=not_yet", planned_for="", q1="", q2="", note="")
    thanks = json.dumps(await (await slack.interaction(answer)).json())
    assert "No pressure: meet when you can." in thanks
    assert "Ask HR about night rotas" in thanks and "To do" in thanks


async def test_the_reminder_comes_once_to_whoever_has_not_answered(slack: Slack) -> None:
    await paired(slack)
    await tick(slack)
    modal = await check_in_modal(slack, SENIOR)
    answer = submitted(SENIOR, modal, met="=not_yet", planned_for="", q1="", q2="", note="")
    assert (await slack.interaction(answer)).status == 200
    later(slack, days=3)
    await tick(slack)
    later(slack, hours=1)
    await tick(slack)
    (reminder,) = posted(slack, "A gentle reminder")
    assert reminder["text"] == "A gentle reminder: your Reverse Mentoring for Inclusion check-in"
    assert slack.api.of("conversations.open")[-1] == {"users": FRONTLINE}


async def test_asking_for_help_reaches_the_coordinators_dm_once(slack: Slack) -> None:
    await paired(slack)
    await tick(slack)
    modal = await check_in_modal(slack, FRONTLINE)
    answers = {"met": "=help", "planned_for": "", "q1": "", "q2": "", "note": "Call me, please."}
    for _ in range(2):  # asked twice in the same round: one alert
        thanks = await (await slack.interaction(submitted(FRONTLINE, modal, **answers))).json()
        assert "Kwame Mensah will be in touch soon" in json.dumps(thanks)
    await delivered(slack.runtime)
    (alert,) = posted(slack, "Someone in Reverse Mentoring for Inclusion would like some help")
    shown = json.dumps(alert["blocks"])
    assert "Amina (amina.ward@riverside.example.nhs.uk)" in shown and "Call me, please." in shown
    assert alert["channel"] == "D0NEWDM"  # Kwame's DM, known from his own use of peerbot


async def test_the_coordinators_view_and_health_answer_privately(slack: Slack) -> None:
    await paired(slack)
    await tick(slack)
    health = button(
        (await slack.api.wait_for("r.c"))[0]["blocks"], "Programme health", "reverse-mentoring"
    )
    pressed = {**in_dm(COORDINATOR, health), "response_url": f"{slack.api.base_url}r.h"}
    assert (await slack.interaction(pressed)).status == 200
    (shown,) = await slack.api.wait_for("r.h")
    assert shown["response_type"] == "ephemeral"
    text = json.dumps(shown, ensure_ascii=False)
    assert "Reverse Mentoring for Inclusion: programme health" in text
    assert "1 pair: 0 met, 0 planned to meet, 0 not met yet, 0 asked for help, 1 no answer" in text

    nosy = {**press(SENIOR, "mentoring.health", "reverse-mentoring")}
    assert (await slack.interaction(nosy)).status == 200
    (refused,) = await slack.api.wait_for("chat.postEphemeral")
    assert "Only the programme's coordinators can do that." in json.dumps(refused)


async def test_the_members_page_in_slack_shows_their_partner_and_buttons(slack: Slack) -> None:
    await paired(slack)
    fields = command("mentoring", user_id=FRONTLINE, response_url=f"{slack.api.base_url}r.m")
    assert (await slack.form(fields)).status == 200
    (page,) = await slack.api.wait_for("r.m")
    text = json.dumps(page, ensure_ascii=False)
    assert "Your partner" in text and "Ruth" in text
    labels = [
        e["text"]["text"] for b in page["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert labels == ["Check in", "Snooze", "Pause", "Leave", "My hours"]


async def coordinator_modal(slack: Slack, label: str) -> dict[str, Any]:
    """A button of Kwame's coordinator view pressed: the modal it opens."""
    url = f"{slack.api.base_url}r.{label}"
    fields = command("mentoring", user_id=COORDINATOR, response_url=url)
    assert (await slack.form(fields)).status == 200
    (view,) = await slack.api.wait_for(f"r.{label}")
    return await open_modal(slack, in_dm(COORDINATOR, button(view["blocks"], label, KEY)))


async def test_a_pair_refused_then_put_right_in_the_same_modal_is_added(slack: Slack) -> None:
    """Slack keeps a modal's id while it shows errors: sent again put right, it is new."""
    clock = slack.runtime.clock
    assert isinstance(clock, FakeClock)
    clock.current = NOVEMBER + timedelta(hours=1)
    modal = await coordinator_modal(slack, "Add a pair")
    answers = {
        "senior_email": f"ruth.board@{DOMAIN}",
        "senior_name": "Ruth",
        "senior_slack": SENIOR,
        "frontline_email": "amina.ward@gmail.com",
        "frontline_name": "Amina",
        "frontline_slack": FRONTLINE,
    }
    wrong = await (await slack.interaction(submitted(COORDINATOR, modal, **answers))).json()
    assert wrong["response_action"] == "errors"
    assert "nobody here has an address at gmail.com" in wrong["errors"]["frontline_email"]
    right = {**answers, "frontline_email": f"amina.ward@{DOMAIN}"}
    done = await (await slack.interaction(submitted(COORDINATOR, modal, **right))).json()
    assert "Ruth and Amina are paired in Reverse Mentoring for Inclusion" in json.dumps(done)
    await tick(slack)
    assert len(posted(slack, f"Time for your {PROGRAMME} check-in")) == 2
