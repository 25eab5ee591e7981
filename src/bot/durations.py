"""Durations as people type them: 90m, 24h, 7d, 2w."""

from __future__ import annotations

import datetime as dt
import re

ACCEPTED = (
    "a whole number and a unit: m (minutes), h (hours), d (days) or w (weeks), such as 90m, "
    "24h, 7d or 2w"
)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_DURATION = re.compile(r"(\d{1,6})\s*([mhdw])")
#: Longer windows than this are almost certainly a typo (and would read the whole store).
LONGEST = dt.timedelta(days=3660)


def parse_duration(text: str) -> dt.timedelta:
    """``text`` as a positive duration; ``ValueError`` saying what is accepted otherwise."""
    found = _DURATION.fullmatch(text.strip().lower())
    if found is None:
        raise ValueError(f"not a duration: {text!r}; give {ACCEPTED}")
    length = dt.timedelta(**{_UNITS[found[2]]: int(found[1])})
    if not dt.timedelta(0) < length <= LONGEST:
        raise ValueError(f"{text!r} is out of range; give more than 0 and at most 10 years")
    return length
