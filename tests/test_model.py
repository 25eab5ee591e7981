"""The domain types: frozen, UTC-only, and validated on construction."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from digests.model import (
    UTC,
    Article,
    Delivery,
    DeliveryKind,
    Feed,
    Platform,
    Story,
    Subscription,
    require_utc,
    utc_now,
)


def test_utc_now_is_aware_utc() -> None:
    assert utc_now().utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2026, 1, 1),  # noqa: DTZ001 - naive, on purpose
        dt.datetime(2026, 1, 1, tzinfo=ZoneInfo("Europe/Berlin")),
        dt.datetime(2026, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
    ],
)
def test_records_refuse_naive_and_non_utc_datetimes(value: dt.datetime) -> None:
    with pytest.raises(ValueError, match=r"Feed\.next_check_at"):
        Feed(url="https://example.org/f", next_check_at=value)
    with pytest.raises(ValueError, match=r"Story\.first_seen_at"):
        Story(headline="h", first_seen_at=value)
    with pytest.raises(ValueError, match=r"Article\.published_at"):
        Article(feed_id=1, key="k", title="t", published_at=value)


def test_require_utc_accepts_any_zero_offset_zone() -> None:
    moment = dt.datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC"))
    assert require_utc(moment) is moment


def test_records_are_frozen() -> None:
    feed = Feed(url="https://example.org/f")
    with pytest.raises(dataclasses.FrozenInstanceError):
        feed.url = "https://elsewhere.example/"  # type: ignore[misc]
    assert dataclasses.replace(feed, title="New").title == "New"


def test_subscription_validates_timezone_days_and_time() -> None:
    base = {"platform": Platform.DISCORD, "workspace_id": "1", "channel_id": "2"}
    assert Subscription(**base, timezone="America/New_York").days == frozenset(range(5))
    with pytest.raises(ValueError, match="unknown timezone 'Mars/Olympus'"):
        Subscription(**base, timezone="Mars/Olympus")
    with pytest.raises(ValueError, match="weekday numbers"):
        Subscription(**base, days=frozenset({7}))
    with pytest.raises(ValueError, match="weekday numbers"):
        Subscription(**base, days=frozenset())
    with pytest.raises(ValueError, match="wall-clock"):
        Subscription(**base, local_time=dt.time(7, 30, tzinfo=UTC))


def test_delivery_nonce_fits_discord() -> None:
    Delivery(subscription_id=1, kind=DeliveryKind.DIGEST, period="p", nonce="x" * 25)
    with pytest.raises(ValueError, match="25"):
        Delivery(subscription_id=1, kind=DeliveryKind.DIGEST, period="p", nonce="x" * 26)
