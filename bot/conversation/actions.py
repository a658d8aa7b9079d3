"""Typed action ids, so no handler ever splits "feature.name" strings by hand."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ActionId:
    """Names a button, a choice or a form: the feature that owns it and its name there.

    Platforms carry it as the string `feature.name` (Slack `action_id`, a Teams
    `Action.Submit` data field, a console menu entry).
    """

    feature: str
    name: str

    def __post_init__(self) -> None:
        for part in (self.feature, self.name):
            if not part or "." in part or len(part) > 60:
                raise ValueError(f"bad action id part {part!r}")

    def __str__(self) -> str:
        return f"{self.feature}.{self.name}"

    @classmethod
    def parse(cls, text: str) -> ActionId:
        """Read `feature.name`; a ValueError tells an adapter the payload is not ours."""
        feature, sep, name = text.partition(".")
        if not sep:
            raise ValueError(f"not an action id: {text!r}")
        return cls(feature, name)


OPEN = ActionId("help", "open")
"""A button whose value names a feature: pressing it opens that feature as its first command
would. Help answers it; any feature may offer one (speak-up's home part does)."""
