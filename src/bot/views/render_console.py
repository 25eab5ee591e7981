"""The console's renderers: plain text for a terminal, Markdown for a file or a chat paste.

One function per format, total over :data:`~bot.views.View`. Markdown escapes what feed text
could use as markup; plain text prints it as it is. Both drop control characters and escape
sequences (:func:`~bot.terminal.terminal_text`): their output goes to a terminal or a paste.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Sequence
from typing import assert_never

from bot.terminal import terminal_line, terminal_text
from bot.views._types import (
    AlertView,
    DigestView,
    ErrorView,
    FeedNoticeView,
    FieldView,
    ListView,
    NoticeView,
    PositionItemView,
    PositionsView,
    SearchView,
    SourceView,
    StanceChangeView,
    StoryView,
    View,
)
from bot.views.wording import (
    STANCE_VERBS,
    TROUBLE_WORDS,
    alert_more,
    alert_title,
    filters_in_words,
    speaker_label,
)

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def escape_markdown(text: str) -> str:
    """Feed text made inert in Markdown: every character Markdown could read as markup gets
    a backslash, and line breaks become spaces (a list item stays one item)."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", " ".join(text.split()))


def _markdown_url(url: str) -> str:
    """A link target that cannot close the link early."""
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def render_text(view: View) -> str:
    """Plain text, for a terminal."""
    return terminal_text("\n".join(_lines(view, _Style.text()))) + "\n"


def render_markdown(view: View) -> str:
    """Markdown, with feed text escaped."""
    return terminal_text("\n".join(_lines(view, _Style.markdown()))) + "\n"


def _lines(view: View, style: _Style) -> Iterator[str]:  # noqa: PLR0911 - one per view type
    if isinstance(view, ErrorView):
        return iter((_error(view, style.escape).rstrip("\n"),))
    if isinstance(view, PositionsView):
        return _positions(view, style)
    if isinstance(view, DigestView):
        return _digest(view, style)
    if isinstance(view, SearchView):
        return _search(view, style)
    if isinstance(view, StoryView):
        return _story(view, style, level=1)
    if isinstance(view, NoticeView):
        return _notice_lines(view, style)
    if isinstance(view, ListView):
        return _list(view, style)
    if isinstance(view, AlertView):
        return _alert(view, style)
    assert_never(view)


def render_error_line(view: ErrorView) -> str:
    """An error as one line (for stderr)."""
    return terminal_line(_error(view, str))


def _error(view: ErrorView, escape: Callable[[str], str]) -> str:
    parts = [escape(view.message)]
    if view.suggestions:
        parts.append("did you mean: " + ", ".join(escape(s) for s in view.suggestions) + "?")
    if view.hint:
        parts.append(escape(view.hint))
    return "; ".join(parts) + "\n"


class _Style:
    """What differs between plain text and Markdown."""

    def __init__(
        self,
        escape: Callable[[str], str],
        heading: Callable[[str, int], str],
        strong: Callable[[str], str],
        link: Callable[[SourceView], str],
    ) -> None:
        self.escape = escape
        self.heading = heading
        self.strong = strong
        self.link = link

    @classmethod
    def text(cls) -> _Style:
        def heading(title: str, level: int) -> str:
            return title if level == 1 else f"\n{title}"

        def link(source: SourceView) -> str:
            dated = f" ({_date(source.published)})" if source.published else ""
            where = f" {terminal_line(source.url)}" if source.url else ""
            return f"{terminal_line(source.outlet)}{dated}{where}"

        return cls(terminal_line, heading, str, link)

    @classmethod
    def markdown(cls) -> _Style:
        def heading(title: str, level: int) -> str:
            return f"{'#' * level} {title}" if level == 1 else f"\n{'#' * level} {title}"

        def link(source: SourceView) -> str:
            outlet = escape_markdown(source.outlet)
            named = f"[{outlet}]({_markdown_url(source.url)})" if source.url else outlet
            return f"{named} ({_date(source.published)})" if source.published else named

        return cls(escape_markdown, heading, lambda text: f"**{text}**", link)


def _date(when: dt.datetime | None) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC") if when is not None else "undated"


def _day(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%d")


def _window(view: PositionsView) -> str:
    return f"since {_date(view.since)} ({_span(view.until - view.since)})"


def _span(length: dt.timedelta) -> str:
    minutes = int(length.total_seconds() // 60)
    for unit, size in (("day", 24 * 60), ("hour", 60), ("minute", 1)):
        if minutes % size == 0 and minutes >= size:
            count = minutes // size
            return f"the last {unit}" if count == 1 else f"the last {count} {unit}s"
    return f"the last {minutes} minutes"


def _positions(view: PositionsView, style: _Style) -> Iterator[str]:
    esc = style.escape
    name = esc(view.actor)
    about_topic = f" on {esc(view.topic)}" if view.topic else ""
    yield style.heading(f"Positions of {name}{about_topic}, {_window(view)}", 1)
    if view.approximate or view.resolved_from.casefold() != view.actor.casefold():
        yield f"({esc(repr(view.resolved_from))} read as {name})"
    if view.empty:
        yield ""
        yield (
            f"No positions of {name}{about_topic} are stored {_window(view)}, and none by "
            "others about it."
        )
        return
    if view.changes:
        yield style.heading("What changed", 2)
        yield from (_change(change, style) for change in view.changes)
    if not view.sections:
        yield ""
        yield f"No positions of {name}{about_topic} are stored {_window(view)}."
    for section in view.sections:
        yield style.heading(esc(section.topic) if section.topic else "Other topics", 2)
        for item in section.items:
            yield from _item(item, style, by_actor=False)
    if view.about:
        yield style.heading(f"About {name}, by others", 2)
        for item in view.about:
            yield from _item(item, style, by_actor=True)
    if view.truncated:
        yield ""
        yield "(more were stored: narrow with --topic or --since)"


def _change(change: StanceChangeView, style: _Style) -> str:
    esc = style.escape
    return (
        f"- {esc(change.topic)}: {STANCE_VERBS.get(change.before, change.before)} on "
        f"{_day(change.before_at)}, now {style.strong(STANCE_VERBS.get(change.now, change.now))}"
        f" ({_day(change.now_at)}): {esc(_quoted(change.claim))}"
    )


def _item(item: PositionItemView, style: _Style, *, by_actor: bool) -> Iterator[str]:
    esc = style.escape
    who = speaker_label(item, by_actor=by_actor, escape=esc)
    verb = style.strong(STANCE_VERBS.get(item.stance, item.stance))
    target = f" (at {esc(item.target)})" if item.target and item.target != item.actor else ""
    topic = f" [{esc(item.topic)}]" if by_actor and item.topic else ""
    yield f"- {_day(item.stated_at)} {who} {verb}{target}{topic}: {esc(_quoted(item.claim))}"
    yield f"  {_sources(item.sources, style)}"


def _sources(sources: Sequence[SourceView], style: _Style) -> str:
    label = "source" if len(sources) == 1 else f"{len(sources)} sources"
    return f"{label}: " + "; ".join(style.link(source) for source in sources)


def _quoted(claim: str) -> str:
    return f"“{' '.join(claim.split())}”"


# -- digests and stories ----------------------------------------------------------------------


def _digest(view: DigestView, style: _Style) -> Iterator[str]:
    esc = style.escape
    window = f"since {_date(view.since)} ({_span(view.until - view.since)})"
    yield style.heading(f"News digest, {window}", 1)
    wanted = filters_in_words(view)
    if wanted:
        yield esc(f"For {wanted}")
    if view.empty:
        yield ""
        yield f"Nothing new since {_date(view.since)}" + (" that matches." if wanted else ".")
    else:
        shown = view.story_count
        if view.matching_stories > shown:
            yield f"(the best {shown} of {view.matching_stories} stories)"
        for section in view.sections:
            yield style.heading(esc(section.topic) if section.topic else "Other news", 2)
            for story in section.stories:
                yield from _story(story, style, level=3)
        if view.positions_of_the_day:
            yield style.heading("Positions of the day", 2)
            for item in view.positions_of_the_day:
                yield from _item(item, style, by_actor=True)
    if view.feed_notices:
        yield style.heading("Feeds that may be missing news", 2)
        yield from (_notice(notice, style) for notice in view.feed_notices)


def _story(view: StoryView, style: _Style, *, level: int) -> Iterator[str]:
    esc = style.escape
    yield style.heading(esc(view.headline), level)
    if level == 1 and view.topic:
        yield f"({esc(view.topic)}, last report {_date(view.updated_at)})"
    if view.summary:
        yield esc(" ".join(view.summary.split()))
    outlets = view.independent_sources
    label = "1 outlet" if outlets == 1 else f"{outlets} outlets"
    yield f"{label}: " + "; ".join(style.link(source) for source in view.sources)
    for item in view.positions:
        yield from _item(item, style, by_actor=True)


def _notice(notice: FeedNoticeView, style: _Style) -> str:
    esc = style.escape
    since = (
        f", last success {_date(notice.last_success_at)}"
        if notice.last_success_at
        else ", never polled successfully"
    )
    error = f": {esc(' '.join(notice.error.split()))}" if notice.error else ""
    return (
        f"- {esc(notice.outlet)}: {TROUBLE_WORDS.get(notice.trouble, notice.trouble)}{since}{error}"
    )


# -- search -------------------------------------------------------------------------------------


def _search(view: SearchView, style: _Style) -> Iterator[str]:
    esc = style.escape
    yield style.heading(f"Search: {esc(view.query)}, since {_date(view.since)}", 1)
    if view.empty:
        yield f"Nothing stored since {_date(view.since)} holds every word of that."
        return
    if view.articles:
        yield style.heading("Articles", 2)
        for hit in view.articles:
            yield f"- {style.strong(esc(hit.title))}"
            if hit.summary:
                yield f"  {esc(' '.join(hit.summary.split()))}"
            yield f"  {_sources((hit.source,), style)}"
    if view.positions:
        yield style.heading("Statements", 2)
        for item in view.positions:
            yield from _item(item, style, by_actor=True)


# -- notices, lists and alerts ------------------------------------------------------------------


def _field(field: FieldView, style: _Style) -> str:
    value = _date(field.when) if field.when is not None else field.value
    return f"{style.escape(field.name)}: {style.escape(value)}"


def _notice_lines(view: NoticeView, style: _Style) -> Iterator[str]:
    yield style.heading(style.escape(view.title), 1)
    yield from (style.escape(line) for line in view.lines)
    yield from (f"- {_field(field, style)}" for field in view.fields)


def _list(view: ListView, style: _Style) -> Iterator[str]:
    esc = style.escape
    yield style.heading(esc(view.title), 1)
    if view.empty:
        yield esc(view.empty_text)
    for item in view.items:
        key = f" ({esc(item.key)})" if item.key and item.key != item.title else ""
        detail = f": {esc(item.detail)}" if item.detail else ""
        yield f"- {style.strong(esc(item.title))}{key}{detail}"
        if item.url:
            yield f"  {style.link(SourceView(outlet=item.url, url=item.url))}"
        yield from (f"  {_field(field, style)}" for field in item.fields)
    if view.footer:
        yield esc(view.footer)


def _alert(view: AlertView, style: _Style) -> Iterator[str]:
    esc = style.escape
    yield style.heading(esc(alert_title(view)), 1)
    if view.change is not None:
        yield _change(view.change, style)
    for item in (view.item, *view.others):
        yield from _item(item, style, by_actor=True)
    more = alert_more(view)
    if more is not None:
        yield esc(more)
