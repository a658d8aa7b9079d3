"""The words mentoring sends on its own: the round's check-in, the one gentle reminder, the
coordinator's alerts, the end-of-programme question and the notices of a change. Written
to be read on a phone at the end of a long shift: short, kind, one clear next step."""

from __future__ import annotations

from datetime import datetime

from bot.conversation.replies import Block, Button, Buttons, FieldItem, Fields, Reply, Text, When
from bot.mentoring.actions import CHECK_IN, FEEDBACK, HOURS, LEAVE, OPEN_PAIR, PAUSE, RESUME, SNOOZE
from bot.mentoring.payloads import pair_value
from storage.mentoring import Pair, PairStatus


def pair_ref(pair: Pair) -> str:
    assert pair.id is not None
    return pair_value(pair.id)


def member_buttons(pair: Pair) -> Buttons:
    """What a person can do about their pairing: check in, snooze, pause (or resume), leave,
    and say when they may be nudged."""
    ref = pair_ref(pair)
    first: tuple[Button, ...]
    if pair.status == PairStatus.PAUSED:
        first = (Button(label="Resume", action=RESUME, value=ref, style="primary"),)
    else:
        first = (
            Button(label="Check in", action=CHECK_IN, value=ref, style="primary"),
            Button(label="Snooze", action=SNOOZE, value=ref),
            Button(label="Pause", action=PAUSE, value=ref),
        )
    return Buttons(
        buttons=(
            *first,
            Button(label="Leave", action=LEAVE, value=ref, style="danger"),
            Button(label="My hours", action=HOURS),
        )
    )


def check_in(programme: str, partner: str, pair: Pair, opens_at: datetime) -> Reply:
    return Reply(
        summary=f"Time for your {programme} check-in",
        blocks=(
            Text(text="Time for a check-in", heading=True),
            Text(text=f"{programme}: how are things going with {partner}? It takes a minute."),
            When(label="This round opened", at=opens_at),
            member_buttons(pair),
        ),
    )


def reminder(programme: str, partner: str, pair: Pair, closes_at: datetime) -> Reply:
    return Reply(
        summary=f"A gentle reminder: your {programme} check-in",
        blocks=(
            Text(text="A gentle reminder", heading=True),
            Text(
                text=f"Your {programme} check-in is still open. "
                f"How are things going with {partner}?"
            ),
            When(label="This round closes", at=closes_at),
            member_buttons(pair),
        ),
    )


def open_pair(pair: Pair) -> Buttons:
    return Buttons(buttons=(Button(label="Open pair", action=OPEN_PAIR, value=pair_ref(pair)),))


def stuck(programme: str, names: tuple[str, str], pair: Pair) -> Reply:
    text = f"{programme}: {names[0]} and {names[1]} have not met for two rounds in a row."
    return Reply(
        summary=f"A pair in {programme} may need a hand",
        blocks=(
            Text(text="A pair may need a hand", heading=True),
            Text(text=text),
            Text(text="You may want to get in touch with them."),
            open_pair(pair),
        ),
    )


def help_wanted(programme: str, who: str, email: str, note: str, pair: Pair) -> Reply:
    blocks: list[Block] = [
        Text(text="Someone would like some help", heading=True),
        Text(text=f"{who} ({email}) asked for help at their {programme} check-in."),
    ]
    if note:
        blocks.append(Fields(items=(FieldItem(label="Their note for you", value=note),)))
    blocks += [
        Text(text="Please get in touch with them. We've told them you will."),
        open_pair(pair),
    ]
    return Reply(summary=f"Someone in {programme} would like some help", blocks=tuple(blocks))


def feedback_asked(programme: str, pair: Pair) -> Reply:
    return Reply(
        summary=f"{programme} has ended: how did it go?",
        blocks=(
            Text(text="Thank you for taking part", heading=True),
            Text(text=f"{programme} has come to an end. How did it go for you?"),
            Buttons(
                buttons=(
                    Button(label="Tell us", action=FEEDBACK, value=pair_ref(pair), style="primary"),
                )
            ),
        ),
    )


def notice(text: str) -> Reply:
    return Reply(summary=text, blocks=(Text(text=text),))
