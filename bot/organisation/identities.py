"""People's ids on each platform, as they are kept and compared: one rule for the
organisation file, a coordinator's form and a CSV of pairs alike."""

from __future__ import annotations

import re

ENTRA_ID = re.compile(r"[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}")
NOT_ENTRA = (
    "is not a Microsoft Entra object ID, which looks like 5b8c2f1e-7a3d-4c6b-9e0f-1a2b3c4d5e6f"
)
"""People are known on Teams by their Entra object id: the one id Teams shows peerbot that an
administrator can also look up (Teams' own `29:` ids are not), and which opens a chat."""


def id_given(platform: str, user_id: str) -> str:
    """An id as it is kept and compared: an Entra object id in lower case, as Teams sends
    it, so one copied in capitals still finds its person."""
    return user_id.lower() if platform == "teams" else user_id


def id_problem(platform: str, user_id: str) -> str | None:
    """Why this id cannot name anyone on `platform`, or None when it can."""
    if platform == "teams" and not ENTRA_ID.fullmatch(id_given(platform, user_id)):
        return f"{user_id} {NOT_ENTRA}"
    return None
