"""What the web form may do: speak up, and nothing else.

The page has no login, so anyone who can reach it can press any button it accepts. Only
the speak-up feature's own actions and forms are open here; every other feature stays
behind a chat platform that knows who is asking.
"""

from __future__ import annotations

from bot.actions import ActionId
from bot.features import speakup
from bot.features.help import OPEN

PATH = "/speakup"
COMMAND = "speakup"
ACTIONS: frozenset[ActionId] = frozenset(speakup.FEATURE.actions)
FORMS: frozenset[ActionId] = frozenset(speakup.FEATURE.forms)


def opens_start(action: ActionId, value: str) -> bool:
    """A chat home button that opens speak-up is, on the web, a link to the first page."""
    return action == OPEN and value == speakup.FEATURE.name
