"""Wording every renderer shares, so a statement, a feed's trouble and a digest's filters read
the same on the console, on Discord and on Slack. Plain text: each renderer escapes it."""

from __future__ import annotations

from collections.abc import Callable

from bot.views._types import AlertView, DigestView, PositionItemView

#: How a stance reads after a name: "Russia rejects: ...".
STANCE_VERBS = {
    "claim": "says",
    "demand": "demands",
    "accuse": "accuses",
    "reject": "rejects",
    "warn": "warns",
    "propose": "proposes",
    "support": "supports",
}

#: What a feed's trouble means for the reader (shared by every renderer).
TROUBLE_WORDS = {
    "failing": "its last poll failed",
    "disabled": "polling stopped",
    "stale": "no successful poll lately",
}


def speaker_label(
    item: PositionItemView, *, by_actor: bool, escape: Callable[[str], str] = str
) -> str:
    """Who said it: the actor, or "Speaker (role of Actor)" (shared by every renderer)."""
    if item.speaker is None:
        return escape(item.actor)
    role = f", {item.speaker_role}" if item.speaker_role else ""
    side = f" of {item.actor}" if (by_actor or item.speaker_role) else ""
    return escape(
        f"{item.speaker} ({(role + side).lstrip(', ')})" if role or side else item.speaker
    )


def filters_in_words(view: DigestView) -> str:
    """A digest's filters in words (shared by every renderer)."""
    parts = []
    for label, values in (
        ("actors", view.actors),
        ("topics", view.topics),
        ("feeds", view.feeds),
        ("keywords", view.keywords),
    ):
        if values:
            parts.append(f"{label}: {', '.join(values)}")
    if view.exclude_keywords:
        parts.append(f"excluding: {', '.join(view.exclude_keywords)}")
    return "; ".join(parts)


def alert_title(view: AlertView) -> str:
    """An alert's title: one statement, several of one article, or the pass's leftovers."""
    count = view.statements
    if view.articles > 1:
        return f"{count} new statements by {view.actor} in {view.articles} articles"
    if count > 1:
        return f"{count} new statements by {view.actor} in one article"
    if view.change is not None:
        return f"{view.actor} changed its stance on {view.change.topic}"
    return f"New statement by {view.actor}"


def alert_more(view: AlertView) -> str | None:
    """The line that counts what an alert does not list, if it leaves any out."""
    if view.more <= 0:
        return None
    return f"and {view.more} more" + (" statements" if view.more > 1 else " statement")
