"""Mentoring's buttons and forms, named once so every module (and every message queued
for later) presses the same ones."""

from __future__ import annotations

from bot.conversation.actions import ActionId

NAME = "mentoring"

CHECK_IN = ActionId(NAME, "checkin")
"""Open this round's check-in for a pair (PairRef); also the check-in form."""
RECORD_ACTIONS = ActionId(NAME, "record_actions")
"""The senior partner's second form after "Met": what they will do."""
SNOOZE = ActionId(NAME, "snooze")
SNOOZE_FORM = ActionId(NAME, "snooze_form")
PAUSE = ActionId(NAME, "pause")
PAUSE_FORM = ActionId(NAME, "pause_form")
RESUME = ActionId(NAME, "resume")
LEAVE = ActionId(NAME, "leave")
LEAVE_FORM = ActionId(NAME, "leave_form")
HOURS = ActionId(NAME, "hours")
"""My hours: the button and its form."""
FEEDBACK = ActionId(NAME, "feedback")
"""End-of-programme feedback: the button and its form."""

HEALTH = ActionId(NAME, "health")
"""A coordinator's programme health (ProgrammeRef)."""
PAIRS = ActionId(NAME, "pairs")
OPEN_PAIR = ActionId(NAME, "open_pair")
ADD_PAIR = ActionId(NAME, "add_pair")
"""The coordinator's Add a pair: the button (ProgrammeRef) and its form."""
SCHEDULE = ActionId(NAME, "schedule")
"""The coordinator's Change schedule: the button (ProgrammeRef) and its form."""
