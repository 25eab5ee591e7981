"""The application's settings, built once at start by :func:`load_settings` and passed down.

Sources, strongest first: environment variables (``NEWSDIGEST_`` prefix, ``__`` between a
section and its key), a ``.env`` file, a TOML file (``--config PATH``), then the defaults that
config/settings.example.toml documents.
"""

from __future__ import annotations

import difflib
import logging
import os
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import platformdirs
from dotenv import dotenv_values
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from digests.errors import ConfigError
from digests.settings import AnalysisSettings, DigestSettings, FetchSettings, StoriesSettings

ENV_PREFIX = "NEWSDIGEST_"
APP_NAME = "newsdigest"


def default_data_dir() -> Path:
    """Where the SQLite database lives unless told otherwise (per user, per platform)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


class ConsoleSubscription(BaseModel):
    """A digest printed on the console at a local time (`[[run.console]]` in the TOML file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Its name: one digest per name and day.
    name: str = Field(default="console", min_length=1, max_length=64)
    time: str = "07:30"
    #: An IANA timezone; empty: this machine's.
    timezone: str = ""
    days: str = "weekdays"
    actors: list[str] = Field(default_factory=list)
    topics: list[str] = Field(default_factory=list)
    feeds: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)

    @field_validator("time", "timezone", "days")
    @classmethod
    def _check_when(cls, value: str, info: ValidationInfo) -> str:
        from bot.commands import CommandError  # noqa: PLC0415 - the chat commands' parsers
        from bot.commands import _parse as parse  # noqa: PLC0415

        try:
            if info.field_name == "time":
                parse.time_of_day(value)
            elif info.field_name == "days":
                parse.days(value)
            elif value:
                return parse.timezone(value)
        except CommandError as error:
            suggestions = error.view.suggestions
            hint = f" (did you mean {', '.join(suggestions[:3])}?)" if suggestions else ""
            raise ValueError(error.view.message.split(": ", 1)[-1] + hint) from error
        return value


class RunSettings(BaseModel):
    """How `newsdigest run` keeps time (see docs/run.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: How often due feeds are looked for (each feed is polled on its own schedule).
    poll_every_seconds: float = Field(default=60.0, ge=5, le=3600)
    #: How often the outbox looks for digests that came due.
    deliver_every_seconds: float = Field(default=30.0, ge=1, le=600)
    #: A digest missed while the process was down is still sent this long after its time.
    grace_hours: float = Field(default=6.0, ge=0, le=48)
    #: A digest left unconfirmed (the process stopped while sending it) is sent again, with
    #: its nonce, this long after it was started.
    resend_after_seconds: float = Field(default=60.0, ge=1, le=3600)
    #: Watch alerts one watch sends in one pass of the outbox at most: one per article, the
    #: last telling every statement left over ("12 new statements by X in 4 articles").
    max_alerts_per_pass: int = Field(default=5, ge=1, le=50)
    #: Serve Prometheus metrics at http://metrics_host:metrics_port/metrics; 0: do not.
    metrics_port: int = Field(default=0, ge=0, le=65535)
    metrics_host: str = "127.0.0.1"
    #: A chat platform that cannot be reached is tried again after this long, doubling (with
    #: some jitter) up to ``adapter_retry_max_seconds``; the rest of the process goes on.
    adapter_retry_first_seconds: float = Field(default=1.0, gt=0, le=60)
    adapter_retry_max_seconds: float = Field(default=300.0, gt=0, le=3600)
    #: Digests printed on the console; none: `[run] console = []`.
    console: list[ConsoleSubscription] = Field(default_factory=lambda: [ConsoleSubscription()])


_SLACK_CREDENTIALS = (
    "slack_bot_token",
    "slack_app_token",
    "slack_signing_secret",
    "slack_client_id",
    "slack_client_secret",
)


class Settings(BaseSettings):
    """Everything newsdigest can be told. See config/settings.example.toml for each key."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        # A .env file is often shared with other tools: other variables are not ours to refuse.
        # Unknown keys in the TOML file and in a section are refused (see load_settings).
        extra="ignore",
        frozen=True,
    )

    #: SQLAlchemy URL of the database; empty means a SQLite file in ``data_dir``.
    database_url: SecretStr | None = None
    data_dir: Path = Field(default_factory=default_data_dir)
    log_level: str = "INFO"
    #: "text" (for a terminal) or "json" (one object a line, for a log collector).
    log_format: Literal["text", "json"] = "text"
    #: Feeds added on the first start; empty means the bundled config/feeds.toml.
    feeds_file: Path | None = None

    #: Who may add and remove feeds from chat, which changes the news of every server or
    #: workspace the bot is in: "discord:USER_ID" or "slack:USER_ID" entries. On Discord the
    #: application's owner (or its team) is an operator too.
    operators: list[str] = Field(default_factory=list)

    discord_token: SecretStr | None = None
    #: Discord's REST base and gateway: change them only to point the bot at a test double.
    discord_api_url: str = "https://discord.com/api/v10"
    discord_gateway_url: str = "wss://gateway.discord.gg"
    #: The application's id, for the invite URL `newsdigest doctor` prints (default: read
    #: from the token, whose first part is the bot's id, which is the application's).
    discord_application_id: int | None = None
    #: Register the commands in this guild only, where changes show at once (global
    #: registration, the default, can take a while to reach every server).
    discord_dev_guild: int | None = None
    #: Run discord.py's AutoShardedClient (Discord asks for shards from 2,500 servers).
    discord_sharded: bool = False
    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    #: HTTP mode: the port of `POST /slack/events` (and `GET /healthz`, the OAuth pages).
    slack_http_port: int = Field(default=3000, ge=0, le=65535)
    #: HTTP mode: the address it listens on. Loopback by default: Slack needs HTTPS, so a
    #: reverse proxy on the same host fronts it; "0.0.0.0" (all addresses) in a container.
    slack_http_host: str = Field(default="127.0.0.1", min_length=1, max_length=255)
    #: Where every Web API call goes: change it only to point the bot at a test double.
    slack_api_url: str = "https://slack.com/api/"
    #: Multi-workspace HTTP mode (OAuth v2 install): the app's client id and secret.
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None

    fetch: FetchSettings = Field(default_factory=FetchSettings)
    analysis: AnalysisSettings = Field(default_factory=AnalysisSettings)
    stories: StoriesSettings = Field(default_factory=StoriesSettings)
    digest: DigestSettings = Field(default_factory=DigestSettings)
    run: RunSettings = Field(default_factory=RunSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Keyword arguments carry the TOML file (see load_settings): the weakest source.
        return env_settings, dotenv_settings, init_settings

    @field_validator("database_url", mode="before")
    @classmethod
    def _check_database_url(cls, value: object) -> object:
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        if not isinstance(raw, str):
            raise ValueError("must be a URL string")
        from digests.store import normalise_database_url  # noqa: PLC0415 - SQLAlchemy on demand

        try:
            return normalise_database_url(raw)
        except ConfigError as error:
            raise ValueError(error.message) from error

    @field_validator("operators")
    @classmethod
    def _check_operators(cls, value: list[str]) -> list[str]:
        for entry in value:
            platform, _, user = entry.partition(":")
            if platform not in ("discord", "slack") or not user.strip():
                raise ValueError(f"{entry!r}: give discord:USER_ID or slack:USER_ID")
        return value

    def is_operator(self, platform: str, user_id: str) -> bool:
        return f"{platform}:{user_id}" in self.operators

    @field_validator("slack_api_url")
    @classmethod
    def _check_slack_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/") + "/"

    @model_validator(mode="after")
    def _check_slack_credentials(self) -> Settings:
        given = [name for name in _SLACK_CREDENTIALS if getattr(self, name) not in (None, "")]
        pair = (self.slack_client_id is None) == (self.slack_client_secret is None)
        if given and (self.slack_mode() is None or not pair):
            raise ValueError(
                f"incomplete Slack credentials ({', '.join(given)} given): Socket Mode takes "
                "slack_bot_token and slack_app_token; HTTP mode slack_bot_token and "
                "slack_signing_secret; many workspaces slack_signing_secret, slack_client_id "
                "and slack_client_secret (docs/slack.md)"
            )
        return self

    def slack_mode(self) -> str | None:
        """ "socket", "http" or "oauth" (HTTP mode for many workspaces), as the credentials
        say; None when Slack is not configured."""
        if self.slack_app_token is not None and self.slack_bot_token is not None:
            return "socket"
        if self.slack_signing_secret is None:
            return None
        if self.slack_client_id and self.slack_client_secret is not None:
            return "oauth"
        return "http" if self.slack_bot_token is not None else None

    @field_validator("discord_api_url", "discord_gateway_url")
    @classmethod
    def _check_discord_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://", "ws://", "wss://")):
            raise ValueError("must be an http(s) or ws(s) URL")
        return value.rstrip("/")

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in logging.getLevelNamesMapping():
            raise ValueError(f"unknown log level {value!r} (use DEBUG, INFO, WARNING or ERROR)")
        return level

    def resolved_database_url(self) -> str:
        """The database URL to open, with the default SQLite file filled in."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{self.data_dir / 'newsdigest.db'}"

    def adapters(self) -> list[str]:
        """The chat adapters these settings configure; the console one when there are none."""
        found = []
        if self.discord_token:
            found.append("discord")
        mode = self.slack_mode()
        if mode is not None:
            found.append({"socket": "slack (socket mode)", "http": "slack (http mode)",
                          "oauth": "slack (http mode, many workspaces)"}[mode])  # fmt: skip
        return found or ["console"]


@dataclass(frozen=True)
class LoadedSettings:
    """Settings plus where they came from, for `newsdigest doctor`."""

    settings: Settings
    config_file: Path | None
    env_file: Path | None
    #: NEWSDIGEST_ variables found in the environment and the .env file.
    env_names: tuple[str, ...]

    def unknown_env_names(self) -> list[str]:
        """NEWSDIGEST_ variables that set nothing: most likely typos."""
        return [name for name in self.env_names if not _is_setting_variable(name)]

    def sources(self) -> Iterator[str]:
        yield "defaults"
        if self.config_file is not None:
            yield f"config file {self.config_file}"
        if self.env_file is not None:
            yield f".env file {self.env_file}"
        if self.env_names:
            yield "environment " + ", ".join(self.env_names)


def load_settings(
    config_file: Path | None = None,
    *,
    env_file: Path | None = Path(".env"),
) -> LoadedSettings:
    """Build the settings once; raise :class:`ConfigError` with a one-line reason if bad."""
    file_values = _read_toml(config_file) if config_file is not None else {}
    for key in file_values:
        if key not in Settings.model_fields:
            raise _unknown_key(key, config_file)
    used_env_file = env_file if env_file is not None and env_file.is_file() else None
    try:
        settings = Settings(_env_file=used_env_file, **file_values)
    except ValidationError as error:
        raise _config_error(error, config_file) from error
    names = set(os.environ)
    if used_env_file is not None:
        names |= set(dotenv_values(used_env_file))
    ours = tuple(sorted(name for name in names if name.startswith(ENV_PREFIX)))
    return LoadedSettings(settings, config_file, used_env_file, ours)


#: Read by the CLI itself (--config), not a setting.
CONFIG_VARIABLE = "NEWSDIGEST_CONFIG"


def _is_setting_variable(name: str) -> bool:
    key = name.removeprefix(ENV_PREFIX).lower()
    section, _, _rest = key.partition("__")
    return (
        name == CONFIG_VARIABLE
        or key in Settings.model_fields
        or (bool(_rest) and section in _sections())
    )


def _sections() -> set[str]:
    return {
        name
        for name, info in Settings.model_fields.items()
        if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel)
    }


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except FileNotFoundError as error:
        raise ConfigError(path, "config file not found") from error
    except OSError as error:
        raise ConfigError(path, f"cannot read config file ({error.strerror})") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(path, f"config file is not valid TOML ({error})") from error


def _known_keys(model: type[BaseModel] = Settings, prefix: str = "") -> Iterator[str]:
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from _known_keys(annotation, f"{prefix}{name}.")
        else:
            yield prefix + name


def _unknown_key(key: str, config_file: Path | None) -> ConfigError:
    where = f" in {config_file}" if config_file is not None else ""
    hint = difflib.get_close_matches(key, list(_known_keys()), n=1)
    return ConfigError(
        key, f"unknown setting{where}" + (f" (did you mean {hint[0]}?)" if hint else "")
    )


def line_of(config_file: Path | None, value: object) -> int | None:
    """The line of the TOML file that holds the bad value, when one line does (TOML's reader
    gives no positions)."""
    if config_file is None or not isinstance(value, str) or not value:
        return None
    try:
        lines = config_file.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    shown = f'"{value}"'
    found = [number for number, text in enumerate(lines, 1) if shown in text.split("#")[0]]
    return found[0] if len(found) == 1 else None


def _config_error(error: ValidationError, config_file: Path | None) -> ConfigError:
    """One line naming the first problem (and how many more there are)."""
    problems = error.errors()
    first = problems[0]
    key = ".".join(str(part) for part in first["loc"]) or "settings"
    if first["type"] == "extra_forbidden":
        found = _unknown_key(key, config_file)
    else:
        found = ConfigError(key, str(first["msg"]).removeprefix("Value error, "))
    line = line_of(config_file, first.get("input"))
    if line is not None:
        found.message += f" (line {line} of {config_file})"
    if len(problems) > 1:
        more = len(problems) - 1
        found.message += f" (and {more} more problem{'s' if more > 1 else ''})"
    return found
