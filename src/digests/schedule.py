"""When a subscription's digest is due: its local time on its days, in its IANA timezone.

Local times are turned into instants with :mod:`zoneinfo`, so a 07:30 Europe/Berlin digest is
at 07:30 on both sides of a daylight-saving change. Two rules cover the odd hours: a local time
that does not exist on a spring-forward day (02:30 when clocks jump from 02:00 to 03:00) is
delivered as the clock reads it an hour later (03:30); one that happens twice on a fall-back day
is delivered at its first occurrence, once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from digests.model import UTC, Subscription

#: A week and a day: every weekday comes round at least once.
_LOOKAHEAD_DAYS = 8


def next_delivery(subscription: Subscription, after: dt.datetime) -> dt.datetime:
    """The first moment strictly after ``after`` at which the subscription's digest is due
    (UTC)."""
    return next(deliveries(subscription, after))


def deliveries(subscription: Subscription, after: dt.datetime) -> Iterator[dt.datetime]:
    """Every moment after ``after`` at which the digest is due, in order (UTC)."""
    zone = ZoneInfo(subscription.timezone)
    day = after.astimezone(zone).date()
    while True:
        for offset in range(_LOOKAHEAD_DAYS):
            date = day + dt.timedelta(days=offset)
            if date.weekday() not in subscription.days:
                continue
            due = _instant(date, subscription.local_time, zone)
            if due > after:
                yield due
                day = date + dt.timedelta(days=1)
                break


def _instant(date: dt.date, local: dt.time, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant of a wall-clock time on a date in a zone (fold=0: the earlier of two,
    and a time in a gap read with the offset before the change)."""
    return dt.datetime.combine(date, local, tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class DueDigest:
    """A digest that came due: when (UTC), and the period it covers (its local date)."""

    due_at: dt.datetime
    #: The local date of the delivery, ISO: one digest per subscription and period.
    period: str


def last_due(subscription: Subscription, now: dt.datetime) -> DueDigest | None:
    """The latest moment at or before ``now`` when the digest was due, in the last week; None
    before the subscription existed."""
    zone = ZoneInfo(subscription.timezone)
    today = now.astimezone(zone).date()
    for back in range(_LOOKAHEAD_DAYS):
        date = today - dt.timedelta(days=back)
        if date.weekday() not in subscription.days:
            continue
        due = _instant(date, subscription.local_time, zone)
        if due <= now:
            if due < subscription.created_at:
                return None
            return DueDigest(due_at=due, period=date.isoformat())
    return None
