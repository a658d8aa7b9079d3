"""Mentoring in Slack, through real signed requests into the real app and a fake Web API,
with the runtime's own tick and outbox worker: the coordinator adds a pair in a modal, the
round's check-ins reach both people's DMs, the check-in is answered in a modal (and the
senior partner's actions in the modal that follows), the reminder comes once, a request
for help reaches the coordinator's DM once, and the coordinator's view answers privately;
a snooze, a pause or leaving is told kindly to the partner and to the coordinator, once,
through the outbox (a snooze sent twice too); My hours is saved from a modal and a
check-in that falls in someone's quiet hours waits for them; a pair stuck two rounds is
told to the coordinator once; the coordinator changes the schedule, and adds a pair after
putting right what was refused, in the same modal.
The Slack adapter has no mentoring code of its own: the neutral blocks carry all of it."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from bot.conversation.tick import Ticker
from bot.mentoring.payloads import programme_value
from storage.outbox import OutboxRow
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


async def at(slack: Slack, moment: datetime) -> None:
    """The clock moved to `moment`, once the runtime's own tick is stopped: a run of it
    begun before the move (its first, at start) would queue what was due before it, for
    pairs added after it. The tests tick by hand instead."""
    assert slack.runtime.jobs is not None
    await slack.runtime.jobs.stop()
    clock = slack.runtime.clock
    assert isinstance(clock, FakeClock)
    clock.current = moment


async def paired(slack: Slack) -> None:
    """Kwame adds the pair from his coordinator view, as a coordinator would, an hour into
    November's round (Tuesday 3 November, 11:00 London)."""
    await at(slack, NOVEMBER + timedelta(hours=1))
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


def notices(slack: Slack, channel: str, starting: str) -> list[dict[str, Any]]:
    return [p for p in posted(slack, starting) if p["channel"] == channel]


async def outbox_keys(slack: Slack, starting: str) -> list[tuple[str, str]]:
    """The outbox rows whose keys start `starting`: (key, status), in key order."""
    async with slack.runtime.db.session(write=False) as session:
        rows = await session.exec(
            select(OutboxRow).where(col(OutboxRow.dedupe_key).startswith(starting))
        )
        return sorted((r.dedupe_key, r.status) for r in rows)


def nudge_button(slack: Slack, user: str, label: str) -> dict[str, Any]:
    """A button of the round's check-in in the person's own DM."""
    nudge = notices(slack, f"D{user}", "Time for your")[-1]
    found: dict[str, Any] = next(
        e
        for b in nudge["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["text"]["text"] == label
    )
    return found


async def coordinator_modal(slack: Slack, label: str) -> dict[str, Any]:
    """A button of Kwame's coordinator view pressed: the modal it opens. Each view comes
    to its own response_url, so a second call waits for its own view, not the first's."""
    where = f"r.{label}.{uuid.uuid4().hex}"
    fields = command("mentoring", user_id=COORDINATOR, response_url=slack.api.base_url + where)
    assert (await slack.form(fields)).status == 200
    (view,) = await slack.api.wait_for(where)
    return await open_modal(slack, in_dm(COORDINATOR, button(view["blocks"], label, KEY)))


@pytest.mark.parametrize(
    ("label", "answers", "told", "coordinator_told"),
    [
        (
            "Snooze",
            {"weeks": "=2"},
            "Ruth is having a short break from check-ins until Tue 17 Nov. Nothing you need to do.",
            "Ruth snoozed check-ins until Tue 17 Nov.",
        ),
        (
            "Pause",
            {"sure": "=yes"},
            f"Ruth has paused your {PROGRAMME} pairing for now. Nothing you need to do.",
            "Ruth paused the pairing.",
        ),
        (
            "Leave",
            {"sure": "=yes"},
            f"Ruth has left your {PROGRAMME} pairing. Nothing you need to do: "
            "your coordinator will be in touch.",
            "Ruth left the pairing.",
        ),
    ],
)
async def test_a_change_to_the_pairing_is_told_once_to_the_partner_and_the_coordinator(
    slack: Slack, label: str, answers: dict[str, str], told: str, coordinator_told: str
) -> None:
    slack.api.dm_per_person = True
    await paired(slack)
    await tick(slack)
    modal = await open_modal(slack, in_dm(SENIOR, nudge_button(slack, SENIOR, label)))
    assert modal["callback_id"] == f"mentoring.{label.lower()}_form"
    done = await (await slack.interaction(submitted(SENIOR, modal, **answers))).json()
    assert done["response_action"] == "update"
    assert "input" not in [b["type"] for b in done["view"]["blocks"]]  # done, not a form
    await delivered(slack.runtime)
    await tick(slack)  # the next tick, or another replica's: nothing more to tell
    (notice,) = notices(slack, f"D{FRONTLINE}", "Ruth ")
    assert notice["text"] == told
    (alert,) = posted(slack, f"{PROGRAMME}, pair 1: ")
    assert alert["text"] == f"{PROGRAMME}, pair 1: {coordinator_told}"
    assert alert["channel"] in {"D0NEWDM", f"D{COORDINATOR}"}  # Kwame's DM
    assert notices(slack, f"D{SENIOR}", "Ruth ") == []  # she is not told her own news
    keys = await outbox_keys(slack, f"mentoring:{label.lower()}:")
    on_slack = [(k.split(":")[3], s) for k, s in keys if ":console:" not in k]
    assert on_slack == [("member", "sent"), ("slack", "sent")]  # Amina's, Kwame's: once each


async def test_a_snooze_sent_twice_is_told_once(slack: Slack) -> None:
    """Slack asks for a form again when its answer came late (see keep_open): the same
    modal sent twice snoozes once, and the partner and coordinator hear of it once."""
    slack.api.dm_per_person = True
    await paired(slack)
    await tick(slack)
    modal = await open_modal(slack, in_dm(SENIOR, nudge_button(slack, SENIOR, "Snooze")))
    for _ in range(2):
        done = await (await slack.interaction(submitted(SENIOR, modal, weeks="=2"))).json()
        assert "No check-ins until Tue 17 Nov." in json.dumps(done)
    await delivered(slack.runtime)
    assert len(notices(slack, f"D{FRONTLINE}", "Ruth is having a short break")) == 1
    assert len(posted(slack, f"{PROGRAMME}, pair 1: Ruth snoozed")) == 1


async def test_a_pair_refused_then_put_right_in_the_same_modal_is_added(slack: Slack) -> None:
    """Slack keeps a modal's id while it shows errors: sent again put right, it is new."""
    await at(slack, NOVEMBER + timedelta(hours=1))
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


async def test_my_hours_are_saved_from_a_modal_and_a_nudge_in_quiet_hours_waits(
    slack: Slack,
) -> None:
    """Amina works in New York: 11:00 in London is 06:00 there, in her quiet hours, so her
    check-in waits until 08:00 her time while Ruth's comes at once."""
    slack.api.dm_per_person = True
    await paired(slack)
    fields = command("mentoring", user_id=FRONTLINE, response_url=f"{slack.api.base_url}r.m")
    assert (await slack.form(fields)).status == 200
    (page,) = await slack.api.wait_for("r.m")
    found = next(
        e
        for b in page["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["text"]["text"] == "My hours"
    )
    modal = await open_modal(slack, {**in_dm(FRONTLINE, found), "channel": {"id": AMINAS_DM}})
    assert modal["callback_id"] == "mentoring.hours"
    days = next(b for b in modal["blocks"] if b.get("block_id") == "days")["element"]
    assert [o["value"] for o in days["initial_options"]] == ["0", "1", "2", "3", "4"]
    hours = {
        "days": ("0", "1", "2", "3", "4"),
        "quiet_from": "22:00",
        "quiet_until": "8am",
        "time_zone": "America/New_York",
    }
    wrong = await (await slack.interaction(submitted(FRONTLINE, modal, **hours))).json()
    assert wrong == {
        "response_action": "errors",
        "errors": {"quiet_until": "Please give a 24-hour time like 20:00."},
    }
    right = {**hours, "quiet_until": "08:00"}
    saved = await (await slack.interaction(submitted(FRONTLINE, modal, **right))).json()
    assert "Saved. Messages come on Mon, Tue, Wed, Thu, Fri, never from 22:00 to 08:00." in (
        json.dumps(saved)
    )

    await tick(slack)  # 11:00 UTC: 06:00 in New York
    assert len(notices(slack, f"D{SENIOR}", "Time for your")) == 1
    assert notices(slack, AMINAS_DM, "Time for your") == []
    later(slack, hours=1, minutes=59)  # 07:59 in New York
    await tick(slack)
    assert notices(slack, AMINAS_DM, "Time for your") == []
    later(slack, minutes=1)  # 08:00 in New York
    await tick(slack)
    assert len(notices(slack, AMINAS_DM, "Time for your")) == 1
    assert len(notices(slack, f"D{SENIOR}", "Time for your")) == 1


async def test_a_pair_not_met_two_rounds_running_is_told_to_the_coordinator_once(
    slack: Slack,
) -> None:
    await paired(slack)
    await tick(slack)  # November's round
    later(slack, days=28)  # Tuesday 1 December: November's round closes
    await tick(slack)
    assert posted(slack, "A pair in") == []  # one round missed is not yet stuck
    later(slack, days=35)  # Tuesday 5 January: December's closes, and nobody has met
    await tick(slack)
    await tick(slack)  # a second tick, or another replica: nothing new
    (alert,) = posted(slack, "A pair in")
    assert alert["text"] == f"A pair in {PROGRAMME} may need a hand"
    shown = json.dumps(alert["blocks"])
    assert f"{PROGRAMME}: Ruth and Amina have not met for two rounds in a row." in shown
    assert alert["channel"] == "D0NEWDM"  # Kwame's DM
    keys = await outbox_keys(slack, "mentoring:stuck:")
    assert [s for k, s in keys if ":slack:" in k] == ["sent"]


async def test_the_coordinator_changes_the_schedule_in_a_modal(slack: Slack) -> None:
    modal = await coordinator_modal(slack, "Change schedule")
    assert modal["callback_id"] == "mentoring.schedule"
    cadence = next(b for b in modal["blocks"] if b.get("block_id") == "cadence")["element"]
    assert cadence["initial_value"] == "Monthly on the first Tuesday"
    wrong = {"cadence": "now and then", "at": "10:00", "starts": "2026-09-01", "ends": ""}
    back = await (await slack.interaction(submitted(COORDINATOR, modal, **wrong))).json()
    assert back["response_action"] == "errors" and list(back["errors"]) == ["cadence"]
    fixed = {**wrong, "cadence": "every 2 weeks"}
    done = await (await slack.interaction(submitted(COORDINATOR, modal, **fixed))).json()
    assert done["response_action"] == "update"
    shown = json.dumps(done["view"])
    assert "Schedule changed" in shown
    assert f"{PROGRAMME}: Every other week at 10:00, from 1 Sep 2026." in shown

    again = await coordinator_modal(slack, "Change schedule")  # it is the programme's now
    cadence = next(b for b in again["blocks"] if b.get("block_id") == "cadence")["element"]
    assert cadence["initial_value"] == "Every other week"
    ends = next(b for b in again["blocks"] if b.get("block_id") == "ends")["element"]
    assert "initial_value" not in ends  # the programme no longer ends

    nosy = press(SENIOR, "mentoring.schedule", programme_value(KEY))
    assert (await slack.interaction(nosy)).status == 200
    (refused,) = await slack.api.wait_for("chat.postEphemeral")
    assert "Only the programme's coordinators can do that." in json.dumps(refused)
