"""The events feature's buttons and forms, named once so every module (and every
message queued for later) presses the same ones."""

from __future__ import annotations

from bot.conversation.actions import ActionId

NAME = "events"

OPEN = ActionId(NAME, "open")
"""Show one date of an event: description, accessibility, buttons (OccurrenceRef)."""
SIGN_UP = ActionId(NAME, "signup")
CANCEL = ActionId(NAME, "cancel")
CLAIM = ActionId(NAME, "claim")
"""Take the place offered from the waitlist (OccurrenceRef)."""
DECLINE = ActionId(NAME, "decline")
NEEDS = ActionId(NAME, "needs")
"""The optional access-needs question after signing up (a form)."""
JOIN = ActionId(NAME, "join")
LEAVE = ActionId(NAME, "leave")
MUTE = ActionId(NAME, "mute")
UNMUTE = ActionId(NAME, "unmute")
MEMBERS = ActionId(NAME, "members")
"""Who is in a network, for its leads alone (NetworkRef)."""
