"""What the web form may do: speak up, and nothing else.

The page has no login, so anyone who can reach it can press any button it accepts. Only
the speak-up feature's own actions and forms are open here; every other feature stays
behind a chat platform that knows who is asking.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.actions import ActionId
from bot.events import Platform
from bot.features import speakup
from bot.features.help import OPEN
from bot.replies import Form

PATH = "/speakup"
COMMAND = "speakup"
ACTIONS: frozenset[ActionId] = frozenset(speakup.FEATURE.actions)
SPECS: Mapping[ActionId, Form] = {
    speakup.RAISE: speakup.raise_form(Platform.WEB),
    speakup.LOOKUP: speakup.LOOKUP_FORM,
    speakup.ADDED: speakup.add_form(),
    speakup.FEEDBACK_GIVEN: speakup.feedback_form(),
}
"""Each form the web pages show, as they show it: what a post of it may hold."""
FORMS: frozenset[ActionId] = frozenset(SPECS)


def opens_start(action: ActionId, value: str) -> bool:
    """A chat home button that opens speak-up is, on the web, a link to the first page."""
    return action == OPEN and value == speakup.FEATURE.name
