"""Settings: the database URL is mapped to async drivers, and bad settings are named clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.conversation.sealing import generate_key
from bot.organisation.config import EXAMPLE_ORG_FILE, ConfigError, async_url, load_settings

SETTINGS_ENV = [
    "DATABASE_URL",
    "PORT",
    "PEERBOT_ORG_FILE",
    "PEERBOT_SEALING_KEY",
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "MICROSOFT_APP_ID",
    "MICROSOFT_APP_PASSWORD",
    "MICROSOFT_APP_TYPE",
    "MICROSOFT_APP_TENANT_ID",
    "PEERBOT_PUBLIC_URL",
    "PEERBOT_DB_POOL_SIZE",
]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each test sees only the variables it sets, and no stray .env."""
    for name in SETTINGS_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///peerbot.db", "sqlite+aiosqlite:///peerbot.db"),
        ("sqlite:////var/lib/peerbot.db", "sqlite+aiosqlite:////var/lib/peerbot.db"),
        ("postgresql://u:p@db:5432/peerbot", "postgresql+asyncpg://u:p@db:5432/peerbot"),
        ("postgres://u@db/peerbot", "postgresql+asyncpg://u@db/peerbot"),
    ],
)
def test_database_urls_map_to_async_drivers(given: str, expected: str) -> None:
    assert async_url(given) == expected


def test_defaults_need_nothing_set() -> None:
    settings = load_settings()
    assert settings.async_database_url == "sqlite+aiosqlite:///peerbot.db"
    assert settings.port == 3978
    assert not settings.slack_enabled and not settings.teams_enabled
    assert settings.resolved_org_file() == EXAMPLE_ORG_FILE


def test_an_org_yml_present_is_preferred_to_the_example(tmp_path: Path) -> None:
    (tmp_path / "org.yml").write_text("organisation: {}\n")
    assert load_settings().resolved_org_file() == Path("org.yml")


def test_dotenv_is_honoured_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("PORT=4000\nDATABASE_URL=postgresql://db/peerbot\n")
    monkeypatch.setenv("PORT", "5000")
    settings = load_settings()
    assert settings.port == 5000
    assert settings.async_database_url == "postgresql+asyncpg://db/peerbot"


def test_every_bad_setting_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://db/peerbot")
    monkeypatch.setenv("PORT", "not-a-port")
    monkeypatch.setenv("PEERBOT_SEALING_KEY", "too-short")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert "DATABASE_URL: use sqlite:///" in message
    assert "PORT:" in message
    assert "PEERBOT_SEALING_KEY: a key is not valid" in message


@pytest.mark.parametrize("size", ["0", "-3", "many", "100000"])
def test_a_pool_size_that_cannot_work_is_named(monkeypatch: pytest.MonkeyPatch, size: str) -> None:
    monkeypatch.setenv("PEERBOT_DB_POOL_SIZE", size)
    with pytest.raises(ConfigError, match="PEERBOT_DB_POOL_SIZE"):
        load_settings()


def test_the_pool_size_is_read_and_defaults_to_what_the_pool_allowed_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().db_pool_size == 15
    monkeypatch.setenv("PEERBOT_DB_POOL_SIZE", "8")
    assert load_settings().db_pool_size == 8


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is missing"),
        ({"SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN is missing"),
        ({"MICROSOFT_APP_PASSWORD": "p"}, "MICROSOFT_APP_ID is missing"),
    ],
)
def test_a_half_configured_platform_is_refused(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], missing: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=missing):
        load_settings()


def test_complete_platform_settings_enable_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")
    monkeypatch.setenv("PEERBOT_SEALING_KEY", f"{generate_key()},{generate_key()}")
    settings = load_settings()
    assert settings.slack_enabled and not settings.teams_enabled


APP_ID = "11111111-2222-3333-4444-555555555555"
TENANT = "99999999-8888-7777-6666-555555555555"
TEAMS = {
    "MICROSOFT_APP_ID": APP_ID,
    "MICROSOFT_APP_PASSWORD": "client-secret",
    "MICROSOFT_APP_TENANT_ID": TENANT,
    "PEERBOT_PUBLIC_URL": "https://peerbot.example.nhs.uk",
}


def test_a_single_tenant_teams_bot_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in TEAMS.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.teams_enabled and settings.teams_authenticated
    assert settings.teams_app_type == "SingleTenant"


def test_an_empty_app_id_turns_teams_on_without_authentication(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MICROSOFT_APP_ID", "")
    settings = load_settings()
    assert settings.teams_enabled and not settings.teams_authenticated


def test_a_multi_tenant_bot_is_refused_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {**TEAMS, "MICROSOFT_APP_TYPE": "MultiTenant"}.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match="MultiTenant bots can no longer be created in Azure"):
        load_settings()


def test_every_teams_problem_is_named_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MICROSOFT_APP_ID", "peerbot")
    monkeypatch.setenv("MICROSOFT_APP_TYPE", "Personal")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value).splitlines() == [
        "MICROSOFT_APP_ID: use the bot's app id from Azure (a GUID)",
        "MICROSOFT_APP_TYPE: use SingleTenant or UserAssignedMSI",
        "MICROSOFT_APP_TENANT_ID: use your organisation's Microsoft Entra tenant id (a GUID)",
        "PEERBOT_PUBLIC_URL is missing: Teams opens calendar invites and other files from "
        "peerbot's own address",
    ]


def test_a_managed_identity_needs_no_password(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {**TEAMS, "MICROSOFT_APP_TYPE": "UserAssignedMSI"}
    del env["MICROSOFT_APP_PASSWORD"]
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert load_settings().teams_authenticated
    monkeypatch.setenv("MICROSOFT_APP_TYPE", "SingleTenant")
    with pytest.raises(ConfigError, match="MICROSOFT_APP_PASSWORD is missing"):
        load_settings()
