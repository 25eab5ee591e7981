"""Command arguments as people type them: durations, times of day, timezones, days, lists.

Each parser returns the value or raises :class:`CommandError` with a one-line message that
says what is accepted.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo

from rapidfuzz import fuzz, process

from bot.commands._model import CommandError
from bot.durations import parse_duration
from bot.views import ErrorView
from digests.model import EVERY_DAY, WEEKDAYS

_TIME = re.compile(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?")
_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
#: Letters of a day's name that name it: "mon", "tues".
_DAY_PREFIX = 3
_DAY_WORDS = {
    "weekdays": WEEKDAYS,
    "every day": EVERY_DAY,
    "everyday": EVERY_DAY,
    "daily": EVERY_DAY,
    "weekends": frozenset({5, 6}),
}
#: Typed for a filter, these clear it: the digest then takes everything.
CLEAR_WORDS = frozenset({"all", "any", "none", "everything", "-"})
_HOURS_IN_DAY = 24
_NOON = 12


def refuse(
    message: str, *, hint: str | None = None, suggestions: tuple[str, ...] = ()
) -> CommandError:
    return CommandError(ErrorView(message=message, hint=hint, suggestions=suggestions))


def duration(name: str, text: str) -> dt.timedelta:
    try:
        return parse_duration(text)
    except ValueError as error:
        raise refuse(f"{name}: {error}") from error


def time_of_day(text: str) -> dt.time:
    """ "07:30", "7:30", "7", "7am", "6:45 pm"."""
    found = _TIME.fullmatch(text.strip().lower())
    hour = int(found[1]) if found else -1
    minute = int(found[2] or 0) if found else -1
    if found and found[3]:
        hour = -1 if not 1 <= hour <= _NOON else hour % _NOON + (_NOON if found[3] == "pm" else 0)
    if not (0 <= hour < _HOURS_IN_DAY and 0 <= minute < 60):  # noqa: PLR2004 - minutes
        raise refuse(
            f"time: {text.strip()!r} is not a time of day",
            hint="give hours and minutes on a 24-hour clock, such as 07:30 or 18:00",
        )
    return dt.time(hour, minute)


#: Names the tz database holds that are not places: never a subscription's timezone.
_NOT_PLACES = frozenset({"localtime", "Factory", "posixrules"})


@functools.cache
def all_timezones() -> tuple[str, ...]:
    """Every IANA timezone name of a place, sorted."""
    return tuple(
        sorted(
            name
            for name in zoneinfo.available_timezones()
            if name not in _NOT_PLACES and not name.startswith(("posix/", "right/"))
        )
    )


def timezone(text: str) -> str:
    """An IANA timezone name, matched without regard to case; else the closest names."""
    typed = text.strip()
    by_folded = {name.casefold(): name for name in all_timezones()}
    if typed.casefold() in by_folded:
        return by_folded[typed.casefold()]
    close = process.extract(typed, list(by_folded.values()), scorer=fuzz.WRatio, limit=5)
    raise refuse(
        f"timezone: {typed!r} is not an IANA timezone",
        suggestions=tuple(name for name, _score, _index in close),
        hint="give a name such as Europe/Berlin, America/New_York or UTC",
    )


def days(text: str) -> frozenset[int]:
    """ "weekdays", "every day", "weekends", day names ("mon,wed,fri", "Monday Friday") or a
    range ("mon-fri")."""
    typed = " ".join(text.strip().lower().split())
    if typed in _DAY_WORDS:
        return _DAY_WORDS[typed]
    chosen: set[int] = set()
    for word in re.split(r"[,\s]+", typed):
        first, dash, last = word.partition("-")
        start, end = _day(first, text), _day(last, text) if dash else None
        if end is None:
            chosen.add(start)
        else:
            chosen.update(day % 7 for day in range(start, start + (end - start) % 7 + 1))
    return frozenset(chosen)


def _day(word: str, typed: str) -> int:
    """A day by its name or the first three letters or more of it ("tue", "tues")."""
    for number, name in enumerate(_FULL_DAY_NAMES):
        if len(word) >= _DAY_PREFIX and name.startswith(word):
            return number
    raise refuse(
        f"days: {typed.strip()!r} is not a set of days",
        hint="give weekdays, every day, weekends, day names such as mon,wed,fri, or mon-fri",
    )


def listed(text: str) -> tuple[str, ...] | None:
    """A comma-separated list; empty when the text is a clearing word ("all", "none")."""
    items = tuple(item.strip() for item in text.split(",") if item.strip())
    if len(items) == 1 and items[0].casefold() in CLEAR_WORDS:
        return ()
    if not items:
        raise refuse(f"{text.strip()!r}: give names separated by commas, or all")
    return items


def keywords(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Words to include and, with a leading minus, to exclude: "ceasefire, -football"."""
    items = listed(text)
    if not items:
        return (), ()
    include = tuple(item for item in items if not item.startswith("-"))
    exclude = tuple(item[1:].strip() for item in items if item.startswith("-") and item[1:])
    return include, exclude
