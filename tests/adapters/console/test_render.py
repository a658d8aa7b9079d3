"""Neutral replies as terminal text: a secret stays on one line, exactly as it is."""

from __future__ import annotations

from adapters.console.render import WIDTH, render
from bot.conversation.replies import Reply, Secret

PASSPHRASE = "ABCDE-FGHJK-MNPQR-STUVW"


def test_a_secret_is_never_wrapped_even_on_a_long_line() -> None:
    """textwrap breaks at hyphens: a passphrase split over two lines is copied wrong."""
    label = "Your passphrase, which you need with your case code to come back " * 2
    text = render(Reply(summary="x", blocks=(Secret(label=label, value=PASSPHRASE),)), [])
    assert len(text) > WIDTH
    assert text.splitlines() == [f"{label}: {PASSPHRASE}"]
