"""`peerbot teams package`: a zip Teams takes, its manifest valid under Microsoft's v1.22
schema (Draft 7, as the schema's own `const` needs), its commands ones peerbot answers, its
icons the sizes Teams asks for, the outline white on transparency."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path

import jsonschema

from tests.adapters.test_cli import env as env  # the fixture
from tests.adapters.test_cli import peerbot
from tests.bot.organisation.test_directory_features import unsealed

SCHEMA = (
    Path(__file__).resolve().parents[2] / "schemas/teams-manifest/MicrosoftTeams.schema.v1.22.json"
)
"""Kept with its licence in tests/schemas, so the check runs on any clone."""
APP_ID = "11111111-2222-3333-4444-555555555555"


def pixels(png: bytes) -> tuple[int, int, list[tuple[int, ...]]]:
    """Width, height and RGBA pixels of an 8-bit RGBA PNG whose rows are unfiltered."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    chunks: dict[bytes, bytes] = {}
    at = 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind = png[at + 4 : at + 8]
        chunks[kind] = chunks.get(kind, b"") + png[at + 8 : at + 8 + length]
        at += 12 + length
    width, height, depth, colour_type = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, colour_type) == (8, 6)
    raw = zlib.decompress(chunks[b"IDAT"])
    stride = 1 + 4 * width
    found = []
    for y in range(height):
        row = raw[y * stride : (y + 1) * stride]
        assert row[0] == 0
        found += [tuple(row[1 + 4 * x : 5 + 4 * x]) for x in range(width)]
    return width, height, found


def test_the_package_holds_a_valid_manifest_and_both_icons(
    env: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "peerbot.zip"
    done = peerbot(
        "teams",
        "package",
        "--app-id",
        APP_ID,
        "--host",
        "peerbot.example.nhs.uk",
        "--out",
        str(out),
        env=env,
    )
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
        colour, outline = archive.read("color.png"), archive.read("outline.png")

    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft7Validator(schema)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(manifest)]
    assert errors == []
    assert manifest["manifestVersion"] == "1.22"
    (bot,) = manifest["bots"]
    assert bot["botId"] == APP_ID and bot["scopes"] == ["personal", "team"]
    assert manifest["validDomains"] == ["peerbot.example.nhs.uk"]
    router = unsealed()
    titles = [c["title"] for c in bot["commandLists"][0]["commands"]]
    assert titles == ["speakup", "events", "mentoring", "support", "help"]
    assert all(router.answers(title) for title in titles)

    width, height, _ = pixels(colour)
    assert (width, height) == (192, 192)
    width, height, drawn = pixels(outline)
    assert (width, height) == (32, 32)
    assert set(drawn) == {(255, 255, 255, 255), (0, 0, 0, 0)}  # white on transparency only


def test_a_wrong_app_id_or_host_is_named(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "peerbot.zip"
    wrong_id = peerbot(
        "teams", "package", "--app-id", "peerbot", "--host", "a.example", "--out", str(out), env=env
    )
    assert (
        wrong_id.returncode == 2 and "--app-id: use the bot's Microsoft app id" in wrong_id.stderr
    )
    wrong_host = peerbot(
        "teams", "package", "--app-id", APP_ID, "--host", "not a host/", "--out", str(out), env=env
    )
    assert wrong_host.returncode == 2 and "--host: use the address" in wrong_host.stderr
    assert not out.exists()


def test_a_draft_04_validator_would_let_a_wrong_version_through() -> None:
    """Why Draft 7: the schema says draft-04, which knows no `const`."""
    schema = json.loads(SCHEMA.read_text())
    version = schema["properties"]["manifestVersion"]
    assert not jsonschema.Draft7Validator(version).is_valid("1.99")
    assert jsonschema.Draft4Validator(version).is_valid("1.99")
