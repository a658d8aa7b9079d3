"""The Teams app package an administrator uploads: manifest.json (schema v1.22) and its two
icons, in one zip, made for this organisation's bot registration and address."""

from __future__ import annotations

import io
import json
import re
import zipfile
from importlib.metadata import version
from typing import Any

from adapters.teams.icons import ACCENT, colour, outline

MANIFEST_SCHEMA = (
    "https://developer.microsoft.com/en-us/json-schemas/teams/v1.22/MicrosoftTeams.schema.json"
)
GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
HOST = re.compile(
    r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"
)
SCOPES = ["personal", "team"]
COMMANDS = {
    "speakup": "Raise a concern safely, anonymously if you need to, or check on one",
    "events": "Staff network events: find one, sign up, or cancel",
    "mentoring": "Mentoring programmes and who coordinates each one",
    "support": "Wellbeing support and crisis contacts",
    "help": "What peerbot can do",
}
"""What Teams suggests as people type to peerbot; each is a command peerbot answers."""


class BadPackage(ValueError):
    """An app id or host the package cannot be made for; the message says which."""


def host_of(given: str) -> str:
    """The host alone (`peerbot.example.nhs.uk`), from a host or an https address."""
    host = given.strip().removeprefix("https://").removeprefix("http://").rstrip("/")
    if not HOST.fullmatch(host):
        raise BadPackage(
            "--host: use the address staff reach peerbot at, like peerbot.example.nhs.uk "
            f"(not {given!r})"
        )
    return host.lower()


def manifest(
    app_id: str, host: str, *, privacy_url: str | None = None, terms_url: str | None = None
) -> dict[str, Any]:
    if not GUID.fullmatch(app_id):
        raise BadPackage("--app-id: use the bot's Microsoft app id from Azure (a GUID)")
    site = f"https://{host_of(host)}"
    return {
        "$schema": MANIFEST_SCHEMA,
        "manifestVersion": "1.22",
        "version": version("peerbot"),
        "id": app_id,
        "developer": {
            "name": "peerbot",
            "websiteUrl": site,
            "privacyUrl": privacy_url or f"{site}/speakup",
            "termsOfUseUrl": terms_url or f"{site}/speakup",
        },
        "name": {"short": "peerbot", "full": "peerbot: speak up, staff networks and support"},
        "description": {
            "short": "Speak up safely, and find staff networks, mentoring and support.",
            "full": (
                "peerbot supports staff in large organisations. Raise a concern with a Freedom "
                "to Speak Up guardian, anonymously if you need to, in a private window your "
                "chat keeps no copy of, and come back with a case code to read replies. Find "
                "your staff networks' events and sign up, see mentoring programmes and who to "
                "contact about each, and wellbeing support and crisis contacts whenever you "
                "need them."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": ACCENT,
        "bots": [
            {
                "botId": app_id,
                "scopes": SCOPES,
                "isNotificationOnly": False,
                "supportsFiles": False,
                "commandLists": [
                    {
                        "scopes": SCOPES,
                        "commands": [
                            {"title": title, "description": text}
                            for title, text in COMMANDS.items()
                        ],
                    }
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [host_of(host)],
    }


def package(
    app_id: str, host: str, *, privacy_url: str | None = None, terms_url: str | None = None
) -> bytes:
    """The zip Teams takes: manifest.json, color.png and outline.png at its top level."""
    made = manifest(app_id, host, privacy_url=privacy_url, terms_url=terms_url)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(made, indent=2) + "\n")
        archive.writestr("color.png", colour())
        archive.writestr("outline.png", outline())
    return buffer.getvalue()
