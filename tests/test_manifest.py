"""manifest.yml: valid under Slack's published schema, and true to what peerbot serves."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import yaml

from tests.bot.organisation.test_directory_features import unsealed

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "tests" / "schemas" / "slack-manifest" / "manifest.schema.1.0.0.json"
"""Slack's published manifest schema, kept with its licence so the check runs on any clone."""


MANIFEST = yaml.safe_load((ROOT / "manifest.yml").read_text())


def test_every_command_and_shortcut_the_manifest_promises_is_answered() -> None:
    router = unsealed()
    commands = [c["command"] for c in MANIFEST["features"]["slash_commands"]]
    shortcuts = [s["callback_id"] for s in MANIFEST["features"]["shortcuts"]]
    assert commands == ["/speakup", "/events", "/mentoring", "/support", "/peerbot"]
    assert all(router.answers(name) for name in [*commands[:-1], *shortcuts, "help"])


def test_the_endpoint_and_events_match_what_the_adapter_serves() -> None:
    settings = MANIFEST["settings"]
    urls = [c["url"] for c in MANIFEST["features"]["slash_commands"]]
    urls += [
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
    ]
    assert {url.rsplit("/", 2)[-2:] == ["slack", "events"] for url in urls} == {True}
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "app_mention",
        "message.im",
    }


def test_manifest_matches_slacks_schema() -> None:
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(MANIFEST)]
    assert errors == []


SCOPES_NEEDED = {
    "chat_postMessage": {"chat:write"},
    "chat_postEphemeral": {"chat:write"},
    "conversations_open": {"im:write"},
    "conversations_history": {"im:history", "channels:history", "groups:history"},
    "files_upload_v2": {"files:write"},
    "views_open": set(),
    "views_push": set(),
    "views_update": set(),
    "views_publish": set(),
    "send_socket_mode_response": set(),
}
"""Slack's bot scopes for each Web API method the adapter calls (api.slack.com/methods)."""
CALL = re.compile(r"client\.([a-z]+_[A-Za-z0-9_]+)\(")


def test_the_manifest_asks_for_every_scope_the_adapter_uses() -> None:
    """A scope left out fails only in a real workspace (the fake Web API checks none): an
    invite would be logged as not shared while the person is told it was sent."""
    source = "\n".join(p.read_text() for p in (ROOT / "adapters" / "slack").glob("*.py"))
    called = set(CALL.findall(source))
    assert called >= {"chat_postMessage", "files_upload_v2", "conversations_open"}
    unknown = called - set(SCOPES_NEEDED)
    assert not unknown, f"say which scopes these need: {sorted(unknown)}"
    granted = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    for method in called:
        assert SCOPES_NEEDED[method] <= granted, f"{method} needs {SCOPES_NEEDED[method]}"
