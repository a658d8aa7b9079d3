"""Activity JSON as Teams sends it, for the tests: messages, card actions, dialogs, installs."""

from __future__ import annotations

from typing import Any

TENANT = "99999999-8888-7777-6666-555555555555"
BOT = "28:11111111-2222-3333-4444-555555555555"
USER = "5b8c2f1e-7a3d-4c6b-9e0f-1a2b3c4d5e6f"
"""A member of staff's Entra object id, which peerbot knows them by."""
PERSONAL_CHAT = "a:1personalchatWITHstaff"
CHANNEL = "19:lgbtqnetwork@thread.tacv2"


def activity(
    service_url: str,
    *,
    user: str = USER,
    conversation: str = PERSONAL_CHAT,
    kind: str = "personal",
    number: int = 1,
    **fields: Any,
) -> dict[str, Any]:
    """The envelope every Teams activity has; `fields` fill in the rest."""
    return {
        "type": "message",
        "id": f"1700000000{number:03d}",
        "timestamp": "2026-11-02T09:00:00.000Z",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": sender(user),
        "conversation": {"id": conversation, "conversationType": kind, "tenantId": TENANT},
        "recipient": {"id": BOT, "name": "peerbot"},
        "entities": [
            {"type": "clientInfo", "locale": "en-GB", "country": "GB", "timezone": "Europe/London"}
        ],
        "channelData": {"tenant": {"id": TENANT}},
        **fields,
    }


def sender(user: str) -> dict[str, str]:
    """Who sent an activity, as Teams says: the Teams id peerbot alone sees, and their
    Entra object id."""
    return {"id": teams_id(user), "name": "Someone", "aadObjectId": user}


def teams_id(user: str) -> str:
    return f"29:1{user.replace('-', '')}"


def said(service_url: str, text: str, **kw: Any) -> dict[str, Any]:
    return activity(service_url, text=text, textFormat="plain", **kw)


def mentioned(service_url: str, text: str, **kw: Any) -> dict[str, Any]:
    """`@peerbot <text>` in a channel."""
    body = activity(
        service_url,
        text=f"<at>peerbot</at> {text}",
        conversation=f"{CHANNEL};messageid=1700000000001",
        kind="channel",
        **kw,
    )
    body["entities"].append(
        {"type": "mention", "text": "<at>peerbot</at>", "mentioned": {"id": BOT, "name": "peerbot"}}
    )
    body["channelData"] |= {"team": {"id": "19:team@thread.tacv2"}, "channel": {"id": CHANNEL}}
    return body


def pressed(service_url: str, card: str, data: dict[str, Any], **kw: Any) -> dict[str, Any]:
    """An Action.Submit on the card posted as activity `card`: a message with its data."""
    return activity(service_url, value=data, replyToId=card, **kw)


def invoke(service_url: str, name: str, value: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return activity(service_url, type="invoke", name=name, value=value, **kw)


def fetch(service_url: str, data: dict[str, Any], **kw: Any) -> dict[str, Any]:
    """A button asking for a dialog (`msteams: {type: task/fetch}` in its data)."""
    return invoke(service_url, "task/fetch", {"data": data, "context": {"theme": "default"}}, **kw)


def submit(service_url: str, data: dict[str, Any], **kw: Any) -> dict[str, Any]:
    """A dialog's Action.Submit: its data with the dialog's inputs merged in."""
    return invoke(service_url, "task/submit", {"data": data, "context": {"theme": "default"}}, **kw)


def installed(service_url: str, **kw: Any) -> dict[str, Any]:
    """peerbot added to someone's personal scope."""
    return activity(
        service_url,
        type="conversationUpdate",
        membersAdded=[{"id": BOT}],
        **kw,
    )
