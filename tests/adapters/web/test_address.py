"""The address `peerbot run` prints for the web form is one a person can open."""

from __future__ import annotations

import pytest

from adapters.web import url
from bot.organisation.config import load_settings


@pytest.mark.parametrize(
    ("host", "shown"),
    [
        ("0.0.0.0", "http://localhost:8080/speakup"),
        ("127.0.0.1", "http://127.0.0.1:8080/speakup"),
        ("::1", "http://[::1]:8080/speakup"),
    ],
)
def test_the_printed_address_opens_the_form(host: str, shown: str) -> None:
    assert url(load_settings(PEERBOT_HOST=host, PORT=8080)) == shown


def test_behind_a_public_address_that_is_the_one_shown() -> None:
    settings = load_settings(PEERBOT_PUBLIC_URL="https://peerbot.example.nhs.uk/")
    assert url(settings) == "https://peerbot.example.nhs.uk/speakup"
