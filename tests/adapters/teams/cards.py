"""Adaptive Cards checked against Microsoft's published 1.5 schema, wherever a test finds one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA = (
    Path(__file__).resolve().parents[2] / "schemas/adaptive-cards/adaptive-card.schema.1.5.0.json"
)
"""Kept with its licence in tests/schemas, so the check runs on any clone."""
CARD = "application/vnd.microsoft.card.adaptive"


@cache
def _validator() -> Any:
    schema = json.loads(SCHEMA.read_text())
    return jsonschema.validators.validator_for(schema)(schema)


def problems(card: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in _validator().iter_errors(card)]


def cards_in(payload: Any) -> Iterator[dict[str, Any]]:
    """Every Adaptive Card anywhere in an activity, a dialog or an invoke's answer."""
    if isinstance(payload, dict):
        if payload.get("contentType") == CARD and isinstance(payload.get("content"), dict):
            yield payload["content"]
        if payload.get("type") == "application/vnd.microsoft.card.adaptive":
            yield payload["value"]
        for value in payload.values():
            yield from cards_in(value)
    elif isinstance(payload, list):
        for item in payload:
            yield from cards_in(item)


def valid_cards(payload: Any) -> list[dict[str, Any]]:
    """The cards in `payload`, each asserted valid under the Adaptive Card 1.5 schema."""
    found = list(cards_in(payload))
    for card in found:
        assert card["version"] == "1.5"
        assert problems(card) == [], problems(card)
    return found


def texts(card: dict[str, Any]) -> list[str]:
    """Everything a card says, in order: text runs, text blocks, input labels, button titles."""
    said: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("text", "title", "label"):
                if isinstance(node.get(key), str):
                    said.append(node[key])
            for key, value in node.items():
                if key != "data":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card.get("body", []))
    return said


def actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every Action.Submit in a card, in order."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Submit":
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return found


def button(card: dict[str, Any], title: str) -> dict[str, Any]:
    """The data of the button titled `title`, as Teams sends it back when pressed."""
    (data,) = [a["data"] for a in actions(card) if a["title"] == title]
    return dict(data)


def dialog_card(answer: Any) -> dict[str, Any]:
    """The card a dialog shows, checked against the schema."""
    assert answer["task"]["type"] == "continue", answer
    (card,) = valid_cards(answer)
    return card


def filled(card: dict[str, Any], **answers: str) -> dict[str, Any]:
    """A form's send button pressed with `answers`: its data, and the inputs Teams adds."""
    (send,) = [a for a in actions(card) if "form" in a["data"].get("peerbot", {})]
    return {**send["data"], **answers}
