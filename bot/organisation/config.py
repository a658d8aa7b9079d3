"""Settings from the environment and `.env`, checked whole before anything starts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal, Self

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.conversation.sealing import sealer
from storage.engine import POOL_SIZE

DEFAULT_ORG_FILE = Path("org.yml")
SINGLE_TENANT = "SingleTenant"
TEAMS_APP_TYPES = (SINGLE_TENANT, "UserAssignedMSI")
"""The bot registrations Azure still creates; MultiTenant is refused by name."""
GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
EXAMPLE_ORG_FILE = Path("examples/org.yml")

_ASYNC_SCHEMES = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


def async_url(url: str) -> str:
    """Map `sqlite:///path` or `postgresql://...` to the async driver SQLAlchemy needs."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in _ASYNC_SCHEMES:
        raise ValueError("use sqlite:///path/to/file.db or postgresql://user@host:5432/dbname")
    return f"{_ASYNC_SCHEMES[scheme]}://{rest}"


class Settings(BaseSettings):
    """Every setting peerbot reads. Names are the environment variables'."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    database_url: str = Field(default="sqlite:///peerbot.db", alias="DATABASE_URL")
    db_pool_size: int = Field(
        default=POOL_SIZE,
        ge=1,
        le=1000,
        alias="PEERBOT_DB_POOL_SIZE",
        description="Connections one peerbot process holds to PostgreSQL at most; every "
        "replica's together must stay below the server's max_connections.",
    )
    host: str = Field(default="0.0.0.0", alias="PEERBOT_HOST")
    port: int = Field(default=3978, ge=1, le=65535, alias="PORT")
    org_file: Path = Field(default=DEFAULT_ORG_FILE, alias="PEERBOT_ORG_FILE")
    sealing_keys: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("PEERBOT_SEALING_KEY", "sealing_keys"),
        description="Comma-separated sealing keys, newest first (the speak-up issue uses them).",
    )
    tick_seconds: float = Field(default=30.0, gt=0, alias="PEERBOT_TICK_SECONDS")
    speakup_retention_days: int = Field(default=365, ge=1, alias="PEERBOT_SPEAKUP_RETENTION_DAYS")
    outbox_retention_days: int = Field(
        default=7,
        ge=7,
        alias="PEERBOT_OUTBOX_RETENTION_DAYS",
        description="Days a delivered message stays in the outbox (a week at least: a "
        "reminder's dedupe key must outlast the week it may be due in).",
    )
    outbox_give_up_hours: float = Field(
        default=24,
        gt=0,
        alias="PEERBOT_OUTBOX_GIVE_UP_HOURS",
        description="Hours a message keeps being retried through a platform's outages and "
        "rate limits before it is marked failed for `peerbot outbox retry`.",
    )
    outbox_concurrency: int = Field(
        default=32,
        ge=1,
        le=256,
        alias="PEERBOT_OUTBOX_CONCURRENCY",
        description="Messages one process's outbox worker sends at once: enough to keep "
        "up with a platform's rate limit across its round trips, few enough that a 429 "
        "finds few sends in flight.",
    )
    public_url: str = Field(
        default="",
        alias="PEERBOT_PUBLIC_URL",
        description="Where staff reach this server, like https://peerbot.example.nhs.uk; "
        "chat then offers the speak-up web form at that address.",
    )
    log_level: str = Field(default="INFO", alias="PEERBOT_LOG_LEVEL")
    log_format: Literal["json", "text"] | None = Field(
        default=None,
        alias="PEERBOT_LOG_FORMAT",
        description="json (one object a line) or text; unset, text when a person is watching "
        "(the console, or a terminal) and json otherwise (see adapters.logs.log_format).",
    )
    behind_proxy: bool = Field(
        default=False,
        alias="PEERBOT_BEHIND_PROXY",
        description="A reverse proxy you run sits in front: trust the address and scheme it "
        "forwards. Never set it when peerbot faces the internet: anyone could claim any address.",
    )

    slack_bot_token: SecretStr | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default="https://slack.com/api/", alias="SLACK_API_URL")

    teams_app_id: str | None = Field(
        default=None,
        alias="MICROSOFT_APP_ID",
        description="The bot's Microsoft app id (a GUID); empty turns Teams on with "
        "authentication off, for trying peerbot locally only.",
    )
    teams_app_password: SecretStr | None = Field(default=None, alias="MICROSOFT_APP_PASSWORD")
    teams_app_type: str = Field(default=SINGLE_TENANT, alias="MICROSOFT_APP_TYPE")
    teams_app_tenant_id: str | None = Field(default=None, alias="MICROSOFT_APP_TENANT_ID")
    teams_service_url: str = Field(
        default="https://smba.trafficmanager.net/teams/",
        alias="PEERBOT_TEAMS_SERVICE_URL",
        description="Where peerbot reaches a Teams channel, or a person, nobody has written "
        "from yet (the guardians' space, a network's channel, someone in a mentoring pair): "
        "Microsoft's global address for proactive messages in the public cloud.",
    )

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        async_url(value)
        return value

    @field_validator("sealing_keys")
    @classmethod
    def _usable_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            sealer(value.get_secret_value())
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("use DEBUG, INFO, WARNING or ERROR")
        return level

    @field_validator("log_format", mode="before")
    @classmethod
    def _known_format(cls, value: object) -> object:
        return (value.strip().lower() or None) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _no_half_platform(self) -> Self:
        """A platform is either fully configured or not at all: never half-started."""
        if (self.slack_signing_secret or self.slack_app_token) and not self.slack_bot_token:
            raise ValueError("SLACK_BOT_TOKEN is missing (the other Slack settings are set)")
        if self.slack_bot_token and not (self.slack_signing_secret or self.slack_app_token):
            raise ValueError(
                "SLACK_SIGNING_SECRET is missing (or set SLACK_APP_TOKEN for Socket Mode)"
            )
        if self.teams_app_password and not self.teams_app_id:
            raise ValueError("MICROSOFT_APP_ID is missing (MICROSOFT_APP_PASSWORD is set)")
        if self.teams_app_id:
            problems = self._teams_problems()
            if problems:
                raise ValueError("\n".join(problems))
        return self

    def _teams_problems(self) -> list[str]:
        """Everything wrong with a Teams registration at once, each naming its variable."""
        problems = []
        if not GUID.fullmatch(self.teams_app_id or ""):
            problems.append("MICROSOFT_APP_ID: use the bot's app id from Azure (a GUID)")
        if self.teams_app_type.lower() == "multitenant":
            problems.append(
                "MICROSOFT_APP_TYPE: MultiTenant bots can no longer be created in Azure (since "
                "31 July 2025); register peerbot as SingleTenant (or UserAssignedMSI)"
            )
        elif self.teams_app_type not in TEAMS_APP_TYPES:
            problems.append("MICROSOFT_APP_TYPE: use SingleTenant or UserAssignedMSI")
        if not GUID.fullmatch(self.teams_app_tenant_id or ""):
            problems.append(
                "MICROSOFT_APP_TENANT_ID: use your organisation's Microsoft Entra tenant id "
                "(a GUID)"
            )
        if self.teams_app_type == SINGLE_TENANT and not self.teams_app_password:
            problems.append("MICROSOFT_APP_PASSWORD is missing (the app's client secret)")
        if not self.public_url:
            problems.append(
                "PEERBOT_PUBLIC_URL is missing: Teams opens calendar invites and other files "
                "from peerbot's own address"
            )
        return problems

    @property
    def async_database_url(self) -> str:
        return async_url(self.database_url)

    @property
    def slack_enabled(self) -> bool:
        return self.slack_bot_token is not None

    @property
    def teams_enabled(self) -> bool:
        """Teams is on when MICROSOFT_APP_ID is set, even to nothing (authentication off)."""
        return self.teams_app_id is not None

    @property
    def teams_authenticated(self) -> bool:
        return bool(self.teams_app_id)

    def resolved_org_file(self) -> Path:
        """The configured org file, or the bundled example when the default is absent."""
        if self.org_file == DEFAULT_ORG_FILE and not self.org_file.exists():
            return EXAMPLE_ORG_FILE
        return self.org_file


class ConfigError(Exception):
    """Settings that cannot work, with one line per problem naming the variable."""


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(describe(exc)) from None


def describe(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"]) or "settings"
        message = error["msg"].removeprefix("Value error, ")
        lines.append(f"{name}: {message}" if error["loc"] else message)
    return "\n".join(lines)
