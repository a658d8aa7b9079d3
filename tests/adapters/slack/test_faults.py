"""Slack's answer arrives whatever the Web API or the database is doing: a reply Slack
refused goes out later, once; a locked database never costs an ack or a reply."""

from __future__ import annotations

import asyncio
import logging

import pytest
from aiohttp import web
from sqlmodel import func, select

from bot.conversation.forms import SAVE_LATER
from storage.outbox import OutboxRow
from storage.speakup.cases import Case
from tests.adapters.database_lock import locked
from tests.adapters.slack.test_endpoint import Slack, command, dm
from tests.adapters.slack.test_endpoint import slack as slack  # the fixture
from tests.adapters.slack.test_speakup_anonymity import REPORTER, submission
from tests.waiting import eventually

HELLO = "Hello. I'm peerbot. Here is what I can help with:"
ACK_DEADLINE = 3.0
"""Slack's own: an ack later than this counts as failed, and Slack retries or gives up."""
SHUTDOWN_BOUND = 30.0
"""Generous: a shutdown that takes longer than this has hung."""


def broken() -> web.Response:
    return web.json_response({"ok": False, "error": "internal_error"}, status=500)


async def outbox(slack: Slack) -> list[OutboxRow]:
    async with slack.runtime.db.session(write=False) as session:
        return list((await session.exec(select(OutboxRow))).all())


async def settled(slack: Slack) -> list[OutboxRow]:
    """The outbox once its worker, running in the background, has drained: a send in
    flight is finished and its outcome recorded."""
    assert slack.runtime.worker is not None
    await slack.runtime.worker.stop()
    return await outbox(slack)


async def test_a_dm_reply_slack_failed_is_delivered_later_exactly_once(slack: Slack) -> None:
    slack.api.fail_next("chat.postMessage", broken())
    assert (await slack.event(dm("help", event_id="EvFlaky"))).status == 200
    first, second = await slack.api.wait_for("chat.postMessage", 2)
    assert {k: v for k, v in second.items() if k != "metadata"} == first  # marked for the outbox
    assert (second["channel"], second["text"]) == ("D1", HELLO)

    retry = await slack.event(
        dm("help", event_id="EvFlaky"), headers={"X-Slack-Retry-Num": "1"}
    )  # Slack's own retry of the event changes nothing
    assert retry.status == 200
    assert slack.runtime.worker is not None
    assert await slack.runtime.worker.run_once() == 0
    (row,) = await settled(slack)
    assert row.status == "sent"
    assert len(slack.api.of("chat.postMessage")) == 2


async def test_a_slash_command_reply_the_response_url_refused_reaches_the_person(
    slack: Slack,
) -> None:
    slack.api.fail_next("response.reply", broken())
    fields = command("support", response_url=f"{slack.api.base_url}response.reply")
    assert (await slack.form(fields)).status == 200
    (posted,) = await slack.api.wait_for("chat.postMessage")
    # only to the person, in their DM with peerbot: never openly where they asked
    assert slack.api.of("conversations.open") == [{"users": "U123"}]
    assert (posted["channel"], posted["text"]) == ("D0NEWDM", "Support and crisis contacts")
    assert len(slack.api.of("response.reply")) == 1


async def test_a_slash_command_delivered_twice_whose_reply_failed_is_queued_once(
    slack: Slack,
) -> None:
    """Keyed by Slack's trigger id, not a random number: the same command twice (a
    replayed request, a proxy's retry) leaves one message to send later."""
    queued = Heard()
    logging.getLogger("adapters.answering").addHandler(queued)
    fields = command("support", response_url=f"{slack.api.base_url}response.reply")
    try:
        for _ in range(2):
            queued.event.clear()
            slack.api.fail_next("response.reply", broken())
            assert (await slack.form(fields)).status == 200
            await asyncio.wait_for(queued.event.wait(), 5)  # "queued for the outbox"
    finally:
        logging.getLogger("adapters.answering").removeHandler(queued)
    # Stopping the worker claims nothing new, so wait for the delivery it owes first.
    await slack.api.wait_for("chat.postMessage")
    (row,) = await settled(slack)
    assert row.status == "sent"
    assert len(slack.api.of("chat.postMessage")) == 1


async def test_a_speak_up_reply_that_failed_is_queued_only_sealed_and_sent_once(
    slack: Slack,
) -> None:
    slack.api.fail_next("chat.postMessage", broken())
    assert (await slack.event(dm("speakup", event_id="EvSecret"))).status == 200
    first, second = await slack.api.wait_for("chat.postMessage", 2)
    assert {k: v for k, v in second.items() if k != "metadata"} == first
    (row,) = await settled(slack)
    assert row.status == "sent" and row.sealed is not None
    assert row.address is None and row.reply is None and "EvSecret" not in row.dedupe_key


class Heard(logging.Handler):
    """Sets `event` when its logger logs at `level` or above: how a test waits for
    something that happens inside the app."""

    def __init__(self, level: int = logging.WARNING) -> None:
        super().__init__(level)
        self.event = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.event.set()


async def test_a_dm_during_a_long_database_lock_is_acked_at_once_and_answered_after(
    slack: Slack,
) -> None:
    heard = Heard()
    logging.getLogger("adapters.patience").addHandler(heard)
    try:
        async with locked(slack.runtime):
            async with asyncio.timeout(ACK_DEADLINE):
                response = await slack.event(dm("help", event_id="EvLocked"))
            assert response.status == 200
            await heard.event.wait()  # the first try outlasted the database's busy timeout
            assert slack.api.of("chat.postMessage") == []
    finally:
        logging.getLogger("adapters.patience").removeHandler(heard)
    (posted,) = await slack.api.wait_for("chat.postMessage")
    assert posted["text"] == HELLO


async def test_a_slash_command_during_a_database_lock_is_acked_and_answered(
    slack: Slack,
) -> None:
    fields = command("support", response_url=f"{slack.api.base_url}response.reply")
    async with locked(slack.runtime):
        async with asyncio.timeout(ACK_DEADLINE):
            response = await slack.form(fields)
        assert response.status == 200
        # reading the directory takes no write lock, so the answer need not wait for it
        (answer,) = await slack.api.wait_for("response.reply")
    assert answer["text"] == "Support and crisis contacts"


SPEAK_UP = {
    "type": "block_actions",
    "team": {"id": "T1"},
    "user": {"id": REPORTER},
    "channel": {"id": "D0REPORTERDM"},
    "trigger_id": "trig-9",
    "actions": [{"type": "button", "action_id": "speakup.start#0", "value": ""}],
}
"""The speak-up button pressed: the form opens."""


async def test_a_form_sent_during_a_database_lock_stays_open_and_a_resend_makes_one_case(
    slack: Slack,
) -> None:
    await slack.interaction(SPEAK_UP)
    (opened,) = await slack.api.wait_for("views.open")
    form = submission(opened["view"], "anonymous")
    form["view"]["blocks"] = opened["view"]["blocks"]  # Slack sends the view as shown

    async with locked(slack.runtime):
        async with asyncio.timeout(ACK_DEADLINE):
            refused = await slack.interaction(form)
        assert refused.status == 200
        first_input = next(b for b in opened["view"]["blocks"] if b["type"] == "input")
        assert await refused.json() == {
            "response_action": "errors",
            "errors": {first_input["block_id"]: SAVE_LATER},
        }

    confirmed = await (await slack.interaction(form)).json()  # Submit, pressed again
    assert confirmed["response_action"] == "update"
    assert "SU-" in str(confirmed["view"])
    async with slack.runtime.db.session(write=False) as session:
        assert (await session.exec(select(func.count()).select_from(Case))).one() == 1


async def shutdown_begun(slack: Slack) -> asyncio.Task[None]:
    """Starts shutting the app down; returns once shutdown waits for acked work (or, when
    it does not wait, once it is over), with the shutdown still to be awaited."""
    draining = Heard(logging.INFO)
    log = logging.getLogger("adapters.acked")
    level = log.level
    log.setLevel(logging.INFO)
    log.addHandler(draining)
    try:
        closing = asyncio.create_task(slack.client.close())
        waiting = asyncio.create_task(draining.event.wait())
        async with asyncio.timeout(SHUTDOWN_BOUND):
            await asyncio.wait({closing, waiting}, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
    finally:
        log.removeHandler(draining)
        log.setLevel(level)
    return closing


async def test_a_dm_acked_just_before_shutdown_is_still_answered(slack: Slack) -> None:
    """SIGTERM in a burst: Slack has the ack, so the reply must go out before the database
    and the outbox close. Here the database is locked until shutdown has begun."""
    busy = Heard()
    logging.getLogger("adapters.patience").addHandler(busy)
    try:
        async with locked(slack.runtime):
            assert (await slack.event(dm("help", event_id="EvLast"))).status == 200
            await busy.event.wait()  # the answer is under way, waiting for the database
            closing = await shutdown_begun(slack)
        await closing
    finally:
        logging.getLogger("adapters.patience").removeHandler(busy)
    (posted,) = slack.api.of("chat.postMessage")
    assert posted["text"] == HELLO


async def test_a_form_still_saving_at_shutdown_is_saved(slack: Slack) -> None:
    """Past Slack's deadline the person was asked to submit again; if they cannot (the
    app is going down), what they sent is still saved, and the receipt makes a resend
    the same case."""
    await slack.interaction(SPEAK_UP)
    (opened,) = await slack.api.wait_for("views.open")
    form = submission(opened["view"], "anonymous")
    async with locked(slack.runtime):
        refused = await (await slack.interaction(form)).json()
        assert refused["response_action"] == "errors"  # still saving, under the lock
        closing = await shutdown_begun(slack)
    await closing
    async with slack.runtime.db.session(write=False) as session:
        assert (await session.exec(select(func.count()).select_from(Case))).one() == 1


async def test_a_press_without_slacks_trigger_opens_nothing_and_fails_nothing(
    slack: Slack, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack sends a trigger with every press; a payload without one (never Slack's own)
    cannot open the form the press asks for, and is left unanswered, not a failure."""
    caplog.set_level(logging.INFO)
    press = {**SPEAK_UP, "trigger_id": ""}
    assert (await slack.interaction(press)).status == 200

    async def warned() -> str | None:
        said = [r.getMessage() for r in caplog.records if r.name == "adapters.slack.app"]
        return next((s for s in said if "needs what Slack did not send" in s), None)

    assert await eventually(warned, within=5) == "slack: OpenForm needs what Slack did not send"
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert slack.api.of("views.open") == []
