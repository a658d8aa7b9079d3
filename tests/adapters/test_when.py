"""Each adapter shows a moment on the viewer's clock: Slack's own token, the console user's
zone, and the organisation's zone on the web, named."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from adapters.console.render import render_all
from adapters.slack.render import message
from adapters.web.render import page
from bot.conversation.replies import Attachment, Reply, When

AT = datetime(2026, 12, 1, 14, 30, tzinfo=UTC)
STARTS = Reply(summary="Network meeting", blocks=(When(label="Starts", at=AT),))


def test_slack_shows_it_with_its_date_token_for_each_viewer() -> None:
    text = json.dumps(message(STARTS)["blocks"])
    stamp = int(AT.timestamp())
    assert f"<!date^{stamp}^{{date_short_pretty}} at {{time}}|Tue 1 Dec 2026 at 14:30 UTC>" in text


def test_the_console_shows_it_in_the_console_users_zone() -> None:
    text, _ = render_all([STARTS], ZoneInfo("Asia/Kolkata"))
    assert "Starts: Tue 1 Dec 2026 at 20:00 IST" in text


def test_the_web_shows_it_in_the_organisations_zone_and_says_which() -> None:
    html = page([STARTS], token="t" * 43, zone=ZoneInfo("Europe/London"))
    assert '<time datetime="2026-12-01T14:30:00+00:00">' in html
    assert "Tue 1 Dec 2026 at 14:30 GMT (Europe/London time)" in html


def test_the_web_page_says_it_cannot_give_a_file() -> None:
    invite = Attachment(name="invite.ics", media_type="text/calendar", data=b"x")
    html = page([Reply(summary="Invite", files=(invite,))], token="t" * 43)
    assert "This page cannot give you the file invite.ics." in html
