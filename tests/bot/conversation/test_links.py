"""Links: web pages, emails and phone numbers only, each safe to put in Slack and HTML."""

from __future__ import annotations

import pytest

from bot.conversation.replies import Link, check_url, email_link, phone_link


@pytest.mark.parametrize(
    "url",
    [
        "https://www.england.nhs.uk/ourwork/freedom-to-speak-up/",
        "http://intranet.local/speak-up?ward=9",
        "mailto:amara.okafor@riverside.example.nhs.uk",
        "tel:+441615550142",
        "tel:01615550142",
    ],
)
def test_these_are_links(url: str) -> None:
    assert check_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,<b>hi</b>",
        "file:///etc/passwd",
        "https:no-host",
        "https://a.example/|label>",
        'https://a.example/" onclick="x',
        "https://a.example/\x1b[2J",
        "mailto:not an address",
        "tel:call me",
        "tel:",
        "",
    ],
)
def test_anything_else_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="not a link"):
        Link(label="x", url=url)


def test_a_phone_number_is_called_as_its_digits_and_shown_as_written() -> None:
    link = phone_link("0161 555 0142")
    assert (link.label, link.url) == ("0161 555 0142", "tel:01615550142")
    written = "0161 555 0142 (ext. 4142)"
    assert phone_link(written) == Link(label=written, url="tel:01615550142")
    with pytest.raises(ValueError, match="not a link"):
        phone_link("ext. 4142")
    assert email_link("a@b.example").url == "mailto:a@b.example"
