"""Typed button and choice payloads, encoded and checked in one place, never parsed by hand.

A payload is a small frozen dataclass; the string a platform carries (a Slack button's
`value`, a web form's hidden field, a console pick) is its fields in order, joined by
`:` like aiogram's CallbackData, so a one-field payload reads as its value. Decoding checks
every field's type and constraints: whatever comes back from a platform may be garbled,
stale or hostile, and gets help rather than a crash.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, ClassVar, Protocol, TypeVar

from pydantic import Field, StringConstraints, TypeAdapter, ValidationError

SEPARATOR = ":"
MAX_LENGTH = 2000
"""Slack's limit for a button's value, the tightest of the platforms."""


class Payload(Protocol):
    """Any dataclass (the protocol typeshed gives dataclasses)."""

    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]


P = TypeVar("P", bound=Payload)


class BadPayload(ValueError):
    """A value no button of ours carries; the router answers it with help. Its message
    names the payload's kind, never the value (which may be anything someone sent)."""


def encode(payload: Payload) -> str:
    parts = [str(getattr(payload, f.name)) for f in dataclasses.fields(payload)]
    if any(SEPARATOR in part for part in parts):
        raise ValueError(f"a {type(payload).__name__} field holds {SEPARATOR!r}")
    text = SEPARATOR.join(parts)
    if len(text) > MAX_LENGTH:
        raise ValueError(f"a {type(payload).__name__} is too long to carry")
    return text


def decode(kind: type[P], text: str) -> P:
    """The payload `text` carries, checked; a BadPayload when it is not one of ours."""
    names = [f.name for f in dataclasses.fields(kind)]
    parts = text.split(SEPARATOR)
    if len(text) > MAX_LENGTH or len(parts) != len(names):
        raise BadPayload(f"not a {kind.__name__}")
    adapter: TypeAdapter[P] = _adapter(kind)
    try:
        return adapter.validate_python(dict(zip(names, parts, strict=True)))
    except ValidationError:
        raise BadPayload(f"not a {kind.__name__}") from None


@cache
def _adapter(kind: type[P]) -> TypeAdapter[P]:
    return TypeAdapter(kind)


RowId = Annotated[int, Field(ge=1, le=2**63 - 1)]
"""A row's id, as a button about it carries it."""
OrgKey = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
"""A key from the organisation file (a network's, a programme's), as a button carries it."""

FeatureName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


@dataclass(frozen=True, slots=True, kw_only=True)
class FeatureRef:
    """A button that opens a feature (help's menu, a home page's shortcut)."""

    feature: FeatureName


def named_feature(text: str) -> str | None:
    """The feature a FeatureRef value names, or None when it is not one."""
    try:
        return decode(FeatureRef, text).feature
    except BadPayload:
        return None
