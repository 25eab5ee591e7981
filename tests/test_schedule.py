"""Next delivery times: local time on the chosen days, in the subscription's timezone, across
daylight-saving changes."""

from __future__ import annotations

import dataclasses
import datetime as dt
from itertools import islice

from digests.model import EVERY_DAY, UTC, WEEKDAYS, Platform, Subscription
from digests.schedule import DueDigest, deliveries, last_due, next_delivery


def subscription(local: dt.time, zone: str, days: frozenset[int] = EVERY_DAY) -> Subscription:
    return Subscription(
        platform=Platform.CONSOLE,
        workspace_id="",
        channel_id="c",
        local_time=local,
        timezone=zone,
        days=days,
    )


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)


def test_berlin_at_0730_on_both_sides_of_the_march_and_october_changes() -> None:
    berlin = subscription(dt.time(7, 30), "Europe/Berlin")
    march = list(islice(deliveries(berlin, utc(2026, 3, 28, 12)), 2))
    october = list(islice(deliveries(berlin, utc(2026, 10, 24, 12)), 2))
    # CET is UTC+1, CEST UTC+2; the clocks change on 29 March and 25 October 2026.
    assert march == [utc(2026, 3, 29, 5, 30), utc(2026, 3, 30, 5, 30)]
    assert october == [utc(2026, 10, 25, 6, 30), utc(2026, 10, 26, 6, 30)]
    assert march[0] - utc(2026, 3, 28, 6, 30) == dt.timedelta(hours=23)


def test_weekdays_skip_the_weekend_and_a_due_moment_is_not_repeated() -> None:
    weekdays = subscription(dt.time(7, 30), "UTC", WEEKDAYS)
    friday = utc(2026, 11, 27, 7, 30)
    assert next_delivery(weekdays, friday - dt.timedelta(seconds=1)) == friday
    assert next_delivery(weekdays, friday) == utc(2026, 11, 30, 7, 30)  # Monday


def test_a_time_in_the_spring_gap_comes_an_hour_later_and_a_doubled_one_comes_once() -> None:
    gap = subscription(dt.time(2, 30), "Europe/Berlin")
    assert next_delivery(gap, utc(2026, 3, 28, 12)) == utc(2026, 3, 29, 1, 30)  # 03:30 CEST
    doubled = subscription(dt.time(2, 30), "Europe/Berlin")
    autumn = list(islice(deliveries(doubled, utc(2026, 10, 24, 12)), 2))
    assert autumn == [utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]


def test_new_york_and_tokyo() -> None:
    new_york = subscription(dt.time(8, 0), "America/New_York")
    tokyo = subscription(dt.time(8, 0), "Asia/Tokyo")
    # US clocks fall back on 1 November 2026; Japan keeps UTC+9.
    assert list(islice(deliveries(new_york, utc(2026, 10, 31, 0)), 2)) == [
        utc(2026, 10, 31, 12),
        utc(2026, 11, 1, 13),
    ]
    assert next_delivery(tokyo, utc(2026, 11, 29, 0)) == utc(2026, 11, 29, 23)


def test_the_last_due_digest_and_its_local_date() -> None:
    tokyo = dataclasses.replace(
        subscription(dt.time(8, 0), "Asia/Tokyo", WEEKDAYS), created_at=utc(2026, 11, 1)
    )
    # Monday 30 November 2026, 08:00 in Tokyo is Sunday 23:00 UTC.
    due = last_due(tokyo, utc(2026, 11, 29, 23, 30))
    assert due == DueDigest(due_at=utc(2026, 11, 29, 23), period="2026-11-30")
    assert last_due(tokyo, utc(2026, 11, 29, 22, 59)) == DueDigest(
        due_at=utc(2026, 11, 26, 23),
        period="2026-11-27",  # the Friday before the weekend
    )


def test_nothing_was_due_before_the_subscription_existed() -> None:
    new = dataclasses.replace(subscription(dt.time(7, 30), "UTC"), created_at=utc(2026, 11, 29, 10))
    assert last_due(new, utc(2026, 11, 29, 12)) is None
    assert last_due(new, utc(2026, 11, 30, 7, 30)) == DueDigest(
        due_at=utc(2026, 11, 30, 7, 30), period="2026-11-30"
    )
