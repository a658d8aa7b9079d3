"""What people write in mentoring, sealed before it is stored and opened only to be shown
to those it was written for."""

from __future__ import annotations

from bot.conversation.sealing import Sealer, open_sealed, seal


def sealed(sealer: Sealer, text: str) -> str | None:
    """Nothing is stored for nothing written."""
    return seal(sealer, {"text": text}) if text else None


def opened(sealer: Sealer, token: str | None) -> str:
    if not token:
        return ""
    return str(open_sealed(sealer, token).get("text", ""))


def sealed_answers(sealer: Sealer, answers: dict[str, str]) -> str | None:
    """The programme's questions and what was said to each, kept together."""
    kept = {question: text for question, text in answers.items() if text}
    return seal(sealer, {"answers": kept}) if kept else None


def opened_answers(sealer: Sealer, token: str | None) -> dict[str, str]:
    """Question -> what was said to it."""
    if not token:
        return {}
    answers = open_sealed(sealer, token).get("answers", {})
    return {str(k): str(v) for k, v in answers.items()} if isinstance(answers, dict) else {}
