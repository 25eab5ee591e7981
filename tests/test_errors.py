"""One root exception; subclasses carry their key and read as one line."""

from __future__ import annotations

import pytest

from digests.errors import (
    ConfigError,
    FeedExistsError,
    FeedNotFoundError,
    KeyedError,
    NewsdigestError,
    NotFoundError,
    StoreNotMigratedError,
)


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (
            FeedNotFoundError("https://x.example/f", "no such feed"),
            "no such feed: https://x.example/f",
        ),
        (FeedExistsError("https://x.example/f"), "https://x.example/f"),
        (
            ConfigError("fetch.timeout_seconds", "must be positive"),
            "fetch.timeout_seconds: must be positive",
        ),
        (
            StoreNotMigratedError(None, "0001"),
            "the database is at revision none, this code needs 0001; run `newsdigest db upgrade`",
        ),
    ],
)
def test_errors_read_as_one_line(error: NewsdigestError, text: str) -> None:
    assert str(error) == text
    assert isinstance(error, NewsdigestError)


def test_errors_carry_their_key_and_builtin_meaning() -> None:
    missing = FeedNotFoundError(7, "no such feed")
    assert missing.key == missing.url == 7
    assert isinstance(missing, LookupError)
    assert isinstance(missing, NotFoundError)
    assert isinstance(ConfigError("k", "m"), ValueError)
    assert isinstance(missing, KeyedError)
