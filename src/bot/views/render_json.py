"""The JSON renderer: every view as one JSON object, with ``"view"`` naming its type.

Datetimes are ISO 8601 in UTC; the fields are the views' own, so the schema is the views'.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

from bot.views._types import (
    AlertView,
    DigestView,
    ErrorView,
    ListView,
    NoticeView,
    PositionsView,
    SearchView,
    StoryView,
    View,
)

_NAMES: dict[type, str] = {
    PositionsView: "positions",
    DigestView: "digest",
    StoryView: "story",
    SearchView: "search",
    ErrorView: "error",
    NoticeView: "notice",
    ListView: "list",
    AlertView: "alert",
}


def view_data(view: View) -> dict[str, Any]:
    """A view as JSON-ready data."""
    data = _plain(view)
    assert isinstance(data, dict)
    extra: dict[str, Any] = {"view": _NAMES[type(view)]}
    if isinstance(view, PositionsView | DigestView | SearchView | ListView):
        extra["empty"] = view.empty
    return {**extra, **data}


def render_json(view: View, *, indent: int | None = 2) -> str:
    return json.dumps(view_data(view), indent=indent, ensure_ascii=False) + "\n"


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: _plain(getattr(value, field.name)) for field in dataclasses.fields(value)
        }
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value
