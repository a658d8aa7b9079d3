"""/metrics after a whole speak-up flow through the real Slack endpoint: every counter moved,
and nothing in the scrape names a person, a case or what anyone typed."""

from __future__ import annotations

import json
from collections.abc import Callable

from prometheus_client.parser import text_string_to_metric_families

from bot.conversation.inbound import Platform
from bot.conversation.monitor import Delivery
from tests.adapters.slack.test_endpoint import Slack
from tests.adapters.slack.test_endpoint import slack as slack  # the fixture
from tests.adapters.slack.test_speakup_anonymity import REPORTER
from tests.adapters.slack.test_speakup_casework import (
    GUARDIAN,
    filled,
    open_modal,
    press,
    raise_anonymously,
)
from tests.scenarios.test_speak_up import CONCERN
from tests.waiting import eventually

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
WRONG_CODE, WRONG_PHRASE = "SU-2345-67", "WRONG-GUESS-FROM-THEM"
LABELS = {
    "route": {"/slack/events", "/metrics", "/healthz", "/readyz", "unmatched"},
    "outcome": {"2xx", "3xx", "4xx", "5xx", "ok", "failed", *Delivery},
    "platform": set(Platform),
    "state": {"due", "later", "sending", "failed"},
}
"""Every label a scrape may carry, and the values it may take: fixed sets, nothing typed."""


def samples(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(scraped: Samples, name: str, **labels: str) -> float:
    return scraped.get((name, frozenset(labels.items())), 0.0)


async def scrape(slack: Slack) -> str:
    response = await slack.client.get("/metrics")
    assert response.status == 200
    assert response.content_type == "text/plain"
    return await response.text()


async def scraped_once(slack: Slack, ready: Callable[[Samples], bool]) -> Samples:
    """The scrape once `ready` holds of it: the worker and the tick run in the background."""

    async def look() -> Samples | None:
        found = samples(await scrape(slack))
        return found if ready(found) else None

    return await eventually(look)


async def test_a_speak_up_flow_moves_every_counter_and_leaves_no_trace_in_the_scrape(
    slack: Slack,
) -> None:
    before = samples(await scrape(slack))
    code, phrase, _view = await raise_anonymously(slack)
    await slack.api.wait_for("chat.postMessage")  # the guardians' alert, from the outbox
    check = await open_modal(slack, press(REPORTER, "speakup.check"))
    answers = []
    for _ in range(6):  # five misses, then the guess limit
        guess = filled(REPORTER, check, code=WRONG_CODE, passphrase=WRONG_PHRASE)
        answers.append(json.dumps(await (await slack.interaction(guess)).json()))
    assert all("could not open a case" in a for a in answers[:5])
    assert "too many tries" in answers[-1]
    assert (await slack.client.get(f"/cases/{code}")).status == 404

    after = await scraped_once(
        slack,
        lambda s: (
            value(s, "peerbot_outbox_deliveries_total", platform="slack", outcome="sent") > 0
            and value(s, "peerbot_ticks_total", outcome="ok") > 0
        ),
    )
    text = await scrape(slack)

    events = {"route": "/slack/events"}
    assert (
        value(after, "peerbot_http_requests_total", outcome="2xx", **events)
        >= value(before, "peerbot_http_requests_total", outcome="2xx", **events) + 9
    )  # the form opened and sent, the check opened, six guesses
    assert value(after, "peerbot_http_request_duration_seconds_count", **events) >= 9
    assert value(after, "peerbot_http_requests_total", route="unmatched", outcome="4xx") == 1
    assert value(after, "peerbot_speakup_lookups_refused_total") == 1
    assert value(after, "peerbot_tick_duration_seconds_count") >= 1
    assert ("peerbot_outbox_messages", frozenset({("state", "due")})) in after
    assert ("peerbot_outbox_oldest_due_age_seconds", frozenset()) in after

    for trace in (REPORTER, f"D0{REPORTER}", GUARDIAN, "C07GUARDIANS", code, phrase, CONCERN):
        assert trace not in text
    for typed in (WRONG_CODE, WRONG_PHRASE):
        assert typed not in text
    for (_name, labels), _ in after.items():
        for label, label_value in labels:
            if label in {"le", "quantile"}:
                continue
            assert label_value in LABELS.get(label, set()), f"{label}={label_value!r}"
