"""Reading a list of feeds from a TOML file (config/feeds.toml, or the user's own)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from digests.errors import ConfigError
from digests.model import Feed, FullText
from digests.resources import config_file


class _FeedEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str
    title: str | None = None
    language: str | None = Field(default=None, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$")
    region: str | None = Field(default=None, max_length=32)
    full_text: FullText = FullText.AUTO

    @field_validator("url")
    @classmethod
    def _http_only(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http or https URL: {value!r}")
        return value.strip()


class _FeedList(BaseModel):
    model_config = ConfigDict(extra="forbid")

    feeds: list[_FeedEntry] = []


def default_feeds_file() -> Path:
    return config_file("feeds.toml")


def load_feed_list(path: Path) -> list[Feed]:
    """The feeds a file lists, in order; :class:`ConfigError` (key: the path) if it is bad."""
    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
        parsed = _FeedList.model_validate(data)
    except OSError as error:
        raise ConfigError(path, f"cannot read feed list ({error.strerror})") from error
    except UnicodeDecodeError as error:  # tomllib decodes the bytes before it parses
        raise ConfigError(path, "feed list is not UTF-8 text") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(path, f"feed list is not valid TOML ({error})") from error
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(path, f"{where}: {message}") from error
    return [
        Feed(
            url=entry.url,
            title=entry.title,
            language=entry.language,
            region=entry.region,
            full_text=entry.full_text,
        )
        for entry in parsed.feeds
    ]
